//! Dead letters of status callbacks (`admin` scope):
//! - `GET /dead-letters?limit=&cursor=` — oldest first, `{"items": [...], "next_cursor"}`;
//! - `POST /dead-letters/{id}/requeue` — re-queue one (202, 404 if unknown);
//! - `POST /dead-letters/requeue` — re-queue all (202 with the count).
//!
//! Re-queueing marks the dead letters durably and wakes the transport, which sends each
//! as a fresh first attempt (same delivery id) and then removes it from the list.

use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;
use crate::integration::store::{
    DeadLetter, DeadLetterCursor, IntegrationStoreError, RequeueSelection,
};

/// Largest page.
const MAX_LIMIT: usize = 500;
/// Default page.
const DEFAULT_LIMIT: usize = 50;

/// Registers the dead-letter routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dead-letters", web::get().to(list))
        .route("/dead-letters/requeue", web::post().to(requeue_all))
        .route("/dead-letters/{id}/requeue", web::post().to(requeue_one));
}

impl From<IntegrationStoreError> for ApiError {
    fn from(error: IntegrationStoreError) -> Self {
        ApiError::unavailable(&error)
    }
}

/// Query parameters of the listing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    limit: Option<usize>,
    cursor: Option<String>,
}

fn encode(cursor: DeadLetterCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", cursor.dead_at_micros, cursor.id))
}

fn decode(text: &str) -> Option<DeadLetterCursor> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let (micros, id) = text.split_once('|')?;
    Some(DeadLetterCursor {
        dead_at_micros: micros.parse().ok()?,
        id: Uuid::parse_str(id).ok()?,
    })
}

/// A page of dead letters, oldest first.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let (items, next_cursor) = page(
        &state,
        &caller,
        params.limit.unwrap_or(DEFAULT_LIMIT),
        params.cursor.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "next_cursor": next_cursor,
    })))
}

/// Up to `limit` dead letters after `cursor` (an opaque cursor of a previous page), oldest
/// first, and the next page's cursor: the listing of the API and the console (`admin`).
pub(crate) async fn page(
    state: &ManagementApi,
    caller: &Caller,
    limit: usize,
    cursor: Option<&str>,
) -> Result<(Vec<DeadLetter>, Option<String>), ApiError> {
    caller.require(Scope::Admin)?;
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid_request(format!(
            "limit must be within 1..={MAX_LIMIT}"
        )));
    }
    let cursor = match cursor {
        None => None,
        Some(text) => {
            Some(decode(text).ok_or_else(|| ApiError::invalid_request("malformed cursor"))?)
        }
    };
    let page = state.integration.dead_letters(limit, cursor).await?;
    Ok((page.items, page.next_cursor.map(encode)))
}

/// Re-queues one dead letter.
pub async fn requeue_one(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let count = requeue(&state, &caller, RequeueSelection::One(path.into_inner())).await?;
    Ok(HttpResponse::Accepted().json(json!({"requeued": count})))
}

/// Re-queues every dead letter.
pub async fn requeue_all(
    state: web::Data<ManagementApi>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let count = requeue(&state, &caller, RequeueSelection::All).await?;
    Ok(HttpResponse::Accepted().json(json!({"requeued": count})))
}

/// Re-queues `selection` (`admin`) for the API and the console: how many were marked; 404
/// for one that is not a dead letter (any more).
pub(crate) async fn requeue(
    state: &ManagementApi,
    caller: &Caller,
    selection: RequeueSelection,
) -> Result<u64, ApiError> {
    caller.require(Scope::Admin)?;
    let count = state.integration.requeue(selection).await?;
    if let (RequeueSelection::One(id), 0) = (selection, count) {
        return Err(ApiError::not_found(format!("dead letter {id} not found")));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = DeadLetterCursor {
            dead_at_micros: 1_700_000_000_000_000,
            id: Uuid::new_v4(),
        };
        assert_eq!(decode(&encode(cursor)), Some(cursor));
        assert_eq!(decode("not-a-cursor"), None);
    }
}
