//! `DELETE /offers/{id}`: revoke a live offer; its codes and tokens stop working at once
//! (every wallet request re-reads the offer's stream).

use actix_web::{web, HttpResponse};
use issuance_domain::offer::{OfferCommand, OfferError, RevokeOffer};
use serde::Deserialize;
use uuid::Uuid;

use crate::app::offers::CommandError;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::management::visible::{require_offer, unknown_offer};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// `?reason=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeParams {
    reason: Option<String>,
}

/// Revokes an offer.
pub async fn revoke(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<Uuid>,
    params: web::Query<RevokeParams>,
) -> Result<HttpResponse, ApiError> {
    let reason = params.into_inner().reason;
    revoke_offer(&state, &caller, context, path.into_inner(), reason).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes `offer_id` for `caller` (`offers:write`), with an optional reason of at most
/// 500 characters: what `DELETE /offers/{id}` and the console's revocation do. 404 for an
/// offer the key does not see, 409 `offer_terminal` for one that is no longer live.
pub(crate) async fn revoke_offer(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    offer_id: Uuid,
    reason: Option<String>,
) -> Result<(), ApiError> {
    caller.require(Scope::OffersWrite)?;
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::invalid_request(
            "reason must be at most 500 characters",
        ));
    }
    require_offer(state, caller, offer_id, || unknown_offer(offer_id)).await?;
    let meta = command_meta(state, caller, context);
    state
        .offers
        .execute(offer_id, &meta, |_, _| {
            OfferCommand::Revoke(RevokeOffer {
                reason: reason.clone(),
            })
        })
        .await
        .map_err(|e| match e {
            CommandError::Rejected(OfferError::NotFound) => unknown_offer(offer_id),
            CommandError::Rejected(OfferError::Terminal(status)) => {
                ApiError::conflict("offer_terminal", format!("the offer is already {status}"))
            }
            other => other.into(),
        })?;
    Ok(())
}
