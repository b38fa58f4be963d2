//! `GET /offers/{id}/events`: the offer's own history from the event store, personal data
//! and secret hashes omitted.

use actix_web::{web, HttpResponse};
use issuance_domain::offer::{stream_id, OfferEvent};
use issuance_projections::public_data::public_data;
use serde_json::json;
use uuid::Uuid;

use crate::management::auth::{Caller, Scope};
use crate::management::error::ApiError;
use crate::state::AppState;

/// The offer's events, oldest first.
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    let recorded = state.events.read_stream(&stream_id(offer_id)).await?;
    if recorded.is_empty() {
        return Err(ApiError::not_found(format!("offer {offer_id} not found")));
    }
    let mut items = Vec::with_capacity(recorded.len());
    for event in recorded {
        let decoded = OfferEvent::decode(&event.event_type, event.event_version, &event.payload)
            .map_err(|e| ApiError::internal(&e))?;
        items.push(json!({
            "sequence": event.sequence,
            "event_id": event.event_id,
            "type": event.event_type,
            "version": event.event_version,
            "occurred_at": event.metadata.occurred_at,
            "actor": event.metadata.actor,
            "request_id": event.metadata.request_id,
            "data": public_data(&decoded),
        }));
    }
    Ok(HttpResponse::Ok().json(items))
}
