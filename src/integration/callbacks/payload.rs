//! Which events become status callbacks, and the callback body (api.md, Status callbacks).
//!
//! | event | status |
//! |---|---|
//! | `OfferCreated` | `OFFER_CREATED` |
//! | `OfferCompleted` (single-use: every offered credential issued) | `ISSUED` |
//! | `CredentialIssued` that completes one wallet's redemption of a **multi-use** offer | `ISSUED` |
//! | `OfferFailed` | `FAILED` with `errorDetails` |
//! | `OfferExpired` | `EXPIRED` |
//! | `OfferRevoked` | `REVOKED` (extension) |
//! | `CredentialRevoked` | `CREDENTIAL_REVOKED` (extension) |
//! | `CredentialSuspended` | `CREDENTIAL_SUSPENDED` (extension) |
//! | `CredentialReinstated` | `CREDENTIAL_REINSTATED` (extension) |
//!
//! Multi-use offers never complete (they stay live until they expire or are revoked), so
//! they send `ISSUED` each time a wallet has received everything its access token covers.
//! Every such callback carries its own `sequence` and `X-Issuance-Delivery`; a receiver
//! that deduplicates on `eventId` + `status` as api.md suggests keeps the first one, which
//! is the useful fact ("issued at least once"); one that wants every wallet deduplicates
//! on `X-Issuance-Delivery` instead.
//!
//! `correlation` is the only personal data a callback carries. It is stored sealed with
//! the offer's data key and opened when the callback is sent ([`StoredCorrelation::open`]),
//! only for the offer's own `callback_url` (the configured default receiver serves every
//! offer and gets `null`), and only while the key exists: after erasure it is `null`.
//! Nothing upstream of the send (AMQP messages, the outbox) holds it.

use chrono::{DateTime, Utc};
use issuance_domain::offer::{Offer, OfferEvent};
use issuance_domain::sealed::purpose;
use issuance_domain::Sealed;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::app::offers::personal;
use crate::store::{SecretStore, StoreError};

/// The status a callback reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallbackStatus {
    /// The offer was created.
    OfferCreated,
    /// Credentials were issued (the offer completed, or a multi-use redemption did).
    Issued,
    /// The offer failed permanently.
    Failed,
    /// The offer expired.
    Expired,
    /// An admin revoked the offer (extension to the four statuses of the contract).
    Revoked,
    /// One issued credential was revoked (extension).
    CredentialRevoked,
    /// One issued credential was suspended (extension).
    CredentialSuspended,
    /// A suspended credential was reinstated (extension).
    CredentialReinstated,
}

impl CallbackStatus {
    /// The wire name, e.g. `OFFER_CREATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackStatus::OfferCreated => "OFFER_CREATED",
            CallbackStatus::Issued => "ISSUED",
            CallbackStatus::Failed => "FAILED",
            CallbackStatus::Expired => "EXPIRED",
            CallbackStatus::Revoked => "REVOKED",
            CallbackStatus::CredentialRevoked => "CREDENTIAL_REVOKED",
            CallbackStatus::CredentialSuspended => "CREDENTIAL_SUSPENDED",
            CallbackStatus::CredentialReinstated => "CREDENTIAL_REINSTATED",
        }
    }
}

/// `errorDetails` of a `FAILED` callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ErrorDetails {
    /// Machine-readable reason, e.g. `tx_code_attempts_exhausted`.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// The JSON body POSTed to the callback URL. Field order is the struct's (serialised
/// from the struct, never through a map), and the signature covers the exact bytes sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct StatusCallback {
    /// Equals `offerId` (the contract's deduplication key together with `status`).
    pub event_id: Uuid,
    /// The status.
    pub status: CallbackStatus,
    /// The offer.
    pub offer_id: Uuid,
    /// The offer's issuer: `default` for the configuration file's, else an issuer managed
    /// at runtime.
    pub issuer_id: String,
    /// When the event that caused the callback happened.
    pub occurred_at: DateTime<Utc>,
    /// That event's sequence in the offer's stream: order callbacks of one offer by it.
    pub sequence: u64,
    /// The offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// The creator's opaque correlation object: `null` when none was given, when the
    /// callback goes to the configured default URL, and once the claims are erased.
    pub correlation: Value,
    /// Why the offer failed (only for `FAILED`, else `null`).
    pub error_details: Option<ErrorDetails>,
    /// The credential whose status changed (only for the `CREDENTIAL_*` extensions, else
    /// absent): receivers deduplicate those on `eventId` + `status` + `credentialId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<Uuid>,
}

/// The status an event reports, given the offer's state just before it.
pub fn status_of(before: &Offer, event: &OfferEvent) -> Option<CallbackStatus> {
    match event {
        OfferEvent::OfferCreated(_) => Some(CallbackStatus::OfferCreated),
        OfferEvent::OfferCompleted(_) => Some(CallbackStatus::Issued),
        OfferEvent::OfferFailed(_) => Some(CallbackStatus::Failed),
        OfferEvent::OfferExpired(_) => Some(CallbackStatus::Expired),
        OfferEvent::OfferRevoked(_) => Some(CallbackStatus::Revoked),
        OfferEvent::CredentialRevoked(_) => Some(CallbackStatus::CredentialRevoked),
        OfferEvent::CredentialSuspended(_) => Some(CallbackStatus::CredentialSuspended),
        OfferEvent::CredentialReinstated(_) => Some(CallbackStatus::CredentialReinstated),
        OfferEvent::CredentialIssued(issued) if !before.is_single_use() => {
            let redemption = before.redemptions.get(&issued.redemption_id)?;
            let issued_before = &redemption.issued_configuration_ids;
            let completes = !issued_before.contains(&issued.credential_configuration_id)
                && redemption.credential_configuration_ids.iter().all(|id| {
                    issued_before.contains(id) || *id == issued.credential_configuration_id
                });
            completes.then_some(CallbackStatus::Issued)
        }
        _ => None,
    }
}

/// The callback an event causes, if any: `before` is the offer's state before the event,
/// `sequence` and `occurred_at` are the event's.
pub fn callback_for(
    before: &Offer,
    event: &OfferEvent,
    sequence: u64,
    occurred_at: DateTime<Utc>,
) -> Option<StatusCallback> {
    let status = status_of(before, event)?;
    let definition = match event {
        OfferEvent::OfferCreated(created) => created,
        _ => before.definition.as_ref()?,
    };
    let error_details = match event {
        OfferEvent::OfferFailed(failed) => Some(ErrorDetails {
            code: failed.code.clone(),
            description: failed.description.clone(),
        }),
        _ => None,
    };
    let credential_id = match event {
        OfferEvent::CredentialRevoked(changed)
        | OfferEvent::CredentialSuspended(changed)
        | OfferEvent::CredentialReinstated(changed) => Some(changed.credential_id),
        _ => None,
    };
    Some(StatusCallback {
        event_id: definition.offer_id,
        status,
        offer_id: definition.offer_id,
        issuer_id: definition
            .issuer_id
            .clone()
            .unwrap_or_else(|| crate::app::issuers::DEFAULT_ISSUER.to_string()),
        occurred_at,
        sequence,
        credential_configuration_ids: definition.credential_configuration_ids.clone(),
        // Opened at send time, see `StoredCorrelation`.
        correlation: Value::Null,
        error_details,
        credential_id,
    })
}

/// An offer's correlation object as stored (sealed, or plaintext of a version-1 event),
/// to be opened when its callback is sent.
#[derive(Debug, Clone)]
pub struct StoredCorrelation {
    offer_id: Uuid,
    sealed: Option<Sealed>,
    legacy: Option<Value>,
}

impl StoredCorrelation {
    /// The correlation object, opened with the offer's data key; `null` once the key is
    /// gone (the claims were erased).
    pub async fn open(&self, secrets: &dyn SecretStore) -> Result<Value, StoreError> {
        let key = secrets.data_key(self.offer_id).await?;
        let purpose = purpose::CORRELATION;
        let (sealed, legacy) = (self.sealed.as_ref(), self.legacy.clone());
        Ok(
            personal::open(key.as_ref(), self.offer_id, purpose, sealed, legacy)
                .unwrap_or(Value::Null),
        )
    }
}

/// The correlation a callback for `event` may carry: only an offer's with its own
/// callback URL (the configured default receiver serves every offer).
pub fn stored_correlation(before: &Offer, event: &OfferEvent) -> Option<StoredCorrelation> {
    let definition = match event {
        OfferEvent::OfferCreated(created) => created,
        _ => before.definition.as_ref()?,
    };
    let has_correlation =
        definition.sealed_correlation.is_some() || definition.legacy_correlation.is_some();
    (definition.callback_url.is_some() && has_correlation).then(|| StoredCorrelation {
        offer_id: definition.offer_id,
        sealed: definition.sealed_correlation.clone(),
        legacy: definition.legacy_correlation.clone(),
    })
}

/// The callback URL of an offer: its own, else the configured default.
pub fn target_url<'a>(
    before: &'a Offer,
    event: &'a OfferEvent,
    default: Option<&'a str>,
) -> Option<&'a str> {
    let own = match event {
        OfferEvent::OfferCreated(created) => created.callback_url.as_deref(),
        _ => before
            .definition
            .as_ref()
            .and_then(|d| d.callback_url.as_deref()),
    };
    own.or(default)
}

#[cfg(test)]
mod tests;
