//! The keys a node starts with: the issuer's signing keys and the management API keys (a
//! first admin key is created on a first run with none).

use anyhow::Context;
use issuance_credential::IssuerKeys;

use crate::config::Settings;
use crate::http::management::auth::{create_key, ApiKeys, Scope};

/// The issuer signing keys: the configured key file, else keys generated into
/// `<data dir>/keys` (rotated with `issuance keys rotate`).
pub fn load_issuer_keys(settings: &Settings) -> anyhow::Result<IssuerKeys> {
    match &settings.issuer.signing_key_file {
        Some(file) => {
            IssuerKeys::from_files(file, settings.issuer.certificate_chain_file.as_deref())
                .with_context(|| format!("cannot load the issuer signing key {}", file.display()))
        }
        None => IssuerKeys::load_or_generate(&settings.data_dir.join("keys"))
            .context("cannot load the issuer signing keys"),
    }
}

/// Loads the API keys; on a first run with none, creates an admin key, prints it once and
/// keeps only its hash.
pub fn bootstrap_api_keys(settings: &Settings) -> anyhow::Result<ApiKeys> {
    let admin = settings.admin_key.as_ref().map(|k| k.0.as_str());
    let keys = ApiKeys::load(&settings.api_keys, admin, &settings.data_dir)
        .context("cannot load API keys")?;
    if !keys.is_empty() {
        return Ok(keys);
    }
    let key = create_key(&settings.data_dir, "admin", &[Scope::Admin], None)
        .context("cannot create the first admin key")?;
    // Printed, not logged: the key must not end up in log aggregation.
    println!(
        "\nNo management API key was configured, so one admin key was created.\n\
         It is shown only this once; its hash is stored in {}:\n\n    {key}\n",
        settings
            .data_dir
            .join(crate::http::management::auth::KEY_FILE)
            .display()
    );
    Ok(ApiKeys::load(
        &settings.api_keys,
        admin,
        &settings.data_dir,
    )?)
}

/// The attestation trust anchors of `attestation.trust_anchors`, `None` when none are
/// configured (attestations are then not read).
pub fn trust_anchors(
    settings: &Settings,
) -> anyhow::Result<Option<std::sync::Arc<issuance_credential::TrustAnchors>>> {
    if !settings.attestation.enabled() {
        return Ok(None);
    }
    let anchors =
        issuance_credential::TrustAnchors::from_files(&settings.attestation.trust_anchors)
            .context("cannot read attestation.trust_anchors")?;
    Ok(Some(std::sync::Arc::new(anchors)))
}
