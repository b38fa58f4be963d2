//! DPoP proofs of wallet requests (RFC 9449), when `authorization.dpop` is enabled: the
//! proof is verified (credential crate), its `jti` recorded in the used-nonce ledger so a
//! proof is accepted once, and its key thumbprint returned for binding (token endpoint,
//! PAR) or comparison with the token's binding (credential and notification endpoints).
//!
//! Not implemented: server-provided DPoP nonces (§8, `use_dpop_nonce`); `jti` reuse and a
//! short `iat` window bound replay instead.

use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use issuance_credential::{verify_dpop_proof, DpopExpectations, VerifiedDpopProof};

use crate::config::DpopMode;
use crate::crypto::sha256;
use crate::state::AppState;
use crate::wallet::errors::{ErrorCode, WalletError};
use crate::wallet::metadata::PROOF_SIGNING_ALGS;

/// The `DPoP` request header.
pub const DPOP: HeaderName = HeaderName::from_static("dpop");

/// Domain separation of DPoP `jti` entries in the used-nonce ledger.
const JTI_LABEL: &[u8] = b"dpop-jti\0";

/// The verified DPoP proof of a request to `endpoint` (a path below the issuer
/// identifier, e.g. `/token`), with the access token it must be bound to at a resource.
/// `None` when DPoP is disabled (the header is then ignored, RFC 9449 §5) or the request
/// has no proof. Errors are `invalid_dpop_proof` with the token endpoint's status (400);
/// resource endpoints turn them into 401 challenges.
pub async fn proof_of(
    state: &AppState,
    request: &HttpRequest,
    endpoint: &str,
    access_token: Option<&str>,
) -> Result<Option<VerifiedDpopProof>, WalletError> {
    if state.settings.authorization.dpop == DpopMode::Disabled {
        return Ok(None);
    }
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidDpopProof, reason);
    let mut headers = request.headers().get_all(DPOP);
    let Some(header) = headers.next() else {
        return Ok(None);
    };
    if headers.next().is_some() {
        return Err(invalid("send exactly one DPoP header"));
    }
    let jwt = header
        .to_str()
        .map_err(|_| invalid("the DPoP header is not a JWT"))?;
    let now = state.clock.now().timestamp();
    let seconds = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let max_age = seconds(state.settings.authorization.dpop_proof_max_age);
    let skew = seconds(state.settings.tokens.proof_max_future_skew);
    let uri = format!("{}{endpoint}", state.issuer_url);
    let proof = verify_dpop_proof(
        jwt,
        &DpopExpectations {
            method: request.method().as_str(),
            uri: &uri,
            access_token,
            now,
            max_age_seconds: max_age,
            max_future_skew_seconds: skew,
            allowed_algs: PROOF_SIGNING_ALGS,
        },
    )
    .map_err(|e| invalid(&e.to_string()))?;
    // RFC 9449 §11.1: a proof is accepted once. Its ledger entry outlives the window in
    // which its `iat` would still be accepted. The key covers the `iat` too, because the
    // ledger may be keyed by expiry first (the embedded store's is), and the expiry follows
    // from the `iat`: a replayed proof always meets its entry again.
    let ledger_key = sha256(
        &[
            JTI_LABEL,
            proof.thumbprint.as_bytes(),
            b"\0",
            proof.jti.as_bytes(),
            b"\0",
            &proof.issued_at.to_be_bytes(),
        ]
        .concat(),
    );
    let remember_until = chrono::DateTime::from_timestamp(
        proof.issued_at.saturating_add(max_age).saturating_add(skew),
        0,
    )
    .ok_or_else(|| invalid("the DPoP proof iat is out of range"))?;
    if !state
        .secrets
        .consume_nonce(ledger_key.0, remember_until)
        .await?
    {
        return Err(invalid("this DPoP proof was already used (jti)"));
    }
    Ok(Some(proof))
}

/// The token endpoint's proof: required when `authorization.dpop = "required"`.
pub async fn token_request_proof(
    state: &AppState,
    request: &HttpRequest,
) -> Result<Option<VerifiedDpopProof>, WalletError> {
    let proof = proof_of(state, request, "/token", None).await?;
    if proof.is_none() && state.settings.authorization.dpop == DpopMode::Required {
        return Err(WalletError::new(
            ErrorCode::InvalidDpopProof,
            "this issuer requires DPoP: send a DPoP proof with the token request",
        ));
    }
    Ok(proof)
}
