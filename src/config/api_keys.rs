//! API key vocabulary the configuration is checked against: scopes, key names and the
//! issuers a key may be restricted to.

use issuance_domain::issuer::IssuerId;
use serde::{Deserialize, Serialize};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Create and revoke offers.
    #[serde(rename = "offers:write")]
    OffersWrite,
    /// Read offers and their histories.
    #[serde(rename = "offers:read")]
    OffersRead,
    /// Read the audit view.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Revoke, suspend and reinstate issued credentials.
    #[serde(rename = "credentials:write")]
    CredentialsWrite,
    /// Read issuers and their credential configurations.
    #[serde(rename = "issuers:read")]
    IssuersRead,
    /// Create, change and retire issuers and their credential configurations.
    #[serde(rename = "issuers:write")]
    IssuersWrite,
    /// Everything, including dead letters and erasure.
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    /// Every scope name.
    pub const NAMES: [&'static str; 7] = [
        "offers:write",
        "offers:read",
        "audit:read",
        "credentials:write",
        "issuers:read",
        "issuers:write",
        "admin",
    ];

    /// The scope's name.
    pub fn name(self) -> &'static str {
        match self {
            Scope::OffersWrite => "offers:write",
            Scope::OffersRead => "offers:read",
            Scope::AuditRead => "audit:read",
            Scope::CredentialsWrite => "credentials:write",
            Scope::IssuersRead => "issuers:read",
            Scope::IssuersWrite => "issuers:write",
            Scope::Admin => "admin",
        }
    }

    /// Parses a scope name.
    pub fn parse(name: &str) -> Option<Scope> {
        [
            Scope::OffersWrite,
            Scope::OffersRead,
            Scope::AuditRead,
            Scope::CredentialsWrite,
            Scope::IssuersRead,
            Scope::IssuersWrite,
            Scope::Admin,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// Names a key may not have: the engine's own actors, so that the audit trail never
/// attributes a key's actions to the engine or the engine's to a key.
pub const RESERVED_NAMES: [&str; 3] = ["system", "wallet", "scheduler"];

/// Whether `name` may name a new key, given the names already taken; else the problem.
pub fn check_key_name(name: &str, taken: &[&str]) -> Result<(), String> {
    if RESERVED_NAMES.contains(&name.trim()) {
        return Err(format!(
            "`{name}` is reserved for the engine's own actors ({})",
            RESERVED_NAMES.join(", ")
        ));
    }
    if taken.contains(&name) {
        return Err(format!(
            "a key named `{name}` exists (names must be unique)"
        ));
    }
    Ok(())
}

/// Whether a key (with `admin` among its scopes or not) may be restricted to `issuers`:
/// at least one, each a valid issuer id ([`IssuerId::parse`]), and not an `admin` key,
/// which reaches what belongs to no issuer (dead letters, the whole audit chain); else the
/// problem. The ids need not exist yet: a key may name an issuer created later.
pub fn check_key_issuers(issuers: &[String], admin: bool) -> Result<(), String> {
    if issuers.is_empty() {
        return Err(
            "`issuers` must name at least one issuer (leave it out for every issuer)".into(),
        );
    }
    for id in issuers {
        IssuerId::parse(id).map_err(|e| e.to_string())?;
    }
    if admin {
        return Err(
            "an `admin` key sees everything: it cannot be restricted to issuers \
                    (give it the other scopes instead)"
                .into(),
        );
    }
    Ok(())
}
