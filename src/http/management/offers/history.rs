//! `GET /offers/{id}/events`: the offer's own history from the event store, personal data
//! and secret hashes omitted; [`stream_history`] serves any aggregate's stream so.

use actix_web::{web, HttpResponse};
use issuance_domain::offer::OfferEvent;
use issuance_domain::EventSourced;
use issuance_eventlog::RecordedEvent;
use issuance_projections::public_data::public_data;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::repository::{Repository, RepositoryError};
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;

/// The offer's events, oldest first.
pub async fn events(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    // Every event of an offer names its issuer in its metadata (none: the default one).
    let seen = |first: &RecordedEvent| caller.sees_issuer(first.metadata.issuer_id.as_deref());
    stream_history(
        &state.offers,
        offer_id,
        &format!("offer {offer_id} not found"),
        seen,
        |event: &OfferEvent| public_data(event),
    )
    .await
}

/// The events of instance `id`, oldest first, each with its publishable `data`; 404 with
/// `not_found` if there are none, or if the key may not see them (`seen`, asked of the
/// first event, says no).
pub(in crate::http::management) async fn stream_history<A: EventSourced>(
    repository: &Repository<A>,
    id: Uuid,
    not_found: &str,
    seen: impl FnOnce(&RecordedEvent) -> bool,
    data: impl Fn(&A::Event) -> Value,
) -> Result<HttpResponse, ApiError> {
    let recorded = repository.history(id).await.map_err(|e| match e {
        RepositoryError::Store(e) => ApiError::from(e),
        other => ApiError::internal(&other),
    })?;
    if !recorded.first().is_some_and(|(first, _)| seen(first)) {
        return Err(ApiError::not_found(not_found));
    }
    let mut items = Vec::with_capacity(recorded.len());
    for (event, decoded) in recorded {
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
