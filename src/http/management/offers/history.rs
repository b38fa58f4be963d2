//! `GET /offers/{id}/events`: the offer's own history from the event store, personal data
//! and secret hashes omitted; [`stream_history`] serves any aggregate's stream so.

use actix_web::{web, HttpResponse};
use issuance_domain::offer::{stream_id, OfferEvent};
use issuance_domain::StoredEvent;
use issuance_projections::public_data::public_data;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::AppState;

/// The offer's events, oldest first.
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    stream_history(
        &state,
        &stream_id(offer_id),
        &format!("offer {offer_id} not found"),
        |event: &OfferEvent| public_data(event),
    )
    .await
}

/// The events of `stream_id`, oldest first, each with its publishable `data`; 404 with
/// `not_found` if the stream is empty.
pub(in crate::http::management) async fn stream_history<E: StoredEvent>(
    state: &AppState,
    stream_id: &str,
    not_found: &str,
    data: impl Fn(&E) -> Value,
) -> Result<HttpResponse, ApiError> {
    let recorded = state.events.read_stream(stream_id).await?;
    if recorded.is_empty() {
        return Err(ApiError::not_found(not_found));
    }
    let mut items = Vec::with_capacity(recorded.len());
    for event in recorded {
        let decoded = E::decode(&event.event_type, event.event_version, &event.payload)
            .map_err(|e| ApiError::internal(&e))?;
        items.push(json!({
            "sequence": event.sequence,
            "event_id": event.event_id,
            "type": event.event_type,
            "version": event.event_version,
            "occurred_at": event.metadata.occurred_at,
            "actor": event.metadata.actor,
            "request_id": event.metadata.request_id,
            "data": data(&decoded),
        }));
    }
    Ok(HttpResponse::Ok().json(items))
}
