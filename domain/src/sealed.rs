//! Personal data in events: sealed with the offer's data key, never in plaintext.
//!
//! Events are immutable and outlive erasure, so whatever personal data they must hold (an
//! offer's claims, subject and correlation object, a credential's holder key thumbprint,
//! the subject a login was accepted for) is encrypted with the offer's data key, kept
//! outside the log. Destroying the key (crypto-shredding) leaves only ciphertext.
//!
//! Events of version 1 held some of these values in plaintext. They still decode: the
//! plaintext is carried in fields that are never serialised (`legacy_*`), so no new event
//! can hold plaintext again, and readers treat it like a sealed value whose key must still
//! exist.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A value encrypted with an offer's data key (AES-256-GCM, the offer id and the value's
/// purpose as associated data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Sealed {
    /// Content encryption algorithm: `A256GCM`.
    pub alg: String,
    /// 96-bit nonce, base64url.
    pub nonce: String,
    /// Ciphertext with tag, base64url.
    pub ciphertext: String,
}

/// What a sealed value is, bound into its associated data with the offer id, so that a
/// ciphertext opens neither for another offer nor as another field.
pub mod purpose {
    /// The institution's subject identifier (of an offer, or of an accepted login).
    pub const SUBJECT: &str = "subject";
    /// The offer's correlation object.
    pub const CORRELATION: &str = "correlation";
    /// A credential's holder key thumbprint.
    pub const HOLDER_KEY_THUMBPRINT: &str = "holder_key_thumbprint";
}
