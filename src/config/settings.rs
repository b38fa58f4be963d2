//! Service settings (`Settings`) and the loader that layers defaults, TOML and environment.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::credential_config::Display;
use serde::{Deserialize, Serialize};

use super::authorization::AuthorizationSettings;
use super::configuration_table::convert;
use super::configuration_table::ConfigurationTableToml;
use super::integration::{AmqpSettings, CallbackPolicy, SchedulerSettings};
use super::limits::{self, Limits};
use super::shutdown::{self, ShutdownSettings};
use super::status_lists::{self, StatusListSettings};
use super::ConfigError;

/// The example configuration used when `ISSUANCE_CONFIG` is not set.
/// It is `config/issuer.example.toml` followed by the ISO mdoc examples of
/// `config/mdoc.example.toml`.
pub const BUILT_IN_CONFIG: &str = concat!(
    include_str!("../../config/issuer.example.toml"),
    "\n",
    include_str!("../../config/mdoc.example.toml")
);
const BUILT_IN_NAME: &str =
    "built-in configuration (config/issuer.example.toml and config/mdoc.example.toml)";

/// A secret string: never printed by `Debug`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Offer policies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OfferPolicy {
    /// `expires_in` when the request gives none, seconds.
    pub default_expires_in: u64,
    /// Largest accepted `expires_in`, seconds.
    pub max_expires_in: u64,
    /// Wrong transaction codes tolerated before the offer locks.
    pub tx_code_max_attempts: u32,
    /// Most redemptions (access tokens) a multi-use offer grants; then `invalid_grant`.
    pub max_redemptions: u32,
}

impl Default for OfferPolicy {
    fn default() -> Self {
        OfferPolicy {
            default_expires_in: 300,
            max_expires_in: 1800,
            tx_code_max_attempts: 3,
            max_redemptions: 10_000,
        }
    }
}

/// Lifetimes of wallet-side artefacts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenPolicy {
    /// Access token lifetime, seconds (≤ 300 unless sender-constrained, OID4VCI §13.10).
    pub access_token_ttl: u64,
    /// `c_nonce` lifetime, seconds.
    pub nonce_ttl: u64,
    /// Oldest accepted proof `iat`, seconds before now.
    pub proof_max_age: u64,
    /// Accepted clock skew for proof `iat` in the future, seconds.
    pub proof_max_future_skew: u64,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            access_token_ttl: 300,
            nonce_ttl: 300,
            proof_max_age: 300,
            proof_max_future_skew: 60,
        }
    }
}

/// Issuer identity and signing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IssuerSettings {
    /// Issuer display in the metadata.
    pub display: Vec<Display>,
    /// A JWK file with the signing key; generated into `<data dir>/keys` when unset.
    pub signing_key_file: Option<PathBuf>,
    /// PEM certificate chain for the signing key (sent as `x5c`).
    pub certificate_chain_file: Option<PathBuf>,
    /// Maximum proofs per credential request.
    pub batch_size: usize,
    /// The mdoc document signer's private key (PEM or JWK, P-256).
    pub mdoc_signing_key_file: Option<PathBuf>,
    /// The document signer's PEM certificate chain, leaf first, without the IACA root
    /// (`x5chain` of every mdoc).
    pub mdoc_certificate_chain_file: Option<PathBuf>,
    /// Without a configured document signer, sign mdocs with a development IACA and
    /// document signer generated into `<data dir>/mdoc/`. `false` (production) refuses to
    /// start with mdoc configurations and no configured signer.
    pub mdoc_development_chain: bool,
}

impl Default for IssuerSettings {
    fn default() -> Self {
        IssuerSettings {
            display: Vec::new(),
            signing_key_file: None,
            certificate_chain_file: None,
            batch_size: 10,
            mdoc_signing_key_file: None,
            mdoc_certificate_chain_file: None,
            mdoc_development_chain: true,
        }
    }
}

/// Personal-data retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionPolicy {
    /// Erase an offer's claims this many hours after it reaches a terminal state
    /// (0 = at once). `None` (spelt `"never"`) disables automatic erasure.
    #[serde(with = "super::retention_hours")]
    pub erase_claims_after_hours: Option<u64>,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            erase_claims_after_hours: Some(0),
        }
    }
}

/// A configured management API key (only its SHA-256 is configured).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// Name recorded as the actor of every event the key causes.
    pub name: String,
    /// Hex SHA-256 of the key.
    pub sha256: String,
    /// Scopes: `offers:write`, `offers:read`, `audit:read`, `admin`.
    pub scopes: Vec<String>,
}

/// All service settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Embedded store, generated keys and secrets.
    pub data_dir: PathBuf,
    /// Wallet (OID4VCI) listener.
    pub wallet_addr: String,
    /// Management listener.
    pub management_addr: String,
    /// Credential Issuer Identifier and base of every wallet URL.
    pub public_url: String,
    /// Bootstrap admin API key.
    pub admin_key: Option<Secret>,
    /// Event store URL (`sqlite://…`, `postgres://…`, `esdb://…`).
    pub event_store: Option<String>,
    /// Read store URL (`sqlite://…`, `postgres://…`).
    pub read_store: Option<String>,
    /// RabbitMQ URL; in-process delivery when unset.
    pub amqp_url: Option<Secret>,
    /// Fail start-up when the broker is unreachable.
    pub require_broker: bool,
    /// Default status-callback URL.
    pub callback_url: Option<String>,
    /// HMAC key for callback signatures; generated into the data dir when unset.
    pub callback_secret: Option<Secret>,
    /// Key for code derivation and token MACs (base64url, 32 bytes); generated into the data
    /// dir when unset. Every node of a cluster needs the same.
    pub server_secret: Option<Secret>,
    /// Log output format.
    pub log_format: LogFormat,
    /// Record client IP addresses in event metadata.
    pub record_client_ip: bool,
    /// HTTP worker threads per listener (defaults to the number of CPUs).
    pub workers: Option<usize>,
    /// Offer policies.
    pub offers: OfferPolicy,
    /// Token, nonce and proof lifetimes.
    pub tokens: TokenPolicy,
    /// Issuer identity and signing keys.
    pub issuer: IssuerSettings,
    /// Personal-data retention.
    pub retention: RetentionPolicy,
    /// Request limits.
    pub limits: Limits,
    /// The authorization-code flow.
    pub authorization: AuthorizationSettings,
    /// RabbitMQ names and client behaviour (when `amqp_url` is set).
    pub amqp: AmqpSettings,
    /// Status-callback retry policy.
    pub callbacks: CallbackPolicy,
    /// Background schedulers (offer expiry).
    pub scheduler: SchedulerSettings,
    /// Graceful shutdown timings.
    pub shutdown: ShutdownSettings,
    /// Credential status (Token Status Lists).
    pub status_lists: StatusListSettings,
    /// Management API keys.
    pub api_keys: Vec<ApiKeyConfig>,
    /// Credential configurations.
    pub credential_configurations: Vec<ConfigurationTableToml>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./data"),
            wallet_addr: "0.0.0.0:8080".into(),
            management_addr: "127.0.0.1:8081".into(),
            public_url: "http://127.0.0.1:8080".into(),
            admin_key: None,
            event_store: None,
            read_store: None,
            amqp_url: None,
            require_broker: false,
            callback_url: None,
            callback_secret: None,
            server_secret: None,
            log_format: LogFormat::Text,
            record_client_ip: false,
            workers: None,
            offers: OfferPolicy::default(),
            tokens: TokenPolicy::default(),
            issuer: IssuerSettings::default(),
            retention: RetentionPolicy::default(),
            limits: Limits::default(),
            authorization: AuthorizationSettings::default(),
            amqp: AmqpSettings::default(),
            callbacks: CallbackPolicy::default(),
            scheduler: SchedulerSettings::default(),
            shutdown: ShutdownSettings::default(),
            status_lists: StatusListSettings::default(),
            api_keys: Vec::new(),
            credential_configurations: Vec::new(),
        }
    }
}

/// `ISSUANCE_*` variables that are not settings: the configuration file's path (read by
/// the command line) and the test suite's own variables.
const NOT_SETTINGS: [&str; 1] = ["CONFIG"];
/// Prefixes of `ISSUANCE_*` variables that are not settings.
const NOT_SETTINGS_PREFIXES: [&str; 1] = ["TEST_"];

/// The top-level settings, as `ISSUANCE_*` variables name them (lower case): every field
/// of [`Settings`].
fn setting_names() -> Vec<String> {
    match serde_json::to_value(Settings::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Whether the environment key (after `ISSUANCE_`, lower case) sets a top-level setting or
/// a field nested in one (`offers__max_expires_in`, or `offers.max_expires_in` once split).
fn names_a_setting(key: &str, names: &[String]) -> bool {
    let top = key
        .split("__")
        .next()
        .and_then(|key| key.split('.').next())
        .unwrap_or_default();
    names.iter().any(|name| name == top)
}

/// Every `ISSUANCE_*` variable in `vars` that names no setting, as an error listing the
/// valid names: a typo must stop the start, not leave a setting silently at its default.
/// Nested fields are checked by the settings themselves (unknown fields are refused).
pub fn unknown_environment(vars: impl IntoIterator<Item = (String, String)>) -> Vec<ConfigError> {
    let names = setting_names();
    let mut unknown: Vec<String> = vars
        .into_iter()
        .filter_map(|(variable, _)| {
            let rest = variable.strip_prefix("ISSUANCE_")?;
            let exempt = NOT_SETTINGS.contains(&rest)
                || NOT_SETTINGS_PREFIXES.iter().any(|p| rest.starts_with(p));
            (!exempt && !names_a_setting(&rest.to_ascii_lowercase(), &names)).then_some(variable)
        })
        .collect();
    unknown.sort();
    let valid = names
        .iter()
        .map(|name| format!("ISSUANCE_{}", name.to_ascii_uppercase()))
        .collect::<Vec<_>>()
        .join(", ");
    unknown
        .into_iter()
        .map(|variable| ConfigError::UnknownVariable {
            variable,
            valid: valid.clone(),
        })
        .collect()
}

/// The shortest accepted `admin_key`.
pub const MIN_ADMIN_KEY_CHARS: usize = 32;

/// The longest access-token lifetime allowed for bearer tokens, seconds (OID4VCI §13.10:
/// longer ones must be sender-constrained, so DPoP must be required).
pub const MAX_BEARER_TOKEN_TTL: u64 = 300;

/// Settings plus the validated credential catalogue.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The settings.
    pub settings: Settings,
    /// The credential configurations, validated.
    pub catalog: CredentialCatalog,
    /// Where the configuration came from (for logs).
    pub source_name: String,
}

impl LoadedConfig {
    /// Loads from `path` (or the built-in example), then the environment.
    pub fn load(path: Option<&Path>) -> Result<LoadedConfig, Vec<ConfigError>> {
        let (toml, source_name) = match path {
            Some(path) => {
                if let Err(e) = std::fs::metadata(path) {
                    return Err(vec![ConfigError::Unreadable {
                        path: path.display().to_string(),
                        problem: e.to_string(),
                    }]);
                }
                (Toml::file_exact(path), path.display().to_string())
            }
            None => (Toml::string(BUILT_IN_CONFIG), BUILT_IN_NAME.to_string()),
        };
        let unknown = unknown_environment(std::env::vars());
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let names = setting_names();
        let env = Env::prefixed("ISSUANCE_")
            .split("__")
            .filter(move |key| names_a_setting(&key.as_str().to_ascii_lowercase(), &names));
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(toml)
                .merge(env),
            &source_name,
        )
    }

    /// Loads from an in-memory TOML text and explicit overrides (tests, embedding).
    pub fn from_toml_with(
        toml: &str,
        overrides: &[(&str, serde_json::Value)],
    ) -> Result<LoadedConfig, Vec<ConfigError>> {
        let mut figment =
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(toml));
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        Self::from_figment(figment, "test configuration")
    }

    fn from_figment(figment: Figment, source_name: &str) -> Result<LoadedConfig, Vec<ConfigError>> {
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::from_figment(e, source_name))?;
        let mut errors = validate(&settings, source_name);
        let catalog = match convert(&settings.credential_configurations, source_name) {
            Ok(catalog) => catalog,
            Err(mut problems) => {
                errors.append(&mut problems);
                CredentialCatalog::default()
            }
        };
        errors.extend(document_signer_problems(&settings, &catalog, source_name));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(LoadedConfig {
            settings,
            catalog,
            source_name: source_name.to_string(),
        })
    }
}

/// The mdoc document signer is configured completely, or left to the development chain.
fn document_signer_problems(
    settings: &Settings,
    catalog: &CredentialCatalog,
    source: &str,
) -> Vec<ConfigError> {
    let issuer = &settings.issuer;
    let problem = match (
        &issuer.mdoc_signing_key_file,
        &issuer.mdoc_certificate_chain_file,
    ) {
        (Some(_), None) => Some((
            "issuer.mdoc_certificate_chain_file",
            "is required with issuer.mdoc_signing_key_file (mdocs carry the chain as x5chain)",
        )),
        (None, Some(_)) => Some((
            "issuer.mdoc_signing_key_file",
            "is required with issuer.mdoc_certificate_chain_file",
        )),
        (None, None) if catalog.has_mdoc() && !issuer.mdoc_development_chain => Some((
            "issuer.mdoc_certificate_chain_file",
            "mso_mdoc configurations need a document signer: set issuer.mdoc_signing_key_file \
             and issuer.mdoc_certificate_chain_file (or issuer.mdoc_development_chain = true \
             outside production)",
        )),
        _ => None,
    };
    problem
        .map(|(field, text)| ConfigError::invalid(source, field, text.to_string()))
        .into_iter()
        .collect()
}

fn validate(settings: &Settings, source: &str) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut bad =
        |field: &str, problem: String| errors.push(ConfigError::invalid(source, field, problem));
    for (field, value) in [
        ("wallet_addr", &settings.wallet_addr),
        ("management_addr", &settings.management_addr),
    ] {
        if value.parse::<SocketAddr>().is_err() {
            bad(
                field,
                format!("`{value}` is not an address like 127.0.0.1:8080"),
            );
        }
    }
    match url::Url::parse(&settings.public_url) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.query().is_none()
                && url.fragment().is_none() => {}
        _ => bad(
            "public_url",
            format!(
                "`{}` must be an http(s) URL without query or fragment",
                settings.public_url
            ),
        ),
    }
    if let Some(url) = &settings.callback_url {
        if !matches!(url::Url::parse(url), Ok(u) if matches!(u.scheme(), "http" | "https")) {
            bad("callback_url", format!("`{url}` must be an http(s) URL"));
        }
    }
    let offers = &settings.offers;
    if offers.max_expires_in == 0 {
        bad("offers.max_expires_in", "must be at least 1".into());
    }
    if offers.default_expires_in == 0 || offers.default_expires_in > offers.max_expires_in {
        bad(
            "offers.default_expires_in",
            format!("must be within 1..={}", offers.max_expires_in),
        );
    }
    if offers.tx_code_max_attempts == 0 || offers.tx_code_max_attempts > 10 {
        bad(
            "offers.tx_code_max_attempts",
            "must be within 1..=10".into(),
        );
    }
    if offers.max_redemptions == 0 || offers.max_redemptions > 1_000_000 {
        bad(
            "offers.max_redemptions",
            "must be within 1..=1000000".into(),
        );
    }
    let tokens = &settings.tokens;
    for (field, value) in [
        ("tokens.access_token_ttl", tokens.access_token_ttl),
        ("tokens.nonce_ttl", tokens.nonce_ttl),
        ("tokens.proof_max_age", tokens.proof_max_age),
    ] {
        if value == 0 || value > 86_400 {
            bad(field, "must be within 1..=86400 seconds".into());
        }
    }
    if settings.issuer.batch_size == 0 || settings.issuer.batch_size > 100 {
        bad("issuer.batch_size", "must be within 1..=100".into());
    }
    for (field, problem) in limits::validate(&settings.limits) {
        bad(&field, problem);
    }
    for (field, problem) in
        super::integration::validate(&settings.amqp, &settings.callbacks, &settings.scheduler)
    {
        bad(field, problem);
    }
    for (field, problem) in shutdown::validate(&settings.shutdown) {
        bad(field, problem);
    }
    for (field, problem) in status_lists::validate(&settings.status_lists) {
        bad(field, problem);
    }
    if settings.workers == Some(0) {
        bad("workers", "must be at least 1".into());
    }
    for (field, problem) in settings.authorization.problems() {
        bad(&field, problem);
    }
    if let Some(admin) = &settings.admin_key {
        if admin.0.chars().count() < MIN_ADMIN_KEY_CHARS {
            bad(
                "admin_key",
                format!("must be at least {MIN_ADMIN_KEY_CHARS} characters (a random secret)"),
            );
        }
    }
    if settings.tokens.access_token_ttl > MAX_BEARER_TOKEN_TTL
        && settings.authorization.dpop != super::DpopMode::Required
    {
        bad(
            "tokens.access_token_ttl",
            format!(
                "longer than {MAX_BEARER_TOKEN_TTL} seconds only with sender-constrained \
                 tokens: set authorization.dpop = \"required\" (OID4VCI §13.10)"
            ),
        );
    }
    // The bootstrap admin key is named `admin`.
    let mut names: Vec<&str> = settings.admin_key.iter().map(|_| "admin").collect();
    for (i, key) in settings.api_keys.iter().enumerate() {
        if key.name.trim().is_empty() {
            bad(&format!("api_keys[{i}].name"), "must not be empty".into());
        }
        if let Err(problem) = crate::http::management::auth::check_key_name(&key.name, &names) {
            bad(&format!("api_keys[{i}].name"), problem);
        }
        names.push(&key.name);
        if key.sha256.len() != 64 || !key.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            bad(
                &format!("api_keys[{i}].sha256"),
                "must be 64 hex characters (SHA-256 of the key)".into(),
            );
        }
        for scope in &key.scopes {
            if !crate::http::management::auth::Scope::NAMES.contains(&scope.as_str()) {
                bad(
                    &format!("api_keys[{i}].scopes"),
                    format!("unknown scope `{scope}`"),
                );
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_configuration_loads() {
        let loaded = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &[]).unwrap();
        assert!(loaded.catalog.iter().count() >= 2);
    }

    #[test]
    fn errors_name_the_field_and_the_problem() {
        let errors = LoadedConfig::from_toml_with(
            BUILT_IN_CONFIG,
            &[("offers.max_expires_in", serde_json::json!("soon"))],
        )
        .unwrap_err();
        let text = errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("offers.max_expires_in"), "{text}");
    }

    #[test]
    fn mdoc_configurations_need_a_document_signer_in_production() {
        let production = [("issuer.mdoc_development_chain", serde_json::json!(false))];
        let errors = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &production).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("issuer.mdoc_certificate_chain_file"),
            "{}",
            errors[0]
        );
        let half = [(
            "issuer.mdoc_signing_key_file",
            serde_json::json!("/keys/ds.pem"),
        )];
        let errors = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &half).unwrap_err();
        assert!(
            errors[0].to_string().contains("is required with"),
            "{}",
            errors[0]
        );
        let configured = [
            production[0].clone(),
            half[0].clone(),
            (
                "issuer.mdoc_certificate_chain_file",
                serde_json::json!("/keys/ds-chain.pem"),
            ),
        ];
        assert!(LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &configured).is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let toml = format!("{BUILT_IN_CONFIG}\n[offerz]\nx = 1\n");
        let errors = LoadedConfig::from_toml_with(&toml, &[]).unwrap_err();
        assert!(errors[0].to_string().contains("offerz"), "{}", errors[0]);
    }

    fn problems(overrides: &[(&str, serde_json::Value)]) -> String {
        match LoadedConfig::from_toml_with(BUILT_IN_CONFIG, overrides) {
            Ok(_) => String::new(),
            Err(errors) => errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    #[test]
    fn environment_variables_that_name_no_setting_are_refused_with_the_valid_names() {
        let vars = [
            ("ISSUANCE_DATA_DIRR", "/tmp"),
            ("ISSUANCE_OFFERS__MAX_EXPIRES_IN", "60"),
            ("ISSUANCE_DATA_DIR", "/tmp"),
            ("ISSUANCE_CONFIG", "issuer.toml"),
            ("ISSUANCE_TEST_POSTGRES_URL", "postgres://x"),
            ("ISSUANCE_RETENTIONS__ERASE_CLAIMS_AFTER_HOURS", "1"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let errors = unknown_environment(vars);
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].contains("ISSUANCE_DATA_DIRR"), "{}", text[0]);
        assert!(text[1].contains("ISSUANCE_RETENTIONS__"), "{}", text[1]);
        for name in [
            "ISSUANCE_DATA_DIR",
            "ISSUANCE_RETENTION",
            "ISSUANCE_SERVER_SECRET",
        ] {
            assert!(text[0].contains(name), "{name} listed: {}", text[0]);
        }
    }

    #[test]
    fn short_admin_keys_are_refused() {
        let text = problems(&[("admin_key", serde_json::json!("only-twenty-chars-ok"))]);
        assert!(text.contains("admin_key") && text.contains("32"), "{text}");
        let long = "a".repeat(MIN_ADMIN_KEY_CHARS);
        assert_eq!(problems(&[("admin_key", serde_json::json!(long))]), "");
    }

    #[test]
    fn reserved_and_duplicate_key_names_are_refused() {
        let key = |name: &str| serde_json::json!({"name": name, "sha256": "ab".repeat(32), "scopes": ["offers:read"]});
        for reserved in ["system", "wallet", "scheduler"] {
            let text = problems(&[("api_keys", serde_json::json!([key(reserved)]))]);
            assert!(
                text.contains("api_keys[0].name") && text.contains("reserved"),
                "{text}"
            );
        }
        let text = problems(&[(
            "api_keys",
            serde_json::json!([key("backend"), key("backend")]),
        )]);
        assert!(text.contains("api_keys[1].name"), "{text}");
        let text = problems(&[
            ("admin_key", serde_json::json!("k".repeat(40))),
            ("api_keys", serde_json::json!([key("admin")])),
        ]);
        assert!(
            text.contains("api_keys[0].name"),
            "the bootstrap key is `admin`: {text}"
        );
    }

    #[test]
    fn bearer_tokens_longer_than_300_seconds_need_dpop_required() {
        for dpop in ["disabled", "allowed"] {
            let text = problems(&[
                ("tokens.access_token_ttl", serde_json::json!(600)),
                ("authorization.dpop", serde_json::json!(dpop)),
            ]);
            assert!(text.contains("tokens.access_token_ttl"), "{dpop}: {text}");
        }
        assert_eq!(
            problems(&[
                ("tokens.access_token_ttl", serde_json::json!(600)),
                ("authorization.dpop", serde_json::json!("required")),
            ]),
            ""
        );
        assert_eq!(
            problems(&[("tokens.access_token_ttl", serde_json::json!(300))]),
            ""
        );
    }

    #[test]
    fn semantic_errors_are_all_reported() {
        let toml = BUILT_IN_CONFIG.replace("format = \"dc+sd-jwt\"", "format = \"jwt_vc_json\"");
        let errors =
            LoadedConfig::from_toml_with(&toml, &[("public_url", serde_json::json!("ftp://x"))])
                .unwrap_err();
        let text = errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("public_url"), "{text}");
        assert!(
            text.contains("credential_configurations[0].format"),
            "{text}"
        );
    }
}
