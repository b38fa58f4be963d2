//! DPoP proofs of wallet requests (RFC 9449), when `authorization.dpop` is enabled: the
//! proof is verified (credential crate), its `jti` recorded in the used-nonce ledger so a
//! proof is accepted once, and its key thumbprint returned for binding (token endpoint,
//! PAR) or comparison with the token's binding (credential and notification endpoints).
//!
//! Where anyone can send a proof — the token endpoint and PAR — the `jti` is recorded only
//! together with what the request achieved ([`execute_recording_jti`]): in the same append
//! as the redemption, the code exchange or the authorization request, once the aggregate
//! accepted it. A request whose grant does not check out writes no ledger entry, so
//! proofs signed with throw-away keys cannot grow the store. At the resource endpoints the
//! proof comes with a valid access token and is recorded at once ([`proof_of`]).
//!
//! With `authorization.dpop_nonces`, every proof must also carry a server-provided nonce
//! (§8, [`crate::crypto::server_nonce`]): one without, or with a stale or foreign one, is
//! `use_dpop_nonce` (400 at the token endpoint and PAR, a 401 `DPoP` challenge at a
//! resource), and every answer to a wallet's POST carries the current nonce in `DPoP-Nonce`
//! ([`super::nonce_headers`]). Without it, `jti` reuse and a short `iat` window bound replay.

use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use issuance_credential::{verify_dpop_proof, DpopExpectations, VerifiedDpopProof};
use issuance_domain::EventSourced;
use uuid::Uuid;

use crate::app::repository::{CommandMeta, Executed, Repository, RepositoryError};
use crate::config::DpopMode;
use crate::crypto::server_nonce::{self, Purpose};
use crate::http::state::WalletApi;
use crate::http::wallet::errors::{ErrorCode, WalletError};
use crate::http::wallet::metadata::PROOF_SIGNING_ALGS;
use crate::http::wallet::rejections::command_error;
use crate::store::{NonceUse, StoreError};

/// The `DPoP` request header.
pub const DPOP: HeaderName = HeaderName::from_static("dpop");

/// Domain separation of DPoP `jti` entries in the used-nonce ledger.
const JTI_LABEL: &[u8] = b"dpop-jti\0";

/// A verified DPoP proof whose `jti` is not recorded yet.
#[derive(Debug, Clone)]
pub struct CheckedProof {
    /// The proof.
    pub proof: VerifiedDpopProof,
    /// Its ledger entry.
    pub jti: NonceUse,
}

/// The verified DPoP proof of a request to `endpoint` (a path below the issuer
/// identifier, e.g. `/token`), with the access token it must be bound to at a resource,
/// recorded as used at once. `None` when DPoP is disabled (the header is then ignored,
/// RFC 9449 §5) or the request has no proof. Errors are `invalid_dpop_proof` with the
/// token endpoint's status (400); resource endpoints turn them into 401 challenges.
pub async fn proof_of(
    state: &WalletApi,
    request: &HttpRequest,
    endpoint: &str,
    access_token: Option<&str>,
) -> Result<Option<VerifiedDpopProof>, WalletError> {
    let Some(checked) = verify(state, request, endpoint, access_token)? else {
        return Ok(None);
    };
    if !state
        .nonces
        .spend(checked.jti.hash, checked.jti.expires_at)
        .await?
    {
        return Err(replayed());
    }
    Ok(Some(checked.proof))
}

/// [`proof_of`] without recording the `jti`: the caller records it with its command
/// ([`execute_recording_jti`]).
pub fn verify(
    state: &WalletApi,
    request: &HttpRequest,
    endpoint: &str,
    access_token: Option<&str>,
) -> Result<Option<CheckedProof>, WalletError> {
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
    let authorization = &state.settings.authorization;
    if authorization.dpop_nonces {
        let lifetime = authorization.dpop_nonce_lifetime;
        let fresh = proof.nonce.as_deref().is_some_and(|nonce| {
            server_nonce::accepts(&state.server_secret, Purpose::Dpop, now, lifetime, nonce)
        });
        if !fresh {
            return Err(WalletError::new(
                ErrorCode::UseDpopNonce,
                "the DPoP proof must carry the nonce of the DPoP-Nonce response header",
            ));
        }
    }
    // RFC 9449 §11.1: a proof is accepted once.
    let jti = NonceUse::of_jti(
        JTI_LABEL,
        &proof.thumbprint,
        &proof.jti,
        proof.issued_at,
        max_age,
        skew,
    )
    .ok_or_else(|| invalid("the DPoP proof iat is out of range"))?;
    Ok(Some(CheckedProof { proof, jti }))
}

/// A proof whose `jti` was seen before.
pub fn replayed() -> WalletError {
    WalletError::new(
        ErrorCode::InvalidDpopProof,
        "this DPoP proof was already used (jti)",
    )
}

/// Executes `command` on instance `id` and records `jti` (a DPoP proof's ledger entry)
/// with its events, only if the aggregate accepts the command
/// ([`EventStore::append_with`](crate::store::EventStore::append_with)). A `jti` seen
/// before fails with [`StoreError::NonceReused`] and writes nothing (see
/// [`jti_command_error`]).
pub async fn execute_recording_jti<A: EventSourced>(
    repository: &Repository<A>,
    id: Uuid,
    meta: &CommandMeta,
    jti: Option<NonceUse>,
    command: impl FnMut(&A, DateTime<Utc>) -> A::Command,
) -> Result<Executed<A>, RepositoryError<A::Error>> {
    repository
        .execute_consuming(id, meta, jti.into_iter().collect(), command)
        .await
}

/// [`command_error`] for commands that recorded a DPoP `jti`: a replayed proof is
/// `invalid_dpop_proof`.
pub fn jti_command_error<E: std::error::Error + 'static>(
    error: RepositoryError<E>,
    rejection: impl FnOnce(E) -> WalletError,
) -> WalletError {
    match error {
        RepositoryError::Store(StoreError::NonceReused) => replayed(),
        error => command_error(error, rejection),
    }
}

/// The token endpoint's proof, its `jti` not yet recorded: required when
/// `authorization.dpop = "required"`.
pub fn token_request_proof(
    state: &WalletApi,
    request: &HttpRequest,
) -> Result<Option<CheckedProof>, WalletError> {
    let proof = verify(state, request, "/token", None)?;
    if proof.is_none() && state.settings.authorization.dpop == DpopMode::Required {
        return Err(WalletError::new(
            ErrorCode::InvalidDpopProof,
            "this issuer requires DPoP: send a DPoP proof with the token request",
        ));
    }
    Ok(proof)
}
