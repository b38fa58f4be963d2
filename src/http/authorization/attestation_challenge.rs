//! Server-provided challenges for wallet attestation PoPs (Attestation-Based Client
//! Authentication draft -07 §8), when `attestation.trust_anchors` is configured:
//! `POST /challenge` answers `{"attestation_challenge": "…"}` (advertised as
//! `challenge_endpoint`), and every answer to a wallet's POST carries the current one in
//! `OAuth-Client-Attestation-Challenge` (§8.1, see [`super::nonce_headers`]).
//!
//! Challenges are stateless ([`crate::crypto::server_nonce`]): they prove freshness within
//! `attestation.challenge_lifetime`, while the PoP's single-use `jti` prevents replay.

use actix_web::http::header::{self, HeaderName};
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::crypto::server_nonce::{self, Purpose};
use crate::http::state::WalletApi;
use crate::http::wallet::errors::{ErrorCode, WalletError};

/// The `OAuth-Client-Attestation-Challenge` response header.
pub const CHALLENGE_HEADER: HeaderName =
    HeaderName::from_static("oauth-client-attestation-challenge");

/// The challenge to hand out now; `None` when attestations are not configured.
pub fn current(state: &WalletApi) -> Option<String> {
    let settings = &state.settings.attestation;
    settings.enabled().then(|| {
        server_nonce::current(
            &state.server_secret,
            Purpose::AttestationChallenge,
            state.clock.now().timestamp(),
            settings.challenge_lifetime,
        )
    })
}

/// Whether `challenge` is a current challenge of this deployment.
pub fn accepts(state: &WalletApi, challenge: &str) -> bool {
    server_nonce::accepts(
        &state.server_secret,
        Purpose::AttestationChallenge,
        state.clock.now().timestamp(),
        state.settings.attestation.challenge_lifetime,
        challenge,
    )
}

/// `POST /challenge` (draft -07 §8): a fresh challenge, never cached; 404 without
/// attestations.
pub async fn challenge(state: web::Data<WalletApi>) -> Result<HttpResponse, WalletError> {
    let challenge = current(&state).ok_or_else(|| {
        WalletError::new(
            ErrorCode::NotFound,
            "this issuer does not use wallet attestations: no challenges",
        )
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"attestation_challenge": challenge})))
}
