//! `GET /authorize` (RFC 6749 §4.1.1; RFC 9126 §4): checks the request, records
//! `LoginStarted` and sends the browser to the institution's login page with a one-time
//! `login_challenge`.
//!
//! With a `request_uri` only the pushed parameters count (§4); it is used once. Without,
//! the request carries every parameter, which only works when PAR is not required.
//!
//! Errors about the client, its redirect URI or an unknown `request_uri` are shown to the
//! browser as a JSON error and never redirected (RFC 6749 §4.1.2.1); the others go back to
//! the wallet's redirect URI with `error`, `state` and `iss`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use issuance_domain::authorization::{
    AuthorizationCommand, AuthorizationError, AuthorizationSession, RequestAuthorization,
    StartLogin,
};
use issuance_domain::Digest;
use uuid::Uuid;

use super::handles::{self, Handle, REQUEST_URI_PREFIX};
use super::redirect::{self, Outcome};
use super::request::{self, AuthorizationParams, Client};
use super::{ensure_enabled, session_rejection, SessionError};
use crate::app::repository::CommandMeta;
use crate::http::request_context::RequestContext;
use crate::http::state::WalletApi;
use crate::http::wallet::errors::{ErrorCode, WalletError};
use crate::http::wallet::rejections::command_error;
use crate::http::wallet::wallet_command_meta;

/// Starts the login hand-off.
pub async fn authorize(
    state: web::Data<WalletApi>,
    context: RequestContext,
    http: HttpRequest,
) -> Result<HttpResponse, WalletError> {
    let login_url = ensure_enabled(&state.settings.authorization)?.to_string();
    let params = web::Query::<AuthorizationParams>::from_query(http.query_string())
        .map_err(|e| {
            WalletError::new(
                ErrorCode::InvalidRequest,
                format!("malformed authorization request: {e}"),
            )
        })?
        .into_inner();
    let meta = wallet_command_meta(&state, context);
    match params.request_uri.as_deref() {
        Some(request_uri) => pushed(&state, &meta, &params, request_uri, &login_url).await,
        None => direct(&state, &meta, &params, &login_url).await,
    }
}

/// `/authorize?client_id=…&request_uri=…`: spends the pushed request.
async fn pushed(
    state: &WalletApi,
    meta: &CommandMeta,
    params: &AuthorizationParams,
    request_uri: &str,
    login_url: &str,
) -> Result<HttpResponse, WalletError> {
    let unknown = || {
        WalletError::new(
            ErrorCode::InvalidRequestUri,
            "the request_uri is not a pushed request of this issuer",
        )
    };
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| WalletError::new(ErrorCode::InvalidRequest, "client_id is required"))?;
    if !state.authorization.clients.is_known(client_id) {
        return Err(WalletError::new(
            ErrorCode::InvalidClient,
            "unknown client_id",
        ));
    }
    let handle = request_uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .ok_or_else(unknown)?;
    let session_id = handles::session_of(handle).ok_or_else(unknown)?;
    let presented = handles::hash_of(handle);
    let result = start_login(state, meta, session_id, client_id, Some(presented)).await;
    match result {
        Ok(challenge) => login_redirect(login_url, &challenge),
        Err(SessionError::Rejected(
            rejection @ (AuthorizationError::RequestUriExpired
            | AuthorizationError::RequestUriUsed
            | AuthorizationError::SessionExpired),
        )) => {
            // The request_uri is genuine and names a validated client and redirect URI:
            // the wallet learns of the problem there.
            let session = state
                .authorization
                .sessions
                .load(session_id)
                .await
                .map_err(|e| command_error(e, session_rejection))?;
            wallet_error(
                state,
                &session,
                ErrorCode::InvalidRequestUri,
                &rejection.to_string(),
            )
        }
        Err(SessionError::Rejected(
            AuthorizationError::NotFound | AuthorizationError::InvalidRequestUri,
        )) => Err(unknown()),
        Err(e) => Err(command_error(e, session_rejection)),
    }
}

/// `/authorize` with every parameter (PAR not required).
async fn direct(
    state: &WalletApi,
    meta: &CommandMeta,
    params: &AuthorizationParams,
    login_url: &str,
) -> Result<HttpResponse, WalletError> {
    let client = request::check_client(state, params)?;
    let redirect_error = |error: WalletError| -> Result<HttpResponse, WalletError> {
        let state_param = params.state.as_deref().filter(|s| request::is_state(s));
        wallet_redirect(state, &client, state_param, error)
    };
    if state
        .settings
        .authorization
        .require_pushed_authorization_requests
    {
        return redirect_error(WalletError::new(
            ErrorCode::InvalidRequest,
            "this issuer requires pushed authorization requests (PAR)",
        ));
    }
    let session_id = Uuid::new_v4();
    let now = state.clock.now();
    // DPoP proofs cannot accompany a browser request; `dpop_jkt` may (RFC 9449 §10).
    let requested =
        match request::validate(state, client.clone(), params, None, session_id, now).await {
            Ok(requested) => requested,
            Err(error) => return redirect_error(error),
        };
    state
        .authorization
        .sessions
        .execute(session_id, meta, |_, now| {
            AuthorizationCommand::Request(RequestAuthorization {
                now,
                request: requested.clone(),
            })
        })
        .await
        .map_err(|e| command_error(e, session_rejection))?;
    let challenge = start_login(state, meta, session_id, &client.client_id, None)
        .await
        .map_err(|e| command_error(e, session_rejection))?;
    login_redirect(login_url, &challenge)
}

/// Records `LoginStarted`; returns the login challenge.
async fn start_login(
    state: &WalletApi,
    meta: &CommandMeta,
    session_id: Uuid,
    client_id: &str,
    request_uri_hash: Option<Digest>,
) -> Result<String, SessionError> {
    let challenge = Handle::new(session_id);
    let ttl = state.settings.authorization.login_ttl;
    let lifetime = Duration::seconds(i64::try_from(ttl).unwrap_or(600));
    state
        .authorization
        .sessions
        .execute(session_id, meta, |_, now| {
            AuthorizationCommand::StartLogin(StartLogin {
                now,
                client_id: client_id.to_string(),
                request_uri_hash,
                challenge_hash: challenge.hash,
                challenge_expires_at: now + lifetime,
            })
        })
        .await?;
    Ok(challenge.text)
}

fn login_redirect(login_url: &str, challenge: &str) -> Result<HttpResponse, WalletError> {
    let location =
        redirect::to_login(login_url, challenge).map_err(|e| WalletError::internal(&e))?;
    Ok(redirect::found(&location))
}

/// An error sent to the session's validated redirect URI.
fn wallet_error(
    state: &WalletApi,
    session: &AuthorizationSession,
    code: ErrorCode,
    description: &str,
) -> Result<HttpResponse, WalletError> {
    let request = session
        .request
        .as_ref()
        .ok_or_else(|| WalletError::internal(&"rejected session without request"))?;
    let client = Client {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
    };
    wallet_redirect(
        state,
        &client,
        request.state.as_deref(),
        WalletError::new(code, description),
    )
}

/// `error` sent to `client`'s redirect URI with the wallet's state and `iss`.
fn wallet_redirect(
    state: &WalletApi,
    client: &Client,
    wallet_state: Option<&str>,
    error: WalletError,
) -> Result<HttpResponse, WalletError> {
    let code = error.code().unwrap_or(ErrorCode::InvalidRequest);
    let location = redirect::to_wallet(
        &client.redirect_uri,
        &state.issuer_url,
        wallet_state,
        Outcome::Error(code, error.description()),
    )
    .map_err(|e| WalletError::internal(&e))?;
    Ok(redirect::found(&location))
}
