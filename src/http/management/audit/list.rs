//! `GET /audit`: a filtered page of the audit view, oldest first.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AuditParams;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;

/// Largest page.
const MAX_LIMIT: usize = 500;
/// Default page.
const DEFAULT_LIMIT: usize = 50;

/// A page of entries: `{"items": [...], "next_cursor": "..." | null}`.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AuditRead)?;
    let mut query = params.query(&caller)?;
    query.limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&query.limit) {
        return Err(ApiError::invalid_request(format!(
            "limit must be within 1..={MAX_LIMIT}"
        )));
    }
    let page = state.audit.entries(query).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": page.entries,
        "next_cursor": page.next_cursor.map(|c| c.encode()),
    })))
}
