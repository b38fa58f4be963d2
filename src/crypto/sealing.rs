//! Sealing an offer's claims and personal values with its data key (AES-256-GCM, the offer
//! id as associated data so a ciphertext cannot be moved to another offer).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_domain::offer::SealedClaims;
use issuance_domain::{Digest, Sealed};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::data_key::DataKey;
use super::server_secret::keyed_mac;
use super::{key_bytes, random_bytes};

/// The content encryption algorithm name recorded with sealed claims.
pub const ALG: &str = "A256GCM";

/// Sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Encryption failed (should not happen with a valid key).
    #[error("cannot seal claims")]
    Seal,
    /// Wrong key, tampered ciphertext, or unknown algorithm.
    #[error("cannot open sealed claims: {0}")]
    Open(&'static str),
}

/// A fresh random data key.
pub fn generate_key() -> DataKey {
    DataKey(key_bytes())
}

/// Encrypts `claims` for `offer_id`.
pub fn seal(
    key: &DataKey,
    offer_id: Uuid,
    claims: &Map<String, Value>,
) -> Result<SealedClaims, SealError> {
    let plaintext = serde_json::to_vec(claims).map_err(|_| SealError::Seal)?;
    seal_bytes(key, offer_id.as_bytes(), &plaintext)
}

/// Decrypts claims sealed for `offer_id`.
pub fn open(
    key: &DataKey,
    offer_id: Uuid,
    sealed: &SealedClaims,
) -> Result<Map<String, Value>, SealError> {
    let plaintext = open_bytes(key, offer_id.as_bytes(), sealed)?;
    serde_json::from_slice(&plaintext).map_err(|_| SealError::Open("not a JSON object"))
}

/// Encrypts one personal value of `offer_id` (a subject, a correlation object, a holder
/// key thumbprint); `purpose` is bound as associated data with the offer id, so a sealed
/// value can be opened neither for another offer nor as another field.
pub fn seal_value(
    key: &DataKey,
    offer_id: Uuid,
    purpose: &str,
    value: &Value,
) -> Result<Sealed, SealError> {
    let plaintext = serde_json::to_vec(value).map_err(|_| SealError::Seal)?;
    seal_bytes(key, &value_aad(offer_id, purpose), &plaintext)
}

/// Decrypts a value sealed by [`seal_value`] for the same offer and purpose.
pub fn open_value(
    key: &DataKey,
    offer_id: Uuid,
    purpose: &str,
    sealed: &Sealed,
) -> Result<Value, SealError> {
    let plaintext = open_bytes(key, &value_aad(offer_id, purpose), sealed)?;
    serde_json::from_slice(&plaintext).map_err(|_| SealError::Open("not JSON"))
}

fn value_aad(offer_id: Uuid, purpose: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + purpose.len());
    aad.extend_from_slice(offer_id.as_bytes());
    aad.extend_from_slice(purpose.as_bytes());
    aad
}

pub(crate) fn seal_bytes(key: &DataKey, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError> {
    let cipher = Aes256Gcm::new_from_slice(&key.0).map_err(|_| SealError::Seal)?;
    let nonce: [u8; 12] = random_bytes();
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::Seal)?;
    Ok(Sealed {
        alg: ALG.to_string(),
        nonce: URL_SAFE_NO_PAD.encode(nonce),
        ciphertext: URL_SAFE_NO_PAD.encode(ciphertext),
    })
}

pub(crate) fn open_bytes(key: &DataKey, aad: &[u8], sealed: &Sealed) -> Result<Vec<u8>, SealError> {
    if sealed.alg != ALG {
        return Err(SealError::Open("unknown algorithm"));
    }
    let nonce = URL_SAFE_NO_PAD
        .decode(&sealed.nonce)
        .map_err(|_| SealError::Open("malformed nonce"))?;
    if nonce.len() != 12 {
        return Err(SealError::Open("malformed nonce"));
    }
    let ciphertext = URL_SAFE_NO_PAD
        .decode(&sealed.ciphertext)
        .map_err(|_| SealError::Open("malformed ciphertext"))?;
    let cipher = Aes256Gcm::new_from_slice(&key.0).map_err(|_| SealError::Open("bad key"))?;
    cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad,
            },
        )
        .map_err(|_| SealError::Open("authentication failed"))
}

/// A fingerprint of a request keyed with the offer's data key: recognises an identical
/// retry, and reveals nothing about the (personal) request once the key is destroyed.
pub fn fingerprint(key: &DataKey, canonical_request: &[u8]) -> Digest {
    Digest(keyed_mac(
        &key.0,
        "request-fingerprint",
        &[canonical_request],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_binds_the_offer() {
        let key = generate_key();
        let offer = Uuid::new_v4();
        let claims = json!({"given_name": "Erika"}).as_object().unwrap().clone();
        let sealed = seal(&key, offer, &claims).unwrap();
        assert!(!sealed.ciphertext.contains("Erika"));
        assert_eq!(open(&key, offer, &sealed).unwrap(), claims);
        assert!(open(&key, Uuid::new_v4(), &sealed).is_err());
        assert!(open(&generate_key(), offer, &sealed).is_err());
    }

    #[test]
    fn values_are_bound_to_their_offer_and_purpose() {
        let key = generate_key();
        let offer = Uuid::new_v4();
        let value = json!("customer-4711");
        let sealed = seal_value(&key, offer, "subject", &value).unwrap();
        assert!(!sealed.ciphertext.contains("customer"));
        assert_eq!(open_value(&key, offer, "subject", &sealed).unwrap(), value);
        assert!(open_value(&key, offer, "correlation", &sealed).is_err());
        assert!(open_value(&key, Uuid::new_v4(), "subject", &sealed).is_err());
        assert!(open_value(&generate_key(), offer, "subject", &sealed).is_err());
    }
}
