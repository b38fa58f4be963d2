//! Service settings (`Settings`) and the loader that layers defaults, TOML and environment.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use issuance_domain::credential_config::{CredentialCatalog, Display};
use serde::{Deserialize, Serialize};

use super::authorization::AuthorizationSettings;
use super::configuration_table::ConfigurationTableToml;
use super::credentials::convert;
use super::integration::{AmqpSettings, CallbackPolicy, SchedulerSettings};
use super::limits::{self, Limits};
use super::shutdown::{self, ShutdownSettings};
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
            api_keys: Vec::new(),
            credential_configurations: Vec::new(),
        }
    }
}

/// Top-level keys that `ISSUANCE_*` variables may set (others, like `ISSUANCE_CONFIG` or
/// test variables, are not settings).
const ENV_KEYS: [&str; 25] = [
    "data_dir",
    "wallet_addr",
    "management_addr",
    "public_url",
    "admin_key",
    "event_store",
    "read_store",
    "amqp_url",
    "require_broker",
    "callback_url",
    "callback_secret",
    "server_secret",
    "log_format",
    "record_client_ip",
    "workers",
    "offers",
    "tokens",
    "issuer",
    "retention",
    "limits",
    "authorization",
    "amqp",
    "callbacks",
    "scheduler",
    "shutdown",
];

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
        let env = Env::prefixed("ISSUANCE_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            ENV_KEYS.iter().any(|k| {
                key == *k || key.starts_with(&format!("{k}__")) || key.starts_with(&format!("{k}."))
            })
        });
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
    if settings.workers == Some(0) {
        bad("workers", "must be at least 1".into());
    }
    for (field, problem) in settings.authorization.problems() {
        bad(&field, problem);
    }
    for (i, key) in settings.api_keys.iter().enumerate() {
        if key.name.trim().is_empty() {
            bad(&format!("api_keys[{i}].name"), "must not be empty".into());
        }
        if key.sha256.len() != 64 || !key.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            bad(
                &format!("api_keys[{i}].sha256"),
                "must be 64 hex characters (SHA-256 of the key)".into(),
            );
        }
        for scope in &key.scopes {
            if !crate::management::auth::Scope::NAMES.contains(&scope.as_str()) {
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
