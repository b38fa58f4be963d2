//! The publishable form of an event: no personal data (sealed or not), no hashes of
//! secrets. What leaves the write side this way (AMQP messages, the callback outbox, dead
//! letters, histories) cannot be erased, so it holds ids, times, codes and counts only.

mod offer;
#[cfg(test)]
mod tests;

use issuance_domain::authorization::AuthorizationEvent;
use issuance_domain::offer::{OfferEvent, OfferGrant};
use issuance_domain::schema::schema_of;
use serde::Serialize;
use serde_json::{json, Value};

pub use offer::*;

fn value<T: Serialize>(data: T) -> Value {
    serde_json::to_value(data).unwrap_or(Value::Null)
}

/// An event's data as shown outside the write side (offer history, AMQP, callbacks):
/// sealed claims, subject, correlation and holder key thumbprints, request fingerprints
/// and code/token/credential hashes are left out. One type per event (see [`offer`]).
pub fn public_data(event: &OfferEvent) -> Value {
    match event {
        OfferEvent::OfferCreated(created) => {
            let tx_code = match &created.grant {
                OfferGrant::PreAuthorizedCode {
                    tx_code: Some(tx), ..
                } => Some(TxCodeData {
                    input_mode: tx.input_mode,
                    length: tx.length,
                    description: tx.description.clone(),
                }),
                _ => None,
            };
            value(OfferCreatedData {
                offer_id: created.offer_id,
                credential_configuration_ids: created.credential_configuration_ids.clone(),
                grant: created.grant.name().into(),
                tx_code,
                single_use: created.single_use,
                expires_at: created.expires_at,
                tx_code_max_attempts: created.tx_code_max_attempts,
            })
        }
        OfferEvent::TxCodeRejected(rejected) => value(TxCodeRejectedData {
            attempts_remaining: rejected.attempts_remaining,
        }),
        OfferEvent::OfferRedeemed(redeemed) => value(OfferRedeemedData {
            redemption_id: redeemed.redemption_id,
            grant: redeemed.grant.clone(),
            token_expires_at: redeemed.token_expires_at,
            credential_configuration_ids: redeemed.credential_configuration_ids.clone(),
            client_id: redeemed.client_id.clone(),
            dpop_bound: redeemed.dpop_jkt.is_some(),
        }),
        OfferEvent::CredentialIssued(issued) => value(CredentialIssuedData {
            redemption_id: issued.redemption_id,
            credential_configuration_id: issued.credential_configuration_id.clone(),
            credential_id: issued.credential_id,
            notification_id: issued.notification_id.clone(),
            credential_expires_at: issued.credential_expires_at,
            status: issued.status,
        }),
        OfferEvent::OfferCompleted(_) | OfferEvent::OfferExpired(_) => value(NoData {}),
        OfferEvent::OfferFailed(failed) => value(OfferFailedData {
            code: failed.code.clone(),
            description: failed.description.clone(),
        }),
        OfferEvent::OfferRevoked(revoked) => value(OfferRevokedData {
            reason: revoked.reason.clone(),
        }),
        OfferEvent::NotificationReceived(notification) => value(NotificationData {
            notification_id: notification.notification_id.clone(),
            event: notification.event,
            event_description: notification.event_description.clone(),
        }),
        OfferEvent::ClaimsErased(erased) => value(ClaimsErasedData {
            reason: erased.reason.clone(),
        }),
        OfferEvent::RedemptionRevoked(revoked) => value(RedemptionRevokedData {
            redemption_id: revoked.redemption_id,
            reason: revoked.reason.clone(),
        }),
        // The operator's reason is shown as an offer revocation's is.
        OfferEvent::CredentialRevoked(changed)
        | OfferEvent::CredentialSuspended(changed)
        | OfferEvent::CredentialReinstated(changed) => value(CredentialStatusData {
            credential_id: changed.credential_id,
            list_id: changed.list_id,
            idx: changed.idx,
            reason: changed.reason.clone(),
        }),
    }
}

/// The JSON Schema of [`public_data`] for an Offer event type (`None` for another name).
pub fn public_data_schema(event_type: &str) -> Option<Value> {
    Some(match event_type {
        "OfferCreated" => schema_of::<OfferCreatedData>(),
        "TxCodeRejected" => schema_of::<TxCodeRejectedData>(),
        "OfferRedeemed" => schema_of::<OfferRedeemedData>(),
        "CredentialIssued" => schema_of::<CredentialIssuedData>(),
        "OfferCompleted" | "OfferExpired" => schema_of::<NoData>(),
        "OfferFailed" => schema_of::<OfferFailedData>(),
        "OfferRevoked" => schema_of::<OfferRevokedData>(),
        "NotificationReceived" => schema_of::<NotificationData>(),
        "ClaimsErased" => schema_of::<ClaimsErasedData>(),
        "RedemptionRevoked" => schema_of::<RedemptionRevokedData>(),
        "CredentialRevoked" | "CredentialSuspended" | "CredentialReinstated" => {
            schema_of::<CredentialStatusData>()
        }
        _ => return None,
    })
}

/// The publishable form of an authorization session event: the request and its outcome,
/// without the subject and the digests of the request URI, login challenge, PKCE challenge
/// and code.
pub fn authorization_public_data(event: &AuthorizationEvent) -> Value {
    match event {
        AuthorizationEvent::AuthorizationRequested(requested) => json!({
            "session_id": requested.session_id,
            "client_id": requested.client_id,
            "redirect_uri": requested.redirect_uri,
            "credential_configuration_ids": requested.credential_configuration_ids,
            "authorization_details": requested.authorization_details,
            "offer_id": requested.offer_id,
            "pushed": requested.pushed.is_some(),
            "request_uri_expires_at": requested.pushed.as_ref().map(|p| p.expires_at),
            "dpop_bound": requested.dpop_jkt.is_some(),
        }),
        AuthorizationEvent::LoginStarted(login) => json!({"expires_at": login.expires_at}),
        AuthorizationEvent::AuthorizationGranted(granted) => json!({
            "offer_id": granted.offer_id,
            "code_expires_at": granted.code_expires_at,
        }),
        AuthorizationEvent::AuthorizationDenied(denied) => json!({
            "reason": denied.reason,
            "description": denied.description,
        }),
        AuthorizationEvent::AuthorizationCodeExchanged(exchanged) => {
            json!({"redemption_id": exchanged.redemption_id})
        }
        AuthorizationEvent::AuthorizationCodeReplayed(replayed) => json!({
            "offer_id": replayed.offer_id,
            "redemption_id": replayed.redemption_id,
        }),
    }
}
