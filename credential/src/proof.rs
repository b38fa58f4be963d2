//! Verification of OpenID4VCI 1.0 `jwt` proofs of possession (Appendix F.1, F.4).
//!
//! The wallet's key arrives in the proof's own header, so nothing here is cached: every
//! call parses the header, checks it, builds a verifier for that one key and drops it.
//! The `c_nonce` is returned, not checked: the caller consumes it atomically in its store.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwk::Jwk;
use josekit::jws::alg::ecdsa::EcdsaJwsAlgorithm;
use josekit::jws::{EdDSA, JwsVerifier, ES256, ES384, ES512};
use serde_json::{Map, Value};

use crate::jwk::{ensure_public, thumbprint};

mod checks;
pub(crate) use checks::check_issued_at;
use checks::{check_audience, check_expiry, check_issuer, decode_header, header_jwk, verifier_for};

/// The proof JWT `typ` header value (Appendix F.1).
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";

/// Proofs are small (a header JWK and four claims); anything far larger is not one.
const MAX_PROOF_BYTES: usize = 16 * 1024;

/// What a proof must satisfy, from the issuer's metadata, the request and the clock.
#[derive(Debug, Clone, Copy)]
pub struct ProofExpectations<'a> {
    /// The Credential Issuer Identifier; `aud` must be (or contain) it.
    pub audience: &'a str,
    /// Current time, Unix seconds.
    pub now: i64,
    /// Oldest acceptable `iat`: `now - max_age_seconds`.
    pub max_age_seconds: i64,
    /// Newest acceptable `iat`: `now + max_future_skew_seconds` (clock skew, §13.8).
    pub max_future_skew_seconds: i64,
    /// `proof_signing_alg_values_supported`; algorithms this module cannot verify are
    /// refused even when listed.
    pub allowed_algs: &'a [&'a str],
    /// The authenticated client; when set, an `iss` claim must equal it.
    pub client_id: Option<&'a str>,
}

/// A proof that passed every check except the nonce, which the caller checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The holder's public key from the `jwk` header, to bind the credential to (`cnf`).
    pub holder_jwk: Jwk,
    /// RFC 7638 thumbprint of `holder_jwk`.
    pub thumbprint: String,
    /// The `nonce` claim. [`verify_proof_jwt`] returns [`ProofError::MissingNonce`] when it
    /// is absent, so on success this is always `Some`.
    pub nonce: Option<String>,
    /// The `iat` claim, Unix seconds.
    pub issued_at: i64,
    /// The `key_attestation` header (Appendix D.1), not verified: the caller checks it when
    /// the configuration requires key attestations.
    pub key_attestation: Option<String>,
}

/// Why a proof was refused. Every variant except [`ProofError::MissingNonce`] carries a
/// reason suitable for `error_description` (it names no secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Not a compact JWS with base64url JSON header and payload, or too large.
    #[error("{0}")]
    Malformed(String),
    /// `typ` is absent or not `openid4vci-proof+jwt`.
    #[error("{0}")]
    Type(String),
    /// `alg` is absent, `none`, not allowed, or not supported.
    #[error("{0}")]
    Algorithm(String),
    /// The key is not given as exactly one `jwk` (`kid` and `x5c` are not resolved).
    #[error("{0}")]
    KeySource(String),
    /// The header JWK is private, malformed, or does not fit `alg`.
    #[error("{0}")]
    Key(String),
    /// The signature does not verify with the header JWK.
    #[error("{0}")]
    Signature(String),
    /// `aud` is absent or does not name this issuer.
    #[error("{0}")]
    Audience(String),
    /// `iat` is absent, not a number, too old or too far in the future.
    #[error("{0}")]
    IssuedAt(String),
    /// `exp` is present and in the past.
    #[error("{0}")]
    Expired(String),
    /// `iss` does not equal the authenticated client.
    #[error("{0}")]
    Issuer(String),
    /// A claim has the wrong JSON type.
    #[error("{0}")]
    Claim(String),
    /// The proof has no `nonce` claim (checked last: every other check has passed).
    #[error("proof has no nonce claim")]
    MissingNonce,
}

/// Verifies a `jwt` proof against `expect`; see the module docs for what is checked.
pub fn verify_proof_jwt(
    jwt: &str,
    expect: &ProofExpectations,
) -> Result<VerifiedProof, ProofError> {
    let (holder_jwk, claims) = verify_signed_by_header_jwk(jwt, PROOF_TYP, expect.allowed_algs)?;
    check_audience(&claims, expect.audience)?;
    let issued_at = check_issued_at(
        &claims,
        expect.now,
        expect.max_age_seconds,
        expect.max_future_skew_seconds,
    )?;
    check_expiry(&claims, expect)?;
    check_issuer(&claims, expect.client_id)?;
    let nonce = match claims.get("nonce") {
        None => return Err(ProofError::MissingNonce),
        Some(Value::String(nonce)) => nonce.clone(),
        Some(_) => return Err(ProofError::Claim("nonce must be a string".into())),
    };

    let key_attestation = match decode_header(jwt)?.remove("key_attestation") {
        None => None,
        Some(Value::String(attestation)) => Some(attestation),
        Some(_) => {
            return Err(ProofError::Claim(
                "the key_attestation header must be a JWT".into(),
            ))
        }
    };
    let thumbprint = thumbprint(&holder_jwk).map_err(|e| ProofError::Key(e.to_string()))?;
    Ok(VerifiedProof {
        holder_jwk,
        thumbprint,
        nonce: Some(nonce),
        issued_at,
        key_attestation,
    })
}

/// The checks every JWT signed by the key in its own `jwk` header shares (OID4VCI key
/// proofs, RFC 9449 DPoP proofs): size, `typ`, `alg` (allow-listed, never `none`), no
/// `crit`, exactly one public `jwk` and no other key source, a signature by that key, a
/// JSON object payload. Returns the key and the claims.
pub(crate) fn verify_signed_by_header_jwk(
    jwt: &str,
    typ: &str,
    allowed_algs: &[&str],
) -> Result<(Jwk, Map<String, Value>), ProofError> {
    if jwt.len() > MAX_PROOF_BYTES {
        return Err(ProofError::Malformed(format!(
            "proof is larger than {MAX_PROOF_BYTES} bytes"
        )));
    }
    let header = decode_header(jwt)?;

    // Reasons never echo header values: they are attacker-chosen and end up in
    // `error_description`, whose character set RFC 6749 §5.2 restricts.
    if header.get("typ").and_then(Value::as_str) != Some(typ) {
        return Err(ProofError::Type(format!("typ must be {typ}")));
    }

    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.as_str(),
        _ => return Err(ProofError::Algorithm("alg is missing".into())),
    };
    if alg == "none" {
        return Err(ProofError::Algorithm("alg none is not allowed".into()));
    }
    if !allowed_algs.contains(&alg) {
        return Err(ProofError::Algorithm(format!(
            "alg is not allowed; use one of {}",
            allowed_algs.join(", ")
        )));
    }

    if header.contains_key("crit") {
        // RFC 7515 §4.1.11: unknown critical extensions must be refused; we know none.
        return Err(ProofError::Malformed(
            "crit header parameters are not supported".into(),
        ));
    }
    let jwk = header_jwk(&header)?;
    let claims = verify_signature(jwt, alg, &jwk)?;
    Ok((jwk, claims))
}

/// Verifies a JWT of `typ` signed by a key known beforehand (`jwk`, e.g. the `cnf` key of
/// a client attestation), with the same header checks as
/// [`verify_signed_by_header_jwk`] except the key source. Returns the claims.
pub(crate) fn verify_signed_with_jwk(
    jwt: &str,
    typ: &str,
    allowed_algs: &[&str],
    jwk: &Jwk,
) -> Result<Map<String, Value>, ProofError> {
    if jwt.len() > MAX_PROOF_BYTES {
        return Err(ProofError::Malformed(format!(
            "JWT is larger than {MAX_PROOF_BYTES} bytes"
        )));
    }
    let header = decode_header(jwt)?;
    if header.get("typ").and_then(Value::as_str) != Some(typ) {
        return Err(ProofError::Type(format!("typ must be {typ}")));
    }
    let alg = match header.get("alg") {
        Some(Value::String(alg)) if alg != "none" && allowed_algs.contains(&alg.as_str()) => {
            alg.clone()
        }
        _ => {
            return Err(ProofError::Algorithm(format!(
                "alg must be one of {}",
                allowed_algs.join(", ")
            )))
        }
    };
    if header.contains_key("crit") {
        return Err(ProofError::Malformed(
            "crit header parameters are not supported".into(),
        ));
    }
    verify_signature(jwt, &alg, jwk)
}

/// The claims of `jwt` once its signature verifies with `jwk` under `alg`.
fn verify_signature(jwt: &str, alg: &str, jwk: &Jwk) -> Result<Map<String, Value>, ProofError> {
    let payload = if alg == "ES256" {
        es256::verify(jwt, jwk)?
    } else {
        let verifier = verifier_for(alg, jwk)?;
        let (payload, _) = josekit::jws::deserialize_compact(jwt, &*verifier).map_err(|_| {
            ProofError::Signature("proof signature does not verify with the header jwk".into())
        })?;
        payload
    };
    serde_json::from_slice(&payload)
        .map_err(|_| ProofError::Malformed("proof payload is not a JSON object".into()))
}

/// ES256 verification straight from the JWK's coordinates. josekit builds its verifier by
/// encoding the key as DER and parsing it back through OpenSSL 3's decoder framework, which
/// cost more than the signature check itself on the credential endpoint's hot path.
mod es256 {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use josekit::jwk::Jwk;
    use openssl::bn::{BigNum, BigNumContext};
    use openssl::ec::{EcGroup, EcKey, EcPoint};
    use openssl::ecdsa::EcdsaSig;
    use openssl::nid::Nid;
    use std::sync::OnceLock;

    use super::ProofError;

    fn key_error() -> ProofError {
        ProofError::Key("jwk is not a valid ES256 public key".into())
    }

    /// The 32 bytes of coordinate `name` of a P-256 `jwk`.
    fn coordinate(jwk: &Jwk, name: &str) -> Result<[u8; 32], ProofError> {
        let text = jwk
            .parameter(name)
            .and_then(|v| v.as_str())
            .ok_or_else(key_error)?;
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| key_error())?;
        <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| key_error())
    }

    /// Verifies the compact JWS `jwt` with the P-256 `jwk`; returns the payload bytes.
    pub(super) fn verify(jwt: &str, jwk: &Jwk) -> Result<Vec<u8>, ProofError> {
        if jwk.key_type() != "EC" || jwk.curve() != Some("P-256") {
            return Err(key_error());
        }
        // Building the group is not free; it is immutable, so one serves every proof.
        static GROUP: OnceLock<Option<EcGroup>> = OnceLock::new();
        let group = GROUP
            .get_or_init(|| EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).ok())
            .as_ref()
            .ok_or_else(key_error)?;
        // Decoding an uncompressed point rejects one that is not on the curve (and cannot
        // encode the point at infinity); P-256 has cofactor 1, so every point on the curve
        // is in the signature group. A full `EC_KEY_check_key` would add a scalar
        // multiplication, about as costly as the verification itself.
        let mut encoded = [0u8; 65];
        encoded[0] = 0x04;
        encoded[1..33].copy_from_slice(&coordinate(jwk, "x")?);
        encoded[33..].copy_from_slice(&coordinate(jwk, "y")?);
        let mut context = BigNumContext::new().map_err(|_| key_error())?;
        let point = EcPoint::from_bytes(group, &encoded, &mut context).map_err(|_| key_error())?;
        let key = EcKey::from_public_key(group, &point).map_err(|_| key_error())?;
        let signature_error =
            || ProofError::Signature("proof signature does not verify with the header jwk".into());
        let (signing_input, signature) = jwt.rsplit_once('.').ok_or_else(signature_error)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| signature_error())?;
        if signature.len() != 64 {
            return Err(signature_error());
        }
        let r = BigNum::from_slice(&signature[..32]).map_err(|_| signature_error())?;
        let s = BigNum::from_slice(&signature[32..]).map_err(|_| signature_error())?;
        let signature = EcdsaSig::from_private_components(r, s).map_err(|_| signature_error())?;
        let digest = openssl::sha::sha256(signing_input.as_bytes());
        if !signature
            .verify(&digest, &key)
            .map_err(|_| signature_error())?
        {
            return Err(signature_error());
        }
        let payload = signing_input
            .split_once('.')
            .map(|(_, payload)| payload)
            .ok_or_else(signature_error)?;
        URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| ProofError::Malformed("proof payload is not base64url".into()))
    }
}

#[cfg(test)]
mod tests;
