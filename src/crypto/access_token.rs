//! Access tokens: opaque to the wallet, self-describing to us.
//!
//! `base64url(offer_id 16B ‖ redemption_id 16B ‖ expiry 8B ‖ HMAC-SHA-256 32B)`, MAC'd with
//! the server secret. The credential and notification endpoints read the offer id out of
//! the token, so no token index exists; a forged or expired token is refused before any
//! store is touched. The aggregate remains the authority: it holds the token's SHA-256
//! (`OfferRedeemed.token_hash`) and compares it in constant time, so revoking the offer
//! revokes the token at once. Lifetime: `tokens.access_token_ttl` (≤ 300 s, OID4VCI 1.0
//! §13.10 for tokens that are not sender-constrained).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use issuance_domain::Digest;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::crypto::server_secret::ServerSecret;
use crate::crypto::sha256;

/// Why a presented token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Malformed, forged, or MAC'd with another secret.
    #[error("the access token is not valid")]
    Invalid,
    /// Past its expiry.
    #[error("the access token has expired")]
    Expired,
}

/// Domain separation of the token MAC.
const MAC_LABEL: &str = "access-token";
/// Bytes before the MAC: offer id, redemption id, expiry.
const BODY_LEN: usize = 16 + 16 + 8;
/// Decoded length.
const TOKEN_LEN: usize = BODY_LEN + 32;

/// A token that passed its MAC and expiry checks.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The offer it was granted for.
    pub offer_id: Uuid,
    /// The redemption (`OfferRedeemed.redemption_id`) it belongs to.
    pub redemption_id: Uuid,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// SHA-256 of the token text, as recorded in `OfferRedeemed.token_hash`.
    pub hash: Digest,
    /// RFC 7638 thumbprint of the key of the DPoP proof the token was presented with
    /// (`Authorization: DPoP`, RFC 9449 §7); `None` for the `Bearer` scheme. The aggregate
    /// compares it with the token's binding.
    pub dpop_jkt: Option<String>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("offer_id", &self.offer_id)
            .field("redemption_id", &self.redemption_id)
            .field("expires_at", &self.expires_at)
            .field("dpop_jkt", &self.dpop_jkt)
            .finish_non_exhaustive()
    }
}

/// A new access token and its SHA-256.
pub fn mint(
    secret: &ServerSecret,
    offer_id: Uuid,
    redemption_id: Uuid,
    expires_at: DateTime<Utc>,
) -> (String, Digest) {
    let mut bytes = Vec::with_capacity(TOKEN_LEN);
    bytes.extend_from_slice(offer_id.as_bytes());
    bytes.extend_from_slice(redemption_id.as_bytes());
    bytes.extend_from_slice(&expires_at.timestamp().to_be_bytes());
    let mac = secret.mac(MAC_LABEL, &[&bytes]);
    bytes.extend_from_slice(&mac);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = sha256(token.as_bytes());
    (token, hash)
}

/// Checks a presented token's MAC and expiry.
pub fn open(
    secret: &ServerSecret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<AccessToken, TokenError> {
    let invalid = || TokenError::Invalid;
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    if bytes.len() != TOKEN_LEN {
        return Err(invalid());
    }
    let (body, mac) = bytes.split_at(BODY_LEN);
    let expected = secret.mac(MAC_LABEL, &[body]);
    if !bool::from(expected.ct_eq(mac)) {
        return Err(invalid());
    }
    let (offer_id, rest) = body.split_at(16);
    let (redemption_id, expiry) = rest.split_at(16);
    let offer_id = Uuid::from_slice(offer_id).map_err(|_| invalid())?;
    let redemption_id = Uuid::from_slice(redemption_id).map_err(|_| invalid())?;
    let expiry = i64::from_be_bytes(expiry.try_into().map_err(|_| invalid())?);
    let expires_at = Utc.timestamp_opt(expiry, 0).single().ok_or_else(invalid)?;
    if now >= expires_at {
        return Err(TokenError::Expired);
    }
    Ok(AccessToken {
        offer_id,
        redemption_id,
        expires_at,
        hash: sha256(token.as_bytes()),
        dpop_jkt: None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn secret() -> ServerSecret {
        ServerSecret::from_bytes([5; 32])
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn a_minted_token_opens_to_its_offer_and_redemption() {
        let (offer, redemption) = (Uuid::new_v4(), Uuid::new_v4());
        let (token, hash) = mint(&secret(), offer, redemption, now() + Duration::seconds(300));
        assert_eq!(token.len(), 96);
        let opened = open(&secret(), &token, now()).unwrap();
        assert_eq!(opened.offer_id, offer);
        assert_eq!(opened.redemption_id, redemption);
        assert_eq!(opened.expires_at, now() + Duration::seconds(300));
        assert!(opened.hash.ct_eq(&hash));
    }

    #[test]
    fn expired_forged_and_foreign_tokens_are_refused() {
        let (token, _) = mint(&secret(), Uuid::new_v4(), Uuid::new_v4(), now());
        assert!(
            open(&secret(), &token, now()).is_err(),
            "expired at its expiry"
        );
        assert!(open(
            &ServerSecret::from_bytes([6; 32]),
            &token,
            now() - Duration::seconds(1)
        )
        .is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[20] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(bytes);
        assert!(open(&secret(), &forged, now() - Duration::seconds(1)).is_err());
        assert!(open(&secret(), "not a token", now()).is_err());
    }
}
