//! `GET /status-lists/{id}`: the Status List Token of one list (draft-ietf-oauth-status-list
//! §8), `application/statuslist+jwt` by default, `application/statuslist+cwt` when the
//! `Accept` header asks for it. Served from the signed cache (see
//! [`crate::status::tokens`]), with `ETag`, `Cache-Control: max-age` ≤ `ttl` and 304 on a
//! matching `If-None-Match`. `?time=<unix seconds>` answers the list as it was then (§8.4),
//! rebuilt from the log; 404 before the list existed or for a time still to come.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::DateTime;
use issuance_credential::status_list::{STATUS_LIST_CWT_TYP, STATUS_LIST_JWT_MEDIA_TYPE};
use serde::Deserialize;
use uuid::Uuid;

use super::errors::{ErrorCode, WalletError};
use crate::http::state::WalletApi;
use crate::status::SignedList;

/// `?time=`.
#[derive(Debug, Deserialize)]
pub struct StatusListQuery {
    time: Option<i64>,
}

/// Serves a status list token.
pub async fn status_list(
    state: web::Data<WalletApi>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<StatusListQuery>,
) -> Result<HttpResponse, WalletError> {
    let not_found = || WalletError::new(ErrorCode::NotFound, "no such status list");
    let list_id = Uuid::parse_str(&path.into_inner()).map_err(|_| not_found())?;
    let lists = &state.status_lists;
    if lists.registry.list(list_id).is_none() {
        // It may have been opened a moment ago, here or on another node.
        state.await_status_registry_head().await?;
    }
    let now = state.clock.now();
    let signed = match query.time {
        None => lists
            .tokens
            .current(list_id)
            .map_err(|e| WalletError::internal(&e))?
            .map(|signed| (*signed).clone()),
        Some(time) => {
            let at = DateTime::from_timestamp(time, 0).ok_or_else(|| {
                WalletError::new(ErrorCode::InvalidRequest, "time is out of range")
            })?;
            if at > now {
                return Err(not_found());
            }
            lists
                .tokens
                .historical(list_id, at)
                .map_err(|e| WalletError::internal(&e))?
        }
    };
    let signed = signed.ok_or_else(not_found)?;
    Ok(respond(
        &request,
        &signed,
        lists.settings.ttl,
        now.timestamp(),
    ))
}

/// `GET /status-lists`: every list's URI (Status List Aggregation, §9.3).
pub async fn aggregation(state: web::Data<WalletApi>) -> HttpResponse {
    let uris: Vec<String> = state
        .status_lists
        .registry
        .lists()
        .into_iter()
        .map(|list| list.opened.uri)
        .collect();
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("max-age={}", state.status_lists.settings.ttl),
        ))
        .json(serde_json::json!({ "status_lists": uris }))
}

/// The token in the form the client accepts, with its validators and caching headers.
fn respond(request: &HttpRequest, signed: &SignedList, ttl: u64, now: i64) -> HttpResponse {
    let wants_cwt = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| {
            accept.contains(STATUS_LIST_CWT_TYP) && !accept.contains(STATUS_LIST_JWT_MEDIA_TYPE)
        });
    let (media_type, etag, body) = if wants_cwt {
        (STATUS_LIST_CWT_TYP, &signed.cwt_etag, signed.cwt.clone())
    } else {
        (
            STATUS_LIST_JWT_MEDIA_TYPE,
            &signed.jwt_etag,
            signed.jwt.clone().into_bytes(),
        )
    };
    let cache_control = format!("public, max-age={}", signed.max_age(ttl, now));
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept"));
    if matches {
        return response.finish();
    }
    response.content_type(media_type).body(body)
}
