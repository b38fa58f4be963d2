//! `POST /par`: the pushed authorization request (RFC 9126 §2). Validates the request
//! like `/authorize` would, records `AuthorizationRequested` with the hash of a one-time
//! `request_uri`, and answers `201 {"request_uri", "expires_in"}`. Errors are JSON (§2.3);
//! nothing is written for a refused request.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use issuance_domain::authorization::{AuthorizationCommand, PushedRequest, RequestAuthorization};
use serde_json::json;
use uuid::Uuid;

use super::handles::{Handle, REQUEST_URI_PREFIX};
use super::request::{self, AuthorizationParams};
use super::{client_attestation, dpop, ensure_enabled, session_rejection};
use crate::http::request_context::RequestContext;
use crate::http::state::WalletApi;
use crate::http::wallet::errors::{ErrorCode, WalletError};
use crate::http::wallet::wallet_command_meta;

/// Records a pushed authorization request.
pub async fn par(
    state: web::Data<WalletApi>,
    context: RequestContext,
    http: HttpRequest,
    form: web::Form<AuthorizationParams>,
) -> Result<HttpResponse, WalletError> {
    let settings = &state.settings.authorization;
    ensure_enabled(settings)?;
    let params = form.into_inner();
    if params.request_uri.is_some() {
        return Err(WalletError::new(
            ErrorCode::InvalidRequest,
            "request_uri must not be pushed (RFC 9126 section 2.1)",
        ));
    }
    // Verified now; its `jti` is recorded with the request, once the request was accepted.
    let proof = dpop::verify(&state, &http, "/par", None)?;
    client_attestation::authenticate(&state, &http, params.client_id.as_deref()).await?;
    let client = request::check_client(&state, &params)?;
    let session_id = Uuid::new_v4();
    let now = state.clock.now();
    let requested = request::validate(
        &state,
        client,
        &params,
        proof.as_ref().map(|p| p.proof.thumbprint.clone()),
        session_id,
        now,
    )
    .await?;
    let request_uri = Handle::new(session_id);
    let ttl = settings.request_uri_ttl;
    let lifetime = Duration::seconds(i64::try_from(ttl).unwrap_or(60));
    let meta = wallet_command_meta(&state, context);
    dpop::execute_recording_jti(
        &state.authorization.sessions,
        session_id,
        &meta,
        proof.map(|p| p.jti),
        |_, now| {
            let mut request = requested.clone();
            request.pushed = Some(PushedRequest {
                request_uri_hash: request_uri.hash,
                expires_at: now + lifetime,
            });
            AuthorizationCommand::Request(RequestAuthorization { now, request })
        },
    )
    .await
    .map_err(|e| dpop::jti_command_error(e, session_rejection))?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "request_uri": format!("{REQUEST_URI_PREFIX}{}", request_uri.text),
            "expires_in": ttl,
        })))
}
