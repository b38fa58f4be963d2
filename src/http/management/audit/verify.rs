//! `GET /audit/verify[?signed_head=<jws>][&against_log=true]`: recompute the chain.
//!
//! Answers `{"valid": true, "entries": N, "head": {...}}` or `{"valid": false, "entries":
//! <verified before the break>, "first_broken_position": P, "problem", "description"}`,
//! both with 200: the verification itself succeeded. With a previously signed head, also
//! proves the chain still contains it; with `against_log`, that every entry is exactly the
//! one the event log yields.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::audit::head::verify_head;
use crate::audit::verify::verify_chain;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::AppState;

/// `?signed_head=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyParams {
    /// A head signed earlier by `GET /audit/head`.
    signed_head: Option<String>,
    /// Re-derive every entry from the event log and compare.
    #[serde(default)]
    against_log: bool,
}

/// Verifies the chain.
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<VerifyParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AuditRead)?;
    let signed = params
        .signed_head
        .as_deref()
        .map(|jws| {
            verify_head(&state.issuer_keys, jws).map_err(|e| {
                ApiError::bad_request("invalid_signed_head", format!("signed_head: {e}"))
            })
        })
        .transpose()?;
    let log = params.against_log.then_some(state.events.as_ref());
    let report = verify_chain(state.audit.as_ref(), signed.as_ref(), log)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    if let Some(broken) = &report.broken {
        tracing::warn!(
            position = broken.position,
            problem = broken.problem.code(),
            "audit chain verification failed"
        );
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(report.to_json()))
}
