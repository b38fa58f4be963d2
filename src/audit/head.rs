//! Signed audit heads: the chain's latest position and hash, signed as a compact JWS with
//! the issuer's key (`typ` [`HEAD_TYP`]).
//!
//! An auditor who keeps a signed head can later prove the chain was not rewritten: any
//! change to an entry at or before the head's position changes the hash at that position
//! (every hash covers its predecessor), and the signature shows the head came from the
//! issuer. Verification needs only the issuer's published JWKS.

use chrono::{DateTime, Utc};
use issuance_credential::{IssuerKeys, SignError};
use issuance_projections::audit::{from_hex, ChainTip, CHAIN_FORMAT};
use serde::{Deserialize, Serialize};

/// The JWS `typ` of a signed head.
pub const HEAD_TYP: &str = "audit-head+jwt";

/// The payload of a signed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadClaims {
    /// The Credential Issuer Identifier.
    pub iss: String,
    /// When it was signed (seconds since the epoch).
    pub iat: i64,
    /// The chain format, [`CHAIN_FORMAT`].
    pub chain: String,
    /// The position of the latest entry (0 for an empty chain).
    pub position: u64,
    /// That entry's hash (the genesis hash for an empty chain).
    pub hash: String,
}

/// Why a presented head was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    /// Not a JWS of ours: malformed, unknown key, bad signature.
    #[error(transparent)]
    Signature(#[from] SignError),
    /// A JWS of ours that is not an audit head (wrong `typ`, format or fields).
    #[error("not an audit head: {0}")]
    NotAHead(String),
}

/// Signs `tip` as of `now`.
pub fn sign_head(
    keys: &IssuerKeys,
    issuer: &str,
    tip: &ChainTip,
    now: DateTime<Utc>,
) -> Result<(HeadClaims, String), SignError> {
    let claims = HeadClaims {
        iss: issuer.to_string(),
        iat: now.timestamp(),
        chain: CHAIN_FORMAT.to_string(),
        position: tip.position,
        hash: tip.hash.clone(),
    };
    let payload =
        serde_json::to_value(&claims).map_err(|e| SignError::Serialization(e.to_string()))?;
    let jws = keys.sign_compact_jws(HEAD_TYP, &payload)?;
    Ok((claims, jws))
}

/// Verifies a signed head with the issuer's keys and returns its claims.
pub fn verify_head(keys: &IssuerKeys, jws: &str) -> Result<HeadClaims, HeadError> {
    let payload = keys.verify_compact_jws(jws.trim())?;
    let typ = header_typ(jws.trim());
    if typ.as_deref() != Some(HEAD_TYP) {
        return Err(HeadError::NotAHead(format!("typ is {typ:?}")));
    }
    let claims: HeadClaims =
        serde_json::from_value(payload).map_err(|e| HeadError::NotAHead(e.to_string()))?;
    if claims.chain != CHAIN_FORMAT {
        return Err(HeadError::NotAHead(format!(
            "chain format {} is not {CHAIN_FORMAT}",
            claims.chain
        )));
    }
    if from_hex(&claims.hash).is_none() {
        return Err(HeadError::NotAHead("hash is not a hex SHA-256".into()));
    }
    Ok(claims)
}

fn header_typ(jws: &str) -> Option<String> {
    use base64::Engine;
    let header = jws.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    header.get("typ")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn tip() -> ChainTip {
        ChainTip {
            position: 7,
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn a_signed_head_verifies_and_round_trips() {
        let keys = IssuerKeys::ephemeral().unwrap();
        let (claims, jws) = sign_head(&keys, "https://issuer.example", &tip(), at()).unwrap();
        assert_eq!(verify_head(&keys, &jws).unwrap(), claims);
        assert_eq!(claims.position, 7);
        assert_eq!(claims.chain, CHAIN_FORMAT);
    }

    #[test]
    fn another_issuers_head_or_another_typ_is_rejected() {
        let keys = IssuerKeys::ephemeral().unwrap();
        let (_, jws) = sign_head(&keys, "https://issuer.example", &tip(), at()).unwrap();
        let other = IssuerKeys::ephemeral().unwrap();
        assert!(verify_head(&other, &jws).is_err());
        let not_a_head = keys
            .sign_compact_jws(
                "example+jwt",
                &serde_json::to_value(tip().position).unwrap(),
            )
            .unwrap();
        assert!(matches!(
            verify_head(&keys, &not_a_head),
            Err(HeadError::NotAHead(_)) | Err(HeadError::Signature(_))
        ));
    }
}
