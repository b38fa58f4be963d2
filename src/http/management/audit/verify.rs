//! `GET /audit/verify[?signed_head=<jws>][&against_log=true]`: recompute the chain.
//!
//! Answers `{"valid": true, "entries": N, "head": {...}}` or `{"valid": false, "entries":
//! <verified before the break>, "first_broken_position": P, "problem", "description"}`,
//! both with 200: the verification itself succeeded. With a previously signed head, also
//! proves the chain still contains it; with `against_log`, that every entry is exactly the
//! one the event log yields.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::audit::trail::TrailVerifyError;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;

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

/// Verifies the chain (every issuer's entries: 403 for a key restricted to issuers).
pub async fn verify(
    state: web::Data<ManagementApi>,
    caller: Caller,
    params: web::Query<VerifyParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AuditRead)?;
    caller.require_every_issuer("verifying the audit chain")?;
    let report = state
        .audit
        .verify(params.signed_head.as_deref(), params.against_log)
        .await
        .map_err(|e| match e {
            TrailVerifyError::SignedHead(_) => {
                ApiError::bad_request("invalid_signed_head", e.to_string())
            }
            TrailVerifyError::Verify(e) => ApiError::unavailable(&e),
        })?;
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
