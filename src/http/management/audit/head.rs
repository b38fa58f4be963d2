//! `GET /audit/head`: the chain's latest position and hash, signed with the issuer key as a
//! compact JWS (`typ` `audit-head+jwt`), verifiable with the issuer's published JWKS.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::audit::head::sign_head;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::{AppState, READ_YOUR_WRITE_TIMEOUT};

/// The signed head: `{"position", "hash", "chain", "signed_at", "jws"}`.
pub async fn head(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AuditRead)?;
    // Sign the log as it is now, not as the projector last saw it (bounded: a stalled
    // projector yields the head it reached).
    let log_head = state.events.head().await?;
    state
        .audit_progress
        .wait_for(log_head, READ_YOUR_WRITE_TIMEOUT)
        .await;
    let tip = state.audit.audit_head().await?.tip;
    let (claims, jws) = sign_head(
        &state.issuer_keys,
        &state.issuer_url,
        &tip,
        state.clock.now(),
    )
    .map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "position": claims.position,
            "hash": claims.hash,
            "chain": claims.chain,
            "iss": claims.iss,
            "iat": claims.iat,
            "jws": jws,
        })))
}
