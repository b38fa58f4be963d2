//! `GET /offers/{id}` and `GET /offers`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use issuance_domain::offer::OfferStatus;
use issuance_projections::OfferView;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::offers::personal;
use crate::crypto::codes;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::AppState;
use crate::readstore::{OfferCursor, OfferQuery};

/// Largest page.
const MAX_LIMIT: usize = 500;
/// Default page.
const DEFAULT_LIMIT: usize = 50;

/// One offer's view.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    state.await_offer_view_head().await?;
    let view = state
        .views
        .offer_view(offer_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("offer {offer_id} not found")))?;
    Ok(HttpResponse::Ok().json(opened(&state, view).await?))
}

/// The view with its personal data opened with the offer's data key (`null` once erased).
pub(crate) async fn opened(
    state: &AppState,
    view: OfferView,
) -> Result<OfferView<Value>, ApiError> {
    let sealed = view.subject.is_some()
        || view.correlation.is_some()
        || view
            .issued
            .iter()
            .any(|i| i.holder_key_thumbprint.is_some());
    let key = match sealed {
        true => state.secrets.data_key(view.offer_id).await?,
        false => None,
    };
    Ok(personal::present(view, key.as_ref()))
}

/// Query parameters of the listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    status: Option<String>,
    credential_configuration_id: Option<String>,
    subject: Option<String>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// A filtered page of offers, newest first.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let params = params.into_inner();
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
    state.await_offer_view_head().await?;
    let page = state
        .views
        .list_offer_views(OfferQuery {
            status,
            credential_configuration_id: params.credential_configuration_id,
            subject_pseudonym: params
                .subject
                .map(|subject| codes::subject_pseudonym(&state.server_secret, &subject)),
            created_after: params.created_after,
            created_before: params.created_before,
            limit,
            cursor,
        })
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for view in page.items {
        items.push(opened(&state, view).await?);
    }
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "next_cursor": page.next_cursor.map(|c| c.encode()),
    })))
}
