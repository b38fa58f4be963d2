//! `c_nonce` values and the Nonce Endpoint (OID4VCI 1.0 §7).
//!
//! A nonce is stateless: `base64url(expiry 8B ‖ random 16B ‖ HMAC-SHA-256 32B)`, so
//! `POST /nonce` writes nothing and scales like a static page. Single use is enforced where
//! it matters, at the credential endpoint: the nonce's SHA-256 goes into the used-nonce
//! ledger (the append's side effects, see `store::SideEffects`) and a second use is `invalid_nonce`. Ledger
//! entries are purged once their nonce has expired, since an expired nonce is refused by
//! its MAC'd expiry anyway.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::errors::{ErrorCode, WalletError};
use crate::crypto::server_secret::ServerSecret;
use crate::crypto::{random_bytes, sha256};
use crate::http::state::WalletApi;

/// Domain separation of the nonce MAC.
const MAC_LABEL: &str = "c-nonce";
/// Bytes before the MAC: expiry and randomness.
const BODY_LEN: usize = 8 + 16;
/// Decoded length.
const NONCE_LEN: usize = BODY_LEN + 32;

/// A fresh nonce valid for `ttl_seconds` from `now`.
pub fn mint(secret: &ServerSecret, now: DateTime<Utc>, ttl_seconds: u64) -> String {
    let expires_at = now.timestamp() + i64::try_from(ttl_seconds).unwrap_or(i64::MAX / 2);
    let mut bytes = Vec::with_capacity(NONCE_LEN);
    bytes.extend_from_slice(&expires_at.to_be_bytes());
    bytes.extend_from_slice(&random_bytes::<16>());
    let mac = secret.mac(MAC_LABEL, &[&bytes]);
    bytes.extend_from_slice(&mac);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A nonce that is ours and not expired; not yet consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidNonce {
    /// Key of the used-nonce ledger: SHA-256 of the nonce text.
    pub ledger_key: [u8; 32],
    /// When the nonce expires (how long the ledger must remember it).
    pub expires_at: DateTime<Utc>,
}

/// Checks a nonce's MAC and expiry (`invalid_nonce` otherwise, OID4VCI 1.0 §8.3.1.2).
pub fn check(
    secret: &ServerSecret,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<ValidNonce, WalletError> {
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidNonce, reason);
    let bytes = URL_SAFE_NO_PAD
        .decode(nonce)
        .map_err(|_| invalid("the proof nonce is not a c_nonce of this issuer"))?;
    if bytes.len() != NONCE_LEN {
        return Err(invalid("the proof nonce is not a c_nonce of this issuer"));
    }
    let (body, mac) = bytes.split_at(BODY_LEN);
    if !bool::from(secret.mac(MAC_LABEL, &[body]).ct_eq(mac)) {
        return Err(invalid("the proof nonce is not a c_nonce of this issuer"));
    }
    let mut expiry = [0u8; 8];
    expiry.copy_from_slice(&body[..8]);
    let expires_at = Utc
        .timestamp_opt(i64::from_be_bytes(expiry), 0)
        .single()
        .ok_or_else(|| invalid("the proof nonce is not a c_nonce of this issuer"))?;
    if now >= expires_at {
        return Err(invalid("the c_nonce has expired; fetch a new one"));
    }
    Ok(ValidNonce {
        ledger_key: sha256(nonce.as_bytes()).0,
        expires_at,
    })
}

/// `invalid_nonce` for a nonce found in the used-nonce ledger.
pub fn reused() -> WalletError {
    WalletError::new(
        ErrorCode::InvalidNonce,
        "the c_nonce was already used; fetch a new one",
    )
}

/// `POST /nonce` → `{"c_nonce": ...}`, never cached (§7.2).
pub async fn nonce(state: web::Data<WalletApi>) -> HttpResponse {
    let c_nonce = mint(
        &state.server_secret,
        state.clock.now(),
        state.settings.tokens.nonce_ttl,
    );
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "c_nonce": c_nonce }))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn secret() -> ServerSecret {
        ServerSecret::from_bytes([9; 32])
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn a_fresh_nonce_checks_until_it_expires() {
        let nonce = mint(&secret(), now(), 300);
        let valid = check(&secret(), &nonce, now() + Duration::seconds(299)).unwrap();
        assert_eq!(valid.expires_at, now() + Duration::seconds(300));
        let expired = check(&secret(), &nonce, now() + Duration::seconds(300)).unwrap_err();
        assert_eq!(expired.code(), Some(ErrorCode::InvalidNonce));
    }

    #[test]
    fn nonces_are_unique_and_unforgeable() {
        let a = mint(&secret(), now(), 300);
        assert_ne!(a, mint(&secret(), now(), 300));
        assert!(check(&ServerSecret::from_bytes([1; 32]), &a, now()).is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&a).unwrap();
        bytes[0] ^= 0x40; // a later expiry
        assert!(check(&secret(), &URL_SAFE_NO_PAD.encode(bytes), now()).is_err());
        assert!(check(&secret(), "c-nonce-1", now()).is_err());
    }
}
