//! Sealing an offer's claims with its data key (AES-256-GCM, the offer id as associated
//! data so a ciphertext cannot be moved to another offer).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_domain::offer::SealedClaims;
use issuance_domain::Digest;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::server_secret::keyed_mac;
use super::{key_bytes, random_bytes};
use crate::store::DataKey;

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
    let cipher = Aes256Gcm::new_from_slice(&key.0).map_err(|_| SealError::Seal)?;
    let nonce: [u8; 12] = random_bytes();
    let plaintext = serde_json::to_vec(claims).map_err(|_| SealError::Seal)?;
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: offer_id.as_bytes(),
            },
        )
        .map_err(|_| SealError::Seal)?;
    Ok(SealedClaims {
        alg: ALG.to_string(),
        nonce: URL_SAFE_NO_PAD.encode(nonce),
        ciphertext: URL_SAFE_NO_PAD.encode(ciphertext),
    })
}

/// Decrypts claims sealed for `offer_id`.
pub fn open(
    key: &DataKey,
    offer_id: Uuid,
    sealed: &SealedClaims,
) -> Result<Map<String, Value>, SealError> {
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
    let plaintext = cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: offer_id.as_bytes(),
            },
        )
        .map_err(|_| SealError::Open("authentication failed"))?;
    serde_json::from_slice(&plaintext).map_err(|_| SealError::Open("not a JSON object"))
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
}
