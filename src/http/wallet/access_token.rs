//! The wallet API's access token extractor: `Authorization: Bearer` or `DPoP` (the token's
//! format is [`crate::crypto::access_token`]).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::errors::{ErrorCode, WalletError};
use crate::config::DpopMode;
pub use crate::crypto::access_token::AccessToken;
use crate::crypto::access_token::{open, TokenError};
use crate::http::authorization::dpop;
use crate::http::state::WalletApi;

/// Extractor: the request's access token, MAC and expiry checked, presented either as
/// `Authorization: Bearer` (RFC 6750 §2.1) or, when DPoP is enabled, as
/// `Authorization: DPoP` with a `DPoP` proof of possession bound to it by `ath` (RFC 9449
/// §7). The proof's key thumbprint is kept in [`AccessToken::dpop_jkt`] for the aggregate
/// to compare with the token's binding. With `authorization.dpop = "required"` every token
/// is DPoP-bound, so the `Bearer` scheme is refused (401 `invalid_token`, `DPoP`
/// challenge). No token, or another scheme: 401 with a bare challenge.
#[derive(Debug, Clone)]
pub struct Bearer(pub AccessToken);

impl FromRequest for Bearer {
    type Error = WalletError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { bearer(&request).await })
    }
}

async fn bearer(request: &HttpRequest) -> Result<Bearer, WalletError> {
    let state = request
        .app_data::<web::Data<WalletApi>>()
        .ok_or_else(|| WalletError::internal(&"application state missing"))?;
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(WalletError::missing_token)?;
    let value = value
        .to_str()
        .map_err(|_| WalletError::new(ErrorCode::InvalidToken, "the access token is not valid"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    // The scheme is case-insensitive (RFC 7235 §2.1).
    if scheme.eq_ignore_ascii_case("bearer") {
        if state.settings.authorization.dpop == DpopMode::Required {
            // Every token of this issuer is DPoP-bound (the token endpoint requires DPoP),
            // and a bound token is no bearer token (RFC 9449 §7.1): refused before the
            // request is read.
            return Err(WalletError::dpop_resource_error(
                ErrorCode::InvalidToken,
                "this issuer's access tokens are DPoP-bound: present them with the DPoP scheme",
            ));
        }
        return open(&state.server_secret, token, state.clock.now())
            .map(Bearer)
            .map_err(invalid_token);
    }
    if !(scheme.eq_ignore_ascii_case("dpop") && state.settings.authorization.dpop.enabled()) {
        return Err(WalletError::missing_token());
    }
    let mut opened = open(&state.server_secret, token, state.clock.now())
        .map_err(|e| WalletError::in_dpop_scheme(invalid_token(e)))?;
    let endpoint = request
        .path()
        .strip_prefix(state.wallet.path_prefix.as_str())
        .unwrap_or(request.path());
    let proof = dpop::proof_of(state, request, endpoint, Some(token))
        .await
        .map_err(|error| match error.code() {
            Some(code @ (ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce)) => {
                WalletError::dpop_resource_error(code, error.description())
            }
            _ => error,
        })?
        .ok_or_else(|| {
            WalletError::dpop_resource_error(
                ErrorCode::InvalidDpopProof,
                "the DPoP scheme needs a DPoP proof header",
            )
        })?;
    opened.dpop_jkt = Some(proof.thumbprint);
    Ok(Bearer(opened))
}

fn invalid_token(error: TokenError) -> WalletError {
    WalletError::new(ErrorCode::InvalidToken, error.to_string())
}
