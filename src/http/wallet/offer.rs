//! `GET /credential-offers/{reference}`: the Credential Offer by reference (OID4VCI 1.0
//! §4.1.3), the target of the management API's `credential_offer_uri`.
//!
//! The reference is the offer's unguessable handle ([`codes::offer_reference`]), never the
//! offer id: the id is public (AMQP, callbacks, the audit view), so it must not be enough
//! to obtain a pre-authorized code. A bare offer id answers 404 like any unknown handle.
//!
//! Read from the offer's own stream, so a revoked or expired offer disappears at once.
//! The object carries the pre-authorized code, hence `no-store`.

use super::errors::{ErrorCode, WalletError};
use crate::app::offers::credential_offer::credential_offer;
use crate::app::offers::CommandError;
use crate::crypto::codes;
use crate::http::state::WalletApi;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

/// Serves the credential offer object of a live offer; 404 for a reference that is not
/// genuine and for unknown, expired or terminal (completed, failed, revoked) offers.
pub async fn credential_offer_by_reference(
    state: web::Data<WalletApi>,
    request: HttpRequest,
) -> Result<HttpResponse, WalletError> {
    let not_found = || WalletError::new(ErrorCode::NotFound, "no such credential offer");
    // By name: under a runtime issuer's path the issuer id is a segment too.
    let reference = request.match_info().get("reference").unwrap_or_default();
    let offer_id =
        codes::offer_id_of_reference(&state.server_secret, reference).ok_or_else(not_found)?;
    let offer = state.offers.load(offer_id).await.map_err(|e| match e {
        CommandError::Store(e) => e.into(),
        other => WalletError::internal(&other),
    })?;
    let definition = offer.definition.as_ref().ok_or_else(not_found)?;
    // Served at its own issuer only.
    if definition.issuer_id != state.issuer_id
        || offer.status.is_terminal()
        || state.clock.now() >= definition.expires_at
    {
        return Err(not_found());
    }
    let body = credential_offer(&state.issuer_url, &state.server_secret, definition);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}
