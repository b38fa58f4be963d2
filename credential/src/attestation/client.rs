//! Wallet attestations as client authentication (OAuth 2.0 Attestation-Based Client
//! Authentication, draft -07 §4–§5): the `OAuth-Client-Attestation` JWT, issued by the
//! wallet provider to a wallet instance and bound to its key (`cnf.jwk`), and the
//! `OAuth-Client-Attestation-PoP` JWT, signed with that key for this authorization server.
//!
//! The PoP's `jti` is returned, not checked for reuse: the caller records it in its
//! replay ledger for as long as the PoP's `iat` is acceptable.

use josekit::jwk::Jwk;
use serde_json::Value;

use super::{string_claim, verify_attested_jwt, AttestationError, TrustAnchors};
use crate::jwk::{ensure_public, thumbprint};
use crate::proof::{check_issued_at, verify_signed_with_jwk, ProofError};

/// `typ` of the client attestation JWT (draft -07 §5.1).
pub const CLIENT_ATTESTATION_TYP: &str = "oauth-client-attestation+jwt";
/// `typ` of the client attestation PoP JWT (draft -07 §5.2).
pub const CLIENT_ATTESTATION_POP_TYP: &str = "oauth-client-attestation-pop+jwt";

/// Longest accepted PoP `jti`.
const MAX_JTI_LEN: usize = 256;

/// What a client attestation and its PoP must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct ClientAttestationExpectations<'a> {
    /// The anchors the attestation's `x5c` must lead to.
    pub anchors: &'a TrustAnchors,
    /// The authorization server's issuer identifier: the PoP's `aud`.
    pub audience: &'a str,
    /// The `client_id` of the request, when it has one: the attestation's `sub` must
    /// equal it.
    pub client_id: Option<&'a str>,
    /// A challenge the server issued, which the PoP must carry.
    pub challenge: Option<&'a str>,
    /// Current time, Unix seconds.
    pub now: i64,
    /// Oldest acceptable PoP `iat`: `now - pop_max_age_seconds`.
    pub pop_max_age_seconds: i64,
    /// Newest acceptable PoP `iat`: `now + max_future_skew_seconds`.
    pub max_future_skew_seconds: i64,
    /// Algorithms the PoP may be signed with.
    pub pop_algs: &'a [&'a str],
}

/// A wallet instance that authenticated with its attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClientAttestation {
    /// The wallet provider (the attestation's `iss`).
    pub provider: String,
    /// The client identifier (the attestation's `sub`).
    pub client_id: String,
    /// RFC 7638 thumbprint of the wallet instance key (`cnf.jwk`).
    pub instance_key_thumbprint: String,
    /// The PoP's `jti`, for the caller's replay ledger.
    pub pop_jti: String,
    /// The PoP's `iat`, Unix seconds.
    pub pop_issued_at: i64,
    /// The PoP's `challenge` claim, when it has one (the caller checks that it is one of
    /// its current challenges).
    pub challenge: Option<String>,
}

/// Verifies a client attestation and its proof of possession (draft -07 §5.1, §5.2).
pub fn verify_client_attestation(
    attestation: &str,
    pop: &str,
    expect: &ClientAttestationExpectations,
) -> Result<VerifiedClientAttestation, AttestationError> {
    let claims = &verify_attested_jwt(
        attestation,
        CLIENT_ATTESTATION_TYP,
        expect.anchors,
        expect.now,
    )?;
    let provider = string_claim(claims, "iss")?;
    let client_id = string_claim(claims, "sub")?;
    if expect
        .client_id
        .is_some_and(|expected| expected != client_id)
    {
        return Err(AttestationError::Subject(
            "the attestation sub must equal the client_id".into(),
        ));
    }
    let instance_key = claims
        .get("cnf")
        .and_then(|cnf| cnf.get("jwk"))
        .and_then(Value::as_object)
        .ok_or_else(|| AttestationError::Claim("the cnf.jwk claim is required".into()))
        .and_then(|members| {
            Jwk::from_map(members.clone())
                .map_err(|_| AttestationError::Key("cnf.jwk is not a valid JWK".into()))
        })?;
    ensure_public(&instance_key).map_err(|e| AttestationError::Key(e.to_string()))?;
    let instance_key_thumbprint =
        thumbprint(&instance_key).map_err(|e| AttestationError::Key(e.to_string()))?;

    let pop_claims = verify_signed_with_jwk(
        pop,
        CLIENT_ATTESTATION_POP_TYP,
        expect.pop_algs,
        &instance_key,
    )
    .map_err(pop_error)?;
    let audience_ok = match pop_claims.get("aud") {
        Some(Value::String(aud)) => aud == expect.audience,
        Some(Value::Array(values)) => values.iter().any(|v| v.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(AttestationError::Audience(
            "the attestation PoP aud must be this authorization server's issuer identifier".into(),
        ));
    }
    let pop_jti = match pop_claims.get("jti") {
        Some(Value::String(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => jti.clone(),
        _ => {
            return Err(AttestationError::Claim(
                "the attestation PoP needs a jti".into(),
            ))
        }
    };
    let pop_issued_at = check_issued_at(
        &pop_claims,
        expect.now,
        expect.pop_max_age_seconds,
        expect.max_future_skew_seconds,
    )
    .map_err(|e| AttestationError::IssuedAt(format!("attestation PoP: {e}")))?;
    let challenge = match pop_claims.get("challenge") {
        None => None,
        Some(Value::String(challenge)) => Some(challenge.clone()),
        Some(_) => {
            return Err(AttestationError::Claim(
                "the attestation PoP challenge must be a string".into(),
            ))
        }
    };
    if let Some(expected) = expect.challenge {
        if challenge.as_deref() != Some(expected) {
            return Err(AttestationError::Challenge(
                "the attestation PoP must carry the server's challenge".into(),
            ));
        }
    }
    Ok(VerifiedClientAttestation {
        provider,
        client_id,
        instance_key_thumbprint,
        pop_jti,
        pop_issued_at,
        challenge,
    })
}

/// A PoP refused by the shared JWT checks.
fn pop_error(error: ProofError) -> AttestationError {
    match error {
        ProofError::Signature(_) | ProofError::Key(_) => AttestationError::Signature(
            "the attestation PoP is not signed by the attested key (cnf.jwk)".into(),
        ),
        ProofError::Type(reason) => AttestationError::Type(reason),
        ProofError::Algorithm(reason) => AttestationError::Algorithm(reason),
        other => AttestationError::Malformed(format!("attestation PoP: {other}")),
    }
}
