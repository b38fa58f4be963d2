//! One offer (`offers:read`): `GET /console/offers/{id}` shows its status, the timeline of
//! its events, its credentials and, while it is live, its QR code
//! (`GET /console/offers/{id}/qr.png`). Revocation (`offers:write`, like
//! `DELETE /offers/{id}`) and erasure of the claims (`admin`, like
//! `POST /offers/{id}/erase`) take two steps: `GET …/revoke` or `…/erase` shows what will
//! happen ([`super::confirm`]), the CSRF-checked `POST` here acts through the API's code
//! and goes back to the offer. An offer of an issuer
//! the key does not see answers the unknown offer's 404, as in the API.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use issuance_projections::OfferView;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::offers::{text_of, when};
use super::signin::{Signed, TokenForm};
use super::{render, see_other, ConsoleError, Nav};
use crate::app::repository::RepositoryError;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::management::offers::erase::erase_offer;
use crate::http::management::offers::revoke::revoke_offer;
use crate::http::management::visible::{offer_qr_png, unknown_offer};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// One event of the timeline.
struct Event {
    sequence: u64,
    kind: String,
    at: String,
    actor: String,
    request_id: String,
}

/// One issued credential.
struct Credential {
    id: String,
    configuration: String,
    issued_at: String,
    status: String,
}

#[derive(Template)]
#[template(path = "console/offer.html")]
struct OfferPage {
    nav: Option<Nav>,
    id: String,
    status: &'static str,
    issuer: String,
    configurations: String,
    grant: String,
    subject: String,
    created_by: String,
    created_at: String,
    expires_at: String,
    live: bool,
    can_revoke: bool,
    can_erase: bool,
    claims_erased: bool,
    failure: Option<String>,
    events: Vec<Event>,
    credentials: Vec<Credential>,
}

/// The offer's view, if the key sees it; else the unknown offer's 404.
pub(super) async fn visible_view(
    state: &ManagementApi,
    caller: &Caller,
    offer_id: Uuid,
) -> Result<OfferView<Value>, ConsoleError> {
    Ok(state
        .queries
        .get(offer_id)
        .await
        .map_err(ApiError::from)?
        .filter(|view| caller.sees_issuer(Some(&view.issuer_id)))
        .ok_or_else(|| unknown_offer(offer_id))?)
}

/// The offer's events, oldest first.
async fn timeline(state: &ManagementApi, offer_id: Uuid) -> Result<Vec<Event>, ConsoleError> {
    let recorded = state.offers.history(offer_id).await.map_err(|e| match e {
        RepositoryError::Store(e) => ApiError::from(e),
        other => ApiError::internal(&other),
    })?;
    Ok(recorded
        .into_iter()
        .map(|(event, _)| Event {
            sequence: event.sequence,
            kind: event.event_type,
            at: when(event.metadata.occurred_at),
            actor: event.metadata.actor,
            request_id: event.metadata.request_id.unwrap_or_default(),
        })
        .collect())
}

/// `GET /console/offers/{id}`.
pub async fn page(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let caller = signed.caller();
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    let view = visible_view(&state, caller, offer_id).await?;
    let events = timeline(&state, offer_id).await?;
    let live = !view.status.is_terminal();
    let credentials = view
        .issued
        .iter()
        .map(|issued| Credential {
            id: issued.credential_id.to_string(),
            configuration: issued.credential_configuration_id.clone(),
            issued_at: when(issued.issued_at),
            status: serde_json::to_value(issued.status)
                .ok()
                .as_ref()
                .map(|v| text_of(Some(v)))
                .unwrap_or_default(),
        })
        .collect();
    render(&OfferPage {
        nav: signed.nav(),
        id: offer_id.to_string(),
        status: view.status.as_str(),
        issuer: view.issuer_id.clone(),
        configurations: view.credential_configuration_ids.join(", "),
        grant: view.grant.clone(),
        subject: text_of(view.subject.as_ref()),
        created_by: view.created_by.clone(),
        created_at: when(view.created_at),
        expires_at: when(view.expires_at),
        live,
        can_revoke: live && caller.has(Scope::OffersWrite),
        can_erase: !view.claims_erased && caller.has(Scope::Admin),
        claims_erased: view.claims_erased,
        failure: view
            .failure
            .as_ref()
            .map(|f| format!("{}: {}", f.code, f.description)),
        events,
        credentials,
    })
}

/// `GET /console/offers/{id}/qr.png`: the QR code of a live offer.
pub async fn qr(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let caller = signed.caller();
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    let png = offer_qr_png(&state, caller, offer_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(png))
}

/// The revocation form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/offers/{id}/revoke`: revokes (the API's `DELETE /offers/{id}`), then
/// `303` to the offer.
pub async fn revoke(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<Uuid>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    let offer_id = path.into_inner();
    let caller = signed.caller();
    let reason = super::offers::given(&form.reason);
    revoke_offer(&state, caller, context, offer_id, reason).await?;
    tracing::info!(key = %caller.name, %offer_id, "offer revoked from the console");
    Ok(see_other(&format!("/console/offers/{offer_id}")))
}

/// `POST /console/offers/{id}/erase`: erases the claims (the API's
/// `POST /offers/{id}/erase`), then `303` to the offer.
pub async fn erase(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<Uuid>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let offer_id = path.into_inner();
    let caller = signed.caller();
    erase_offer(&state, caller, context, offer_id).await?;
    tracing::info!(key = %caller.name, %offer_id, "offer claims erased from the console");
    Ok(see_other(&format!("/console/offers/{offer_id}")))
}
