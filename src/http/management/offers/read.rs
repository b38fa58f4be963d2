//! `GET /offers/{id}` and `GET /offers`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use issuance_domain::offer::OfferStatus;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::{text_filter, ApiError};
use crate::http::management::visible::unknown_offer;
use crate::http::state::ManagementApi;
use crate::readstore::{OfferCursor, OfferQuery};

/// Largest page.
const MAX_LIMIT: usize = 500;
/// Default page.
const DEFAULT_LIMIT: usize = 50;

/// One offer's view.
pub async fn get(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    let view = state
        .queries
        .get(offer_id)
        .await?
        .filter(|view| caller.sees_issuer(Some(&view.issuer_id)))
        .ok_or_else(|| unknown_offer(offer_id))?;
    Ok(HttpResponse::Ok().json(view))
}

/// Query parameters of the listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    issuer_id: Option<String>,
    status: Option<String>,
    credential_configuration_id: Option<String>,
    subject: Option<String>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// A filtered page of offers, newest first; a key restricted to issuers sees only theirs.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let params = params.into_inner();
    text_filter("issuer_id", params.issuer_id.as_deref())?;
    text_filter(
        "credential_configuration_id",
        params.credential_configuration_id.as_deref(),
    )?;
    text_filter("subject", params.subject.as_deref())?;
    let status = params
        .status
        .as_deref()
        .map(|s| {
            OfferStatus::parse(s)
                .ok_or_else(|| ApiError::invalid_request(format!("unknown status `{s}`")))
        })
        .transpose()?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_request(format!(
            "limit must be within 1..={MAX_LIMIT}"
        )));
    }
    let cursor = params
        .cursor
        .as_deref()
        .map(|c| {
            OfferCursor::decode(c).ok_or_else(|| ApiError::invalid_request("cursor is not valid"))
        })
        .transpose()?;
    let query = OfferQuery {
        issuers: caller.issuer_filter(params.issuer_id),
        status,
        credential_configuration_id: params.credential_configuration_id,
        subject_pseudonym: None,
        created_after: params.created_after,
        created_before: params.created_before,
        limit,
        cursor,
    };
    let page = state.queries.list(query, params.subject.as_deref()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": page.items,
        "next_cursor": page.next_cursor.map(|c| c.encode()),
    })))
}
