//! Verification of DPoP proofs (RFC 9449 §4.3): a JWT of `typ` `dpop+jwt`, signed by the
//! public key in its `jwk` header, naming the HTTP method (`htm`) and URI (`htu`) of the
//! request it accompanies, when it was made (`iat`), a unique `jti`, and — at a resource
//! server — the hash of the access token (`ath`).
//!
//! The `jti` is returned, not checked for reuse: the caller records it in its replay
//! ledger for as long as the proof's `iat` is acceptable.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwk::Jwk;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::jwk::thumbprint;
use crate::proof::{check_issued_at, verify_signed_by_header_jwk, ProofError};

/// The DPoP proof `typ` header value (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// Longest accepted `jti`.
const MAX_JTI_LEN: usize = 256;

/// What a DPoP proof must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct DpopExpectations<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URI without query and fragment (`htu`).
    pub uri: &'a str,
    /// At a resource server: the access token the proof must be bound to (`ath`).
    pub access_token: Option<&'a str>,
    /// Current time, Unix seconds.
    pub now: i64,
    /// Oldest acceptable `iat`: `now - max_age_seconds`.
    pub max_age_seconds: i64,
    /// Newest acceptable `iat`: `now + max_future_skew_seconds`.
    pub max_future_skew_seconds: i64,
    /// `dpop_signing_alg_values_supported`.
    pub allowed_algs: &'a [&'a str],
}

/// A proof that passed every check but the `jti` replay check, which the caller does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDpopProof {
    /// The proof's public key.
    pub jwk: Jwk,
    /// RFC 7638 thumbprint of `jwk`: what a token is bound to (`cnf.jkt`, `dpop_jkt`).
    pub thumbprint: String,
    /// The proof's unique identifier.
    pub jti: String,
    /// The `iat` claim, Unix seconds.
    pub issued_at: i64,
    /// The `nonce` claim (RFC 9449 §8), when the proof has one: the caller checks it
    /// against the nonces it provides.
    pub nonce: Option<String>,
}

/// Verifies a DPoP proof against `expect` (RFC 9449 §4.3, steps 1–11 except the `jti`
/// replay check and server nonces).
pub fn verify_dpop_proof(
    jwt: &str,
    expect: &DpopExpectations,
) -> Result<VerifiedDpopProof, ProofError> {
    let (jwk, claims) = verify_signed_by_header_jwk(jwt, DPOP_TYP, expect.allowed_algs)?;
    let jti = match claims.get("jti") {
        Some(Value::String(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => jti.clone(),
        _ => return Err(ProofError::Claim("jti must be a non-empty string".into())),
    };
    if string_claim(&claims, "htm")? != expect.method {
        return Err(ProofError::Claim(
            "htm does not match the request method".into(),
        ));
    }
    if !same_uri(&string_claim(&claims, "htu")?, expect.uri) {
        return Err(ProofError::Claim(
            "htu does not match the request URI".into(),
        ));
    }
    let issued_at = check_issued_at(
        &claims,
        expect.now,
        expect.max_age_seconds,
        expect.max_future_skew_seconds,
    )?;
    if let Some(token) = expect.access_token {
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if string_claim(&claims, "ath")? != expected {
            return Err(ProofError::Claim(
                "ath does not match the access token".into(),
            ));
        }
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(nonce)) => Some(nonce.clone()),
        Some(_) => return Err(ProofError::Claim("nonce must be a string".into())),
    };
    let thumbprint = thumbprint(&jwk).map_err(|e| ProofError::Key(e.to_string()))?;
    Ok(VerifiedDpopProof {
        jwk,
        thumbprint,
        jti,
        issued_at,
        nonce,
    })
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Result<String, ProofError> {
    match claims.get(name) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(ProofError::Claim(format!("{name} must be a string"))),
    }
}

/// RFC 9449 §4.3 step 9: the URIs are equal after syntax-based normalisation (RFC 3986
/// §6.2.2: case of scheme and host, default port), ignoring query and fragment.
fn same_uri(presented: &str, expected: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(presented), url::Url::parse(expected)) else {
        return false;
    };
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
}

#[cfg(test)]
mod tests {
    use josekit::jwk::alg::ec::EcCurve;
    use josekit::jws::{JwsHeader, ES256};
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;
    const URI: &str = "https://issuer.example/tenant/credential";

    fn key() -> Jwk {
        Jwk::generate_ec_key(EcCurve::P256).unwrap()
    }

    fn sign(key: &Jwk, header: Value, claims: Value) -> String {
        let mut header = header.as_object().unwrap().clone();
        header
            .entry("jwk")
            .or_insert_with(|| Value::Object(key.to_public_key().unwrap().as_ref().clone()));
        let header = JwsHeader::from_map(header).unwrap();
        let signer = ES256.signer_from_jwk(key).unwrap();
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
    }

    fn claims() -> Value {
        json!({"jti": "j-1", "htm": "POST", "htu": URI, "iat": NOW,
               "ath": URL_SAFE_NO_PAD.encode(Sha256::digest(b"token"))})
    }

    fn expect() -> DpopExpectations<'static> {
        DpopExpectations {
            method: "POST",
            uri: URI,
            access_token: Some("token"),
            now: NOW,
            max_age_seconds: 60,
            max_future_skew_seconds: 10,
            allowed_algs: &["ES256"],
        }
    }

    #[test]
    fn a_valid_proof_yields_its_key_thumbprint_and_jti() {
        let key = key();
        let proof = sign(&key, json!({"typ": DPOP_TYP}), claims());
        let verified = verify_dpop_proof(&proof, &expect()).unwrap();
        assert_eq!(verified.thumbprint, thumbprint(&key).unwrap());
        assert_eq!(verified.jti, "j-1");
        // The htu is compared normalised and without its query.
        let normalised = DpopExpectations {
            uri: "HTTPS://Issuer.Example:443/tenant/credential",
            ..expect()
        };
        assert!(verify_dpop_proof(&proof, &normalised).is_ok());
        let mut with_query = claims();
        with_query["htu"] = json!(format!("{URI}?x=1"));
        assert!(
            verify_dpop_proof(&sign(&key, json!({"typ": DPOP_TYP}), with_query), &expect()).is_ok()
        );
    }

    #[test]
    fn proofs_for_another_request_time_or_token_are_refused() {
        let key = key();
        let changes: Vec<(&str, Value)> = vec![
            ("htm", json!("GET")),
            ("htu", json!("https://issuer.example/tenant/token")),
            ("htu", json!("https://other.example/tenant/credential")),
            ("iat", json!(NOW - 61)),
            ("iat", json!(NOW + 11)),
            (
                "ath",
                json!(URL_SAFE_NO_PAD.encode(Sha256::digest(b"other"))),
            ),
            ("jti", json!("")),
            ("jti", json!(7)),
        ];
        for (claim, value) in changes {
            let mut claims = claims();
            claims[claim] = value.clone();
            let proof = sign(&key, json!({"typ": DPOP_TYP}), claims);
            assert!(
                verify_dpop_proof(&proof, &expect()).is_err(),
                "{claim}: {value}"
            );
        }
        let mut without_ath = claims();
        without_ath.as_object_mut().unwrap().remove("ath");
        let proof = sign(&key, json!({"typ": DPOP_TYP}), without_ath);
        assert!(verify_dpop_proof(&proof, &expect()).is_err());
        // At the token endpoint no access token exists yet: no ath is needed.
        let at_token_endpoint = DpopExpectations {
            access_token: None,
            ..expect()
        };
        assert!(verify_dpop_proof(&proof, &at_token_endpoint).is_ok());
    }

    #[test]
    fn proofs_with_a_wrong_type_key_or_signature_are_refused() {
        let key = key();
        let wrong_typ = sign(&key, json!({"typ": "jwt"}), claims());
        assert!(matches!(
            verify_dpop_proof(&wrong_typ, &expect()),
            Err(ProofError::Type(_))
        ));
        let private = sign(
            &key,
            json!({"typ": DPOP_TYP, "jwk": Value::Object(key.as_ref().clone())}),
            claims(),
        );
        assert!(matches!(
            verify_dpop_proof(&private, &expect()),
            Err(ProofError::Key(_))
        ));
        let other = self::key();
        let foreign = sign(
            &other,
            json!({"typ": DPOP_TYP, "jwk": Value::Object(key.to_public_key().unwrap().as_ref().clone())}),
            claims(),
        );
        assert!(matches!(
            verify_dpop_proof(&foreign, &expect()),
            Err(ProofError::Signature(_))
        ));
    }
}
