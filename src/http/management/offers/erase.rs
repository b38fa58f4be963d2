//! `POST /offers/{id}/erase` (admin): erase the offer's claims by destroying its data key
//! (crypto-shredding) and recording `ClaimsErased` (reason `admin_request`). The history
//! and the audit chain stay intact; the claims are unrecoverable and nothing more can be
//! issued from the offer.

use actix_web::{web, HttpResponse};
use issuance_domain::offer::OfferError;
use uuid::Uuid;

use crate::app::offers::erasure::{erase_claims, Erasure, REASON_ADMIN_REQUEST};
use crate::app::offers::CommandError;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::management::visible::{require_offer, unknown_offer};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// Erases an offer's claims: 204; 404 unknown offer; 409 `claims_already_erased`.
pub async fn erase(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    erase_offer(&state, &caller, context, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Erases the claims of `offer_id` for `caller` (`admin`): what `POST /offers/{id}/erase`
/// and the console's erasure do. 404 for an unknown offer, 409 `claims_already_erased`.
pub(crate) async fn erase_offer(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    offer_id: Uuid,
) -> Result<(), ApiError> {
    caller.require(Scope::Admin)?;
    // `admin` keys see every issuer (they cannot be restricted); checked all the same.
    require_offer(state, caller, offer_id, || unknown_offer(offer_id)).await?;
    let meta = command_meta(state, caller, context);
    let erasure = erase_claims(
        &state.offers,
        &state.data_keys,
        offer_id,
        REASON_ADMIN_REQUEST,
        &meta,
    )
    .await
    .map_err(|e| match e {
        CommandError::Rejected(OfferError::NotFound) => unknown_offer(offer_id),
        other => other.into(),
    })?;
    match erasure {
        Erasure::Erased(_) => {
            tracing::info!(%offer_id, "claims erased on admin request");
            Ok(())
        }
        Erasure::AlreadyErased => Err(ApiError::conflict(
            "claims_already_erased",
            format!("the claims of offer {offer_id} were already erased"),
        )),
    }
}
