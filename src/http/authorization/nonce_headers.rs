//! Middleware of the wallet listener: every answer to a POST (token, PAR, nonce, challenge,
//! credential, notification; success or error) carries the server's current nonces — the
//! DPoP nonce in `DPoP-Nonce` with `authorization.dpop_nonces` (RFC 9449 §8.1, §9), and
//! the attestation challenge in `OAuth-Client-Attestation-Challenge` when wallet
//! attestations are configured (Attestation-Based Client Authentication draft -07 §8.1; a
//! `use_attestation_challenge` error thus always carries one).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use super::attestation_challenge::{self, CHALLENGE_HEADER};
use crate::crypto::server_nonce::{self, Purpose};
use crate::http::state::WalletApi;

/// The `DPoP-Nonce` response header.
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Adds the current nonces to the answer of every POST.
pub async fn middleware<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let mut headers = Vec::new();
    if let Some(state) = request
        .app_data::<web::Data<WalletApi>>()
        .filter(|_| request.method() == Method::POST)
    {
        let authorization = &state.settings.authorization;
        if authorization.dpop_nonces {
            let nonce = server_nonce::current(
                &state.server_secret,
                Purpose::Dpop,
                state.clock.now().timestamp(),
                authorization.dpop_nonce_lifetime,
            );
            headers.push((DPOP_NONCE, nonce));
        }
        if let Some(challenge) = attestation_challenge::current(state) {
            headers.push((CHALLENGE_HEADER, challenge));
        }
    }
    let mut response = next.call(request).await?;
    for (name, value) in headers {
        // Also wrapped around each runtime issuer's routes, inside this listener-wide
        // one: the issuer's own settings decide, the default issuer's do not override.
        if response.headers().contains_key(&name) {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}
