//! The settings' smaller tables: issuer, offers, tokens, retention, API keys, log format.

use std::fmt;
use std::path::PathBuf;

use issuance_domain::credential_config::Display;
use serde::{Deserialize, Serialize};

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
    /// Encrypted credential requests and responses (OID4VCI 1.0 §8.2, §10): `disabled`
    /// (unset: disabled, or `required` with `profile = "haip"`), `optional` (advertised; a
    /// wallet may ask) or `required` (every request encrypted, every response too). Read
    /// it through [`IssuerSettings::encryption_mode`].
    pub credential_encryption: Option<EncryptionMode>,
}

impl IssuerSettings {
    /// The effective `credential_encryption` (unset: disabled).
    pub fn encryption_mode(&self) -> EncryptionMode {
        self.credential_encryption.unwrap_or_default()
    }
}

/// Whether credential requests and responses are encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EncryptionMode {
    /// Not advertised; a request asking for encryption is refused.
    #[default]
    Disabled,
    /// Advertised with `encryption_required: false`.
    Optional,
    /// Advertised with `encryption_required: true`; plain requests are refused.
    Required,
}

impl EncryptionMode {
    /// Whether encryption is offered at all.
    pub fn enabled(self) -> bool {
        self != EncryptionMode::Disabled
    }
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
            credential_encryption: None,
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
    /// Scopes: `offers:write`, `offers:read`, `audit:read`, `credentials:write`,
    /// `issuers:read`, `issuers:write`, `admin`.
    pub scopes: Vec<String>,
    /// The issuers whose offers, audit entries and configurations the key sees (ids as
    /// `POST /issuers` takes them, `default` for the configuration file's); absent: every
    /// issuer. Anything of another issuer answers 404, as if it did not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuers: Option<Vec<String>>,
}
