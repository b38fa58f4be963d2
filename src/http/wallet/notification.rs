//! `POST /notification` (OID4VCI 1.0 §11): the wallet reports what became of the
//! credentials of one credential response. Recorded as `NotificationReceived`; 204;
//! idempotent (a repeat records nothing).

use actix_web::{web, HttpResponse};
use issuance_domain::offer::{NotificationEvent, OfferCommand, RecordNotification};
use serde::Deserialize;
use serde_json::Value;

use super::access_token::Bearer;
use super::errors::{ErrorCode, WalletError};
use super::rejections::{command_error, notification_rejection};
use super::wallet_command_meta;
use crate::http::request_context::RequestContext;
use crate::http::state::WalletApi;

/// Longest accepted `notification_id` and `event_description`.
const MAX_FIELD_LEN: usize = 1024;

/// The notification request body; types are checked by hand for precise errors.
#[derive(Debug, Deserialize)]
pub struct NotificationBody {
    notification_id: Option<Value>,
    event: Option<Value>,
    event_description: Option<Value>,
}

/// Records a notification.
pub async fn notification(
    state: web::Data<WalletApi>,
    context: RequestContext,
    bearer: Bearer,
    body: web::Json<NotificationBody>,
) -> Result<HttpResponse, WalletError> {
    let token = bearer.0;
    let body = body.into_inner();
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidNotificationRequest, reason);
    let notification_id = match body.notification_id {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_FIELD_LEN => id,
        None => return Err(invalid("notification_id is required")),
        Some(_) => return Err(invalid("notification_id must be a non-empty string")),
    };
    let event = match body.event.as_ref().and_then(Value::as_str) {
        Some("credential_accepted") => NotificationEvent::CredentialAccepted,
        Some("credential_failure") => NotificationEvent::CredentialFailure,
        Some("credential_deleted") => NotificationEvent::CredentialDeleted,
        Some(_) => {
            return Err(invalid(
                "event must be credential_accepted, credential_failure or credential_deleted",
            ))
        }
        None => return Err(invalid("event is required")),
    };
    let event_description = match body.event_description {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if is_description(&text) => Some(text),
        Some(_) => {
            return Err(invalid(
                "event_description must be printable ASCII without quotes or backslashes",
            ))
        }
    };
    let meta = wallet_command_meta(&state, context);
    state
        .offers
        .execute(token.offer_id, &meta, |_, _| {
            OfferCommand::RecordNotification(RecordNotification {
                redemption_id: token.redemption_id,
                token_hash: token.hash,
                dpop_jkt: token.dpop_jkt.clone(),
                notification_id: notification_id.clone(),
                event,
                event_description: event_description.clone(),
            })
        })
        .await
        .map_err(|e| command_error(e, notification_rejection))?;
    Ok(HttpResponse::NoContent()
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

/// §11.1: `%x20-21 / %x23-5B / %x5D-7E`.
fn is_description(text: &str) -> bool {
    text.len() <= MAX_FIELD_LEN
        && text
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}
