//! Wallet attestations as client authentication at PAR and the token endpoint (OAuth 2.0
//! Attestation-Based Client Authentication, draft -07; HAIP 1.0 §4.3), when
//! `attestation.trust_anchors` is configured: the `OAuth-Client-Attestation` JWT (signed by
//! the wallet provider, `x5c` to a trust anchor) and the `OAuth-Client-Attestation-PoP`
//! JWT (signed with the attested instance key, for this issuer). Verification lives in the
//! credential crate; here the headers are read and the PoP's `jti` is spent in the
//! used-nonce ledger, so a PoP authenticates one request.
//!
//! A PoP's `challenge`, when present, must be a current challenge of this server
//! ([`super::attestation_challenge`]); with `attestation.challenge_required` every PoP
//! needs one.
//!
//! Errors are 401: `invalid_client` when `attestation.required` and the request has no
//! attestation, `invalid_client_attestation` when one could not be verified, and
//! `use_attestation_challenge` when the PoP lacks a current challenge (§6; the answer's
//! `OAuth-Client-Attestation-Challenge` header has a fresh one).

use actix_web::http::header::HeaderName;
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use issuance_credential::{verify_client_attestation, ClientAttestationExpectations};
use issuance_domain::offer::AttestedWallet;

use super::attestation_challenge;
use crate::http::state::WalletApi;
use crate::http::wallet::errors::{ErrorCode, WalletError};
use crate::http::wallet::metadata::PROOF_SIGNING_ALGS;
use crate::store::NonceUse;

/// The `OAuth-Client-Attestation` request header.
pub const CLIENT_ATTESTATION: HeaderName = HeaderName::from_static("oauth-client-attestation");

/// The `OAuth-Client-Attestation-PoP` request header.
pub const CLIENT_ATTESTATION_POP: HeaderName =
    HeaderName::from_static("oauth-client-attestation-pop");

/// Domain separation of attestation PoP `jti` entries in the used-nonce ledger.
const JTI_LABEL: &[u8] = b"client-attestation-pop-jti\0";

/// The wallet a request authenticated with its attestation; `None` when attestations are
/// not configured, or optional and not sent. `client_id` is the request's, which the
/// attestation's `sub` must equal. The PoP's `jti` is spent here.
pub async fn authenticate(
    state: &WalletApi,
    request: &HttpRequest,
    client_id: Option<&str>,
) -> Result<Option<AttestedWallet>, WalletError> {
    let settings = &state.settings.attestation;
    let Some(anchors) = state.wallet.trust_anchors.as_deref() else {
        return Ok(None);
    };
    let invalid = |reason: &str| {
        WalletError::new(ErrorCode::InvalidClientAttestation, reason)
            .with_status(StatusCode::UNAUTHORIZED)
    };
    let (attestation, pop) = match (
        single_header(request, &CLIENT_ATTESTATION),
        single_header(request, &CLIENT_ATTESTATION_POP),
    ) {
        (Header::Absent, Header::Absent) if settings.required => {
            return Err(WalletError::new(
                ErrorCode::InvalidClient,
                "this issuer requires wallet attestation (attest_jwt_client_auth): send \
                 OAuth-Client-Attestation and OAuth-Client-Attestation-PoP",
            )
            .with_status(StatusCode::UNAUTHORIZED))
        }
        (Header::Absent, Header::Absent) => return Ok(None),
        (Header::One(attestation), Header::One(pop)) => (attestation, pop),
        _ => {
            return Err(invalid(
                "send exactly one OAuth-Client-Attestation and one \
                 OAuth-Client-Attestation-PoP header",
            ))
        }
    };
    let now = state.clock.now().timestamp();
    let seconds = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let max_age = seconds(settings.pop_max_age);
    let skew = seconds(state.settings.tokens.proof_max_future_skew);
    let verified = verify_client_attestation(
        attestation,
        pop,
        &ClientAttestationExpectations {
            anchors,
            audience: &state.issuer_url,
            client_id,
            challenge: None,
            now,
            pop_max_age_seconds: max_age,
            max_future_skew_seconds: skew,
            pop_algs: PROOF_SIGNING_ALGS,
        },
    )
    .map_err(|e| invalid(&e.to_string()))?;
    let use_challenge = |reason: &str| WalletError::new(ErrorCode::UseAttestationChallenge, reason);
    match verified.challenge.as_deref() {
        Some(challenge) if attestation_challenge::accepts(state, challenge) => {}
        Some(_) => {
            return Err(use_challenge(
                "the attestation PoP challenge is not a current challenge of this server",
            ))
        }
        None if settings.challenge_required => {
            return Err(use_challenge(
                "the attestation PoP must carry a challenge from the challenge endpoint",
            ))
        }
        None => {}
    }
    let jti = NonceUse::of_jti(
        JTI_LABEL,
        &verified.instance_key_thumbprint,
        &verified.pop_jti,
        verified.pop_issued_at,
        max_age,
        skew,
    )
    .ok_or_else(|| invalid("the attestation PoP iat is out of range"))?;
    if !state.nonces.spend(jti.hash, jti.expires_at).await? {
        return Err(invalid("this attestation PoP was already used (jti)"));
    }
    Ok(Some(AttestedWallet {
        provider: verified.provider,
        client_id: verified.client_id,
    }))
}

/// How often a header occurs.
enum Header<'a> {
    Absent,
    One(&'a str),
    Invalid,
}

fn single_header<'a>(request: &'a HttpRequest, name: &HeaderName) -> Header<'a> {
    let mut values = request.headers().get_all(name);
    match (values.next(), values.next()) {
        (None, _) => Header::Absent,
        (Some(value), None) => value.to_str().map_or(Header::Invalid, Header::One),
        (Some(_), Some(_)) => Header::Invalid,
    }
}
