//! Checks of the settings that no single field can make alone.

use std::net::SocketAddr;

use issuance_domain::catalog::CredentialCatalog;

use super::api_keys::Scope;
use super::settings::{Settings, MAX_BEARER_TOKEN_TTL, MIN_ADMIN_KEY_CHARS};
use super::{limits, shutdown, status_lists, ConfigError};

/// The mdoc document signer is configured completely, or left to the development chain.
pub(super) fn document_signer_problems(
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

pub(super) fn validate(settings: &Settings, source: &str) -> Vec<ConfigError> {
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
    for (field, problem) in super::integration::validate(
        (&settings.amqp, settings.amqp_url.is_some()),
        &settings.callbacks,
        &settings.scheduler,
    ) {
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
    for (field, problem) in settings.attestation.problems() {
        bad(field, problem);
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
        if let Err(problem) = super::api_keys::check_key_name(&key.name, &names) {
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
            if !Scope::NAMES.contains(&scope.as_str()) {
                bad(
                    &format!("api_keys[{i}].scopes"),
                    format!("unknown scope `{scope}`"),
                );
            }
        }
        if let Some(issuers) = &key.issuers {
            let admin = key.scopes.iter().any(|s| s == Scope::Admin.name());
            if let Err(problem) = super::api_keys::check_key_issuers(issuers, admin) {
                bad(
                    &format!("api_keys[{i}].issuers"),
                    format!("key `{}`: {problem}", key.name),
                );
            }
        }
    }
    errors
}
