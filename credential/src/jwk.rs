//! JWK helpers josekit lacks: the RFC 7638 thumbprint and the "is this really a public key"
//! check every key that arrives from a wallet must pass.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
// Members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1),
// listed once for every JWK the engine accepts (holder keys here, issuer keys in the domain).
use issuance_domain::issuer::PRIVATE_JWK_MEMBERS as PRIVATE_MEMBERS;
use josekit::jwk::Jwk;
use sha2::{Digest, Sha256};

/// Why a JWK was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    /// The key type has no thumbprint definition here (only EC, OKP and RSA do).
    #[error("unsupported key type {0:?}")]
    UnsupportedKeyType(String),
    /// A member RFC 7638 requires for this key type is absent or not a string.
    #[error("JWK member {0:?} is missing or not a string")]
    MissingMember(&'static str),
    /// The JWK carries private key material.
    #[error("JWK contains the private member {0:?}; only public keys are accepted")]
    PrivateMember(&'static str),
}

/// RFC 7638 JWK SHA-256 thumbprint, base64url without padding.
///
/// Only the required members of the key type take part, serialised with sorted keys and no
/// whitespace (RFC 7638 §3.2), so `kid`, `alg`, `use` and private members never change it.
pub fn thumbprint(jwk: &Jwk) -> Result<String, JwkError> {
    let required: &[&'static str] = match jwk.key_type() {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "RSA" => &["e", "kty", "n"],
        other => return Err(JwkError::UnsupportedKeyType(other.to_owned())),
    };
    let mut members = BTreeMap::new();
    for name in required {
        let value = jwk
            .parameter(name)
            .and_then(|v| v.as_str())
            .ok_or(JwkError::MissingMember(name))?;
        members.insert(*name, value);
    }
    // A BTreeMap of strings always serialises; the fallback only satisfies the type.
    let canonical = serde_json::to_string(&members).unwrap_or_default();
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// Refuses a JWK that holds any private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`) or a
/// symmetric secret (`k`). A wallet that sends its private key has leaked it; accepting
/// such a key as a holder key would also let anyone who sees the credential use it.
pub fn ensure_public(jwk: &Jwk) -> Result<(), JwkError> {
    match PRIVATE_MEMBERS
        .iter()
        .find(|name| jwk.parameter(name).is_some())
    {
        Some(name) => Err(JwkError::PrivateMember(name)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwk(value: serde_json::Value) -> Jwk {
        Jwk::from_bytes(value.to_string()).unwrap()
    }

    #[test]
    fn rsa_thumbprint_matches_rfc_7638_example() {
        let key = jwk(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }));
        assert_eq!(
            thumbprint(&key).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn thumbprint_ignores_optional_and_private_members() {
        let private = Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
        let mut public = private.to_public_key().unwrap();
        public.set_key_id("something");
        public.set_algorithm("ES256");
        assert_eq!(thumbprint(&private).unwrap(), thumbprint(&public).unwrap());
    }

    #[test]
    fn okp_thumbprint_uses_crv_kty_x() {
        let ed = Jwk::generate_ed_key(josekit::jwk::alg::ed::EdCurve::Ed25519).unwrap();
        let x = ed.parameter("x").unwrap().as_str().unwrap();
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(
            format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#).as_bytes(),
        ));
        assert_eq!(thumbprint(&ed).unwrap(), expected);
    }

    #[test]
    fn thumbprint_rejects_unknown_type_and_missing_member() {
        assert_eq!(
            thumbprint(&jwk(json!({"kty": "oct", "k": "AAAA"}))),
            Err(JwkError::UnsupportedKeyType("oct".into()))
        );
        assert_eq!(
            thumbprint(&jwk(json!({"kty": "EC", "crv": "P-256", "x": "AAAA"}))),
            Err(JwkError::MissingMember("y"))
        );
    }

    #[test]
    fn ensure_public_rejects_every_private_member() {
        let private = Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
        assert_eq!(ensure_public(&private), Err(JwkError::PrivateMember("d")));
        assert_eq!(ensure_public(&private.to_public_key().unwrap()), Ok(()));
        for member in PRIVATE_MEMBERS {
            let mut key = private.to_public_key().unwrap();
            let value = if *member == "oth" {
                json!([])
            } else {
                json!("AAAA")
            };
            let mut map = key.as_ref().clone();
            map.insert((*member).to_owned(), value);
            key = Jwk::from_map(map).unwrap();
            assert_eq!(ensure_public(&key), Err(JwkError::PrivateMember(member)));
        }
    }
}
