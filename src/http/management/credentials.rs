//! Issued credentials and their status (ADR 8):
//!
//! - `GET /offers/{id}/credentials`, `GET /credentials/{credential_id}` (`offers:read`):
//!   each credential's configuration, issue time, holder key thumbprint (until erasure),
//!   status, list and index.
//! - `POST /credentials/{credential_id}/revoke|suspend|reinstate` `{"reason"}` and
//!   `POST /offers/{id}/credentials/revoke` (`credentials:write`): a status change is an
//!   event on the offer's stream (actor, reason, time); revoked is final (409), reinstate
//!   only from suspended (409), an unknown credential 404.

use actix_web::{web, HttpResponse};
use issuance_domain::offer::{
    ChangeCredentialStatus, OfferCommand, OfferError, OfferEvent, RevokeCredentials,
};
use issuance_domain::status_list::{StatusAction, StatusBits, StatusError};
use issuance_projections::IssuedCredentialView;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::offers::CommandError;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::management::visible::{require_offer, unknown_offer};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;
use crate::status::StatusAllocator;

/// Longest accepted reason.
const MAX_REASON_CHARS: usize = 500;

/// Registers the credential routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/offers/{offer_id}/credentials", web::get().to(list))
        .route(
            "/offers/{offer_id}/credentials/revoke",
            web::post().to(revoke_all),
        )
        .route("/credentials/{credential_id}", web::get().to(get))
        .route(
            "/credentials/{credential_id}/{action}",
            web::post().to(change),
        );
}

/// `{"reason": "..."}`, optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: Option<String>,
}

impl ReasonBody {
    fn reason(body: Option<web::Json<ReasonBody>>) -> Result<Option<String>, ApiError> {
        let reason = body.and_then(|b| b.into_inner().reason);
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        {
            return Err(ApiError::invalid_request(format!(
                "reason must be at most {MAX_REASON_CHARS} characters"
            )));
        }
        Ok(reason)
    }
}

/// The credentials of an offer.
async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let offer_id = path.into_inner();
    let credentials = credentials_of(&state, &caller, offer_id)
        .await?
        .ok_or_else(|| unknown_offer(offer_id))?;
    Ok(HttpResponse::Ok().json(json!({ "items": credentials })))
}

/// One credential.
async fn get(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let credential_id = path.into_inner();
    let offer_id = offer_of(&state, credential_id).await?;
    let credential = credentials_of(&state, &caller, offer_id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .find(|c| c["credential_id"] == json!(credential_id))
        .ok_or_else(|| unknown(credential_id))?;
    Ok(HttpResponse::Ok().json(credential))
}

/// Revokes, suspends or reinstates one credential; answers with its new status.
async fn change(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<(Uuid, String)>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CredentialsWrite)?;
    let (credential_id, action) = path.into_inner();
    let action = match action.as_str() {
        "revoke" => StatusAction::Revoke,
        "suspend" => StatusAction::Suspend,
        "reinstate" => StatusAction::Reinstate,
        _ => return Err(ApiError::not_found("no such endpoint")),
    };
    let reason = ReasonBody::reason(body)?;
    let lists = &state.status_lists;
    if action == StatusAction::Suspend && !lists.settings.suspension {
        return Err(ApiError::conflict(
            "suspension_unsupported",
            "suspension is disabled (status_lists.suspension = false)",
        ));
    }
    let offer_id = offer_of(&state, credential_id).await?;
    require_offer(&state, &caller, offer_id, || unknown(credential_id)).await?;
    let meta = command_meta(&state, &caller, context);
    let executed = state
        .offers
        .execute(offer_id, &meta, |offer, _| {
            // The width of the credential's own list decides whether it can be suspended.
            let bits = offer
                .credential(credential_id)
                .and_then(|credential| credential.entry)
                .and_then(|entry| lists.registry.list(entry.list_id))
                .map_or(StatusBits::Two, |list| list.opened.bits);
            OfferCommand::ChangeCredentialStatus(ChangeCredentialStatus {
                credential_id,
                action,
                reason: reason.clone(),
                bits,
            })
        })
        .await
        .map_err(|e| rejection(e, credential_id))?;
    let credential = executed
        .state
        .credential(credential_id)
        .ok_or_else(|| unknown(credential_id))?;
    let entry = credential.entry;
    Ok(HttpResponse::Ok().json(json!({
        "credential_id": credential_id,
        "offer_id": offer_id,
        "status": credential.status,
        "status_list": entry.map(|e| status_list(&state, e.list_id, e.idx)),
    })))
}

/// Revokes every credential of an offer that is not revoked yet.
async fn revoke_all(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<Uuid>,
    body: Option<web::Json<ReasonBody>>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::CredentialsWrite)?;
    let offer_id = path.into_inner();
    let reason = ReasonBody::reason(body)?;
    require_offer(&state, &caller, offer_id, || unknown_offer(offer_id)).await?;
    let meta = command_meta(&state, &caller, context);
    let executed = state
        .offers
        .execute(offer_id, &meta, |_, _| {
            OfferCommand::RevokeCredentials(RevokeCredentials {
                reason: reason.clone(),
            })
        })
        .await
        .map_err(|e| match e {
            CommandError::Rejected(OfferError::NotFound) => unknown_offer(offer_id),
            other => other.into(),
        })?;
    let revoked: Vec<Uuid> = executed
        .events
        .iter()
        .filter_map(|event| match event {
            OfferEvent::CredentialRevoked(changed) => Some(changed.credential_id),
            _ => None,
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "offer_id": offer_id, "revoked": revoked })))
}

/// The offer a credential was issued from (waiting briefly for the registry, which may not
/// have read a credential issued on another node yet).
async fn offer_of(state: &ManagementApi, credential_id: Uuid) -> Result<Uuid, ApiError> {
    let registry = &state.status_lists.registry;
    if let Some(offer_id) = registry.offer_of(credential_id) {
        return Ok(offer_id);
    }
    state.await_status_registry_head().await?;
    registry
        .offer_of(credential_id)
        .ok_or_else(|| unknown(credential_id))
}

/// An offer's credentials as the API shows them (from the offer view, read-your-write);
/// `None` for an unknown offer or one of an issuer the key does not see.
async fn credentials_of(
    state: &ManagementApi,
    caller: &Caller,
    offer_id: Uuid,
) -> Result<Option<Vec<Value>>, ApiError> {
    let view = state.queries.get(offer_id).await?;
    Ok(view
        .filter(|view| caller.sees_issuer(Some(&view.issuer_id)))
        .map(|view| {
            view.issued
                .into_iter()
                .map(|issued| present(state, offer_id, issued))
                .collect()
        }))
}

fn present(state: &ManagementApi, offer_id: Uuid, issued: IssuedCredentialView<Value>) -> Value {
    json!({
        "credential_id": issued.credential_id,
        "offer_id": offer_id,
        "credential_configuration_id": issued.credential_configuration_id,
        "issued_at": issued.issued_at,
        "holder_key_thumbprint": issued.holder_key_thumbprint,
        "status": issued.status_entry.map(|_| issued.status),
        "status_list": issued.status_entry.map(|e| status_list(state, e.list_id, e.idx)),
    })
}

fn status_list(state: &ManagementApi, list_id: Uuid, idx: u32) -> Value {
    json!({
        "list_id": list_id,
        "idx": idx,
        "uri": StatusAllocator::uri(&state.issuer_url, list_id),
    })
}

fn unknown(credential_id: Uuid) -> ApiError {
    ApiError::not_found(format!("credential {credential_id} not found"))
}

/// A refused status change: 404 for an unknown credential, 409 for a change its status
/// does not allow.
fn rejection(error: CommandError, credential_id: Uuid) -> ApiError {
    let CommandError::Rejected(rejected) = error else {
        return error.into();
    };
    let description = rejected.to_string();
    match rejected {
        OfferError::NotFound | OfferError::UnknownCredential => unknown(credential_id),
        OfferError::NoCredentialStatus => ApiError::conflict("no_credential_status", description),
        OfferError::CredentialStatus(status) => ApiError::conflict(
            match status {
                StatusError::AlreadyRevoked => "credential_revoked",
                StatusError::AlreadySuspended => "credential_suspended",
                StatusError::NotSuspended => "credential_not_suspended",
                StatusError::SuspensionUnsupported => "suspension_unsupported",
                _ => "credential_status_conflict",
            },
            description,
        ),
        other => CommandError::Rejected(other).into(),
    }
}
