//! The JSON the `/issuers` routes answer with, from the Issuer aggregate's state.

use issuance_domain::issuer::{ConfigurationHistory, Issuer, PublishedConfiguration};
use serde_json::{json, Value};

/// An issuer: id, display, status, its current configurations (id and version) and its
/// active key's id.
pub fn issuer(issuer: &Issuer) -> Value {
    json!({
        "id": issuer.issuer_id,
        "display": issuer.display,
        "status": if issuer.is_retired() { "retired" } else { "active" },
        "created_at": issuer.created_at,
        "retired_at": issuer.retired_at,
        "active_kid": issuer.active_kid,
        "credential_configurations": issuer
            .current_configurations()
            .map(|(id, current)| json!({"id": id, "version": current.version}))
            .collect::<Vec<_>>(),
        "version": issuer.version,
    })
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
