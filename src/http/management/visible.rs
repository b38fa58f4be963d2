//! Offers as a key restricted to issuers sees them: every route that names an offer (or
//! what hangs off one: its events, QR code, credentials, login sessions) answers an offer of
//! another issuer exactly as an unknown one, with the same 404.

use uuid::Uuid;

use super::auth::Caller;
use super::error::ApiError;
use crate::http::state::ManagementApi;

/// The 404 of an unknown offer.
pub fn unknown_offer(offer_id: Uuid) -> ApiError {
    ApiError::not_found(format!("offer {offer_id} not found"))
}

/// Whether the key sees offer `offer_id`: an unknown offer counts as seen (the route then
/// answers its own 404). Keys that see every issuer read nothing.
pub async fn sees_offer(
    state: &ManagementApi,
    caller: &Caller,
    offer_id: Uuid,
) -> Result<bool, ApiError> {
    if caller.issuers().is_none() {
        return Ok(true);
    }
    let offer = state.offers.load(offer_id).await?;
    Ok(offer
        .definition
        .as_ref()
        .is_none_or(|definition| caller.sees_issuer(definition.issuer_id.as_deref())))
}

/// Fails with `hidden` unless the key sees offer `offer_id` (see [`sees_offer`]).
pub async fn require_offer(
    state: &ManagementApi,
    caller: &Caller,
    offer_id: Uuid,
    hidden: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    match sees_offer(state, caller, offer_id).await? {
        true => Ok(()),
        false => Err(hidden()),
    }
}

/// The QR code (PNG) of offer `offer_id`'s `openid-credential-offer://` URI, for a key that
/// sees it (404 otherwise, and for an unknown offer).
pub async fn offer_qr_png(
    state: &ManagementApi,
    caller: &Caller,
    offer_id: Uuid,
) -> Result<Vec<u8>, ApiError> {
    let offer = state.offers.load(offer_id).await?;
    let Some(definition) = offer
        .definition
        .as_ref()
        .filter(|definition| caller.sees_issuer(definition.issuer_id.as_deref()))
    else {
        return Err(unknown_offer(offer_id));
    };
    let uri =
        crate::app::offers::credential_offer::offer_uri(&state.credential_offer_url(definition));
    crate::http::qr::png(&uri).map_err(|e| ApiError::internal(&e))
}
