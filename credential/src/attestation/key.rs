//! Key attestations (OID4VCI 1.0 Appendix D.1): a JWT of `typ` `key-attestation+jwt`,
//! signed by a key storage provider certified by `x5c`, listing the holder keys it vouches
//! for (`attested_keys`) and how they are protected (`key_storage`, `user_authentication`).
//! Sent in a `jwt` proof's `key_attestation` header (Appendix F.1), or on its own as the
//! `attestation` proof type (Appendix F.3), where the attested keys are the holder keys.

use josekit::jwk::Jwk;
use serde_json::Value;

use super::{verify_attested_jwt, AttestationError, TrustAnchors};
use crate::jwk::{ensure_public, thumbprint};

/// `typ` of a key attestation (Appendix D.1).
pub const KEY_ATTESTATION_TYP: &str = "key-attestation+jwt";

/// Most keys one attestation may list.
const MAX_ATTESTED_KEYS: usize = 100;

/// A verified key attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedKeyAttestation {
    /// The attested public keys, in the attestation's order.
    pub attested_keys: Vec<Jwk>,
    /// Their RFC 7638 thumbprints, in the same order.
    pub attested_key_thumbprints: Vec<String>,
    /// The `iat` claim, Unix seconds.
    pub issued_at: i64,
    /// `key_storage` values (ISO 18045 levels), when given.
    pub key_storage: Vec<String>,
    /// `user_authentication` values, when given.
    pub user_authentication: Vec<String>,
    /// The `nonce` claim (a `c_nonce`), when given.
    pub nonce: Option<String>,
}

impl VerifiedKeyAttestation {
    /// Whether the attestation meets a configuration's `key_attestations_required`: each
    /// listed constraint needs one of its values in the attestation (Appendix D.2).
    pub fn satisfies(&self, key_storage: &[String], user_authentication: &[String]) -> bool {
        let meets = |required: &[String], attested: &[String]| {
            required.is_empty() || required.iter().any(|level| attested.contains(level))
        };
        meets(key_storage, &self.key_storage)
            && meets(user_authentication, &self.user_authentication)
    }

    /// Whether the key with RFC 7638 thumbprint `key` is attested.
    pub fn covers(&self, key: &str) -> bool {
        self.attested_key_thumbprints.iter().any(|t| t == key)
    }
}

/// Verifies a key attestation against `anchors` at Unix time `now` (Appendix D.1: `iat`,
/// `attested_keys`, an `exp` in the future, `x5c` to a trusted anchor).
pub fn verify_key_attestation(
    jwt: &str,
    anchors: &TrustAnchors,
    now: i64,
) -> Result<VerifiedKeyAttestation, AttestationError> {
    let claims = &verify_attested_jwt(jwt, KEY_ATTESTATION_TYP, anchors, now)?;
    let issued_at = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| AttestationError::Claim("the key attestation needs a numeric iat".into()))?;
    let keys = claims
        .get("attested_keys")
        .and_then(Value::as_array)
        .filter(|keys| !keys.is_empty() && keys.len() <= MAX_ATTESTED_KEYS)
        .ok_or_else(|| {
            AttestationError::Claim("attested_keys must be a non-empty array of JWKs".into())
        })?;
    let attested_keys = keys
        .iter()
        .map(|key| {
            let jwk = key
                .as_object()
                .and_then(|members| Jwk::from_map(members.clone()).ok())
                .ok_or_else(|| AttestationError::Key("an attested key is not a JWK".into()))?;
            ensure_public(&jwk).map_err(|e| AttestationError::Key(e.to_string()))?;
            Ok(jwk)
        })
        .collect::<Result<Vec<_>, AttestationError>>()?;
    let attested_key_thumbprints = attested_keys
        .iter()
        .map(|jwk| thumbprint(jwk).map_err(|e| AttestationError::Key(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let strings = |name: &str| -> Vec<String> {
        claims
            .get(name)
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(VerifiedKeyAttestation {
        attested_keys,
        attested_key_thumbprints,
        issued_at,
        key_storage: strings("key_storage"),
        user_authentication: strings("user_authentication"),
        nonce: claims
            .get("nonce")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}
