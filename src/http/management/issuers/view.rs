//! The JSON the `/issuers` routes answer with, from the Issuer aggregate's state.

use issuance_domain::issuer::{
    ConfigurationHistory, Issuer, IssuerProfile, KeyStatus, PublishedConfiguration, SigningKeyState,
};

use crate::config::Settings;
use serde_json::{json, Value};

/// An issuer: id, display, status, its current configurations (id and version), its
/// active key's id, the interoperability profile it records and the one it is served
/// with under `settings` (the deployment's profile).
pub fn issuer(issuer: &Issuer, settings: &Settings) -> Value {
    let deployment = settings.profile.issuer_profile();
    json!({
        "id": issuer.issuer_id,
        "display": issuer.display,
        "status": if issuer.is_retired() { "retired" } else { "active" },
        "created_at": issuer.created_at,
        "retired_at": issuer.retired_at,
        "active_kid": issuer.active_kid,
        "profile": issuer.profile,
        "served_profile": served_profile(issuer, deployment),
        "credential_configurations": issuer
            .current_configurations()
            .map(|(id, current)| json!({"id": id, "version": current.version}))
            .collect::<Vec<_>>(),
        "version": issuer.version,
    })
}

/// The profile the issuer's wallet API follows: the default issuer's is the deployment's
/// (the configuration file's `profile`), and a `haip` deployment serves every issuer as
/// `haip` whatever it records.
fn served_profile(issuer: &Issuer, deployment: IssuerProfile) -> IssuerProfile {
    let default = issuer.issuer_id.as_ref().map(|id| id.as_str())
        == Some(crate::app::issuers::DEFAULT_ISSUER);
    match default {
        true => deployment,
        false => issuer.profile.under(deployment),
    }
}

/// One version of a configuration.
pub fn version(id: &str, version: &PublishedConfiguration) -> Value {
    json!({
        "id": id,
        "version": version.version,
        "published_at": version.published_at,
        "published_by": version.published_by,
        "configuration": version.configuration,
    })
}

/// A configuration with its history: the latest version, whether it is retired, and every
/// version, oldest first.
pub fn history(id: &str, history: &ConfigurationHistory) -> Value {
    let latest = history.latest();
    json!({
        "id": id,
        "status": if history.is_retired() { "retired" } else { "active" },
        "retired_at": history.retired_at,
        "version": latest.map(|v| v.version),
        "configuration": latest.map(|v| &v.configuration),
        "versions": history
            .versions
            .iter()
            .map(|v| version(id, v))
            .collect::<Vec<_>>(),
    })
}

/// A signing key: never its private half (the state holds none, only the vault's entry
/// name, which is not shown either).
pub fn key(key: &SigningKeyState) -> Value {
    let (status, retired_at, published_until) = match key.status {
        KeyStatus::Pending => ("pending", None, None),
        KeyStatus::Active => ("active", None, None),
        KeyStatus::Inactive => ("inactive", None, None),
        KeyStatus::Retired {
            retired_at,
            published_until,
        } => ("retired", Some(retired_at), Some(published_until)),
    };
    json!({
        "kid": key.kid,
        "alg": key.alg,
        "status": status,
        "origin": key.origin,
        "public_jwk": key.public_jwk,
        "certificate_chain": key.certificate_chain,
        "added_at": key.added_at,
        "retired_at": retired_at,
        "published_until": published_until,
    })
}
