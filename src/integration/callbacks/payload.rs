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
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::app::offers::personal;
use crate::store::{SecretStore, StoreError};

/// The status a callback reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetails {
    /// Machine-readable reason, e.g. `tx_code_attempts_exhausted`.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// The JSON body POSTed to the callback URL. Field order is the struct's (serialised
/// from the struct, never through a map), and the signature covers the exact bytes sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCallback {
    /// Equals `offerId` (the contract's deduplication key together with `status`).
    pub event_id: Uuid,
    /// The status.
    pub status: CallbackStatus,
    /// The offer.
    pub offer_id: Uuid,
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
mod tests {
    use super::*;
    use issuance_domain::offer::*;
    use issuance_domain::Digest;

    fn created(single_use: bool) -> OfferCreated {
        OfferCreated {
            offer_id: Uuid::from_u128(7),
            credential_configuration_ids: vec!["A".into(), "B".into()],
            grant: OfferGrant::PreAuthorizedCode {
                code_hash: Digest([0; 32]),
                tx_code: None,
            },
            single_use,
            sealed_subject: None,
            callback_url: Some("https://backend.example/cb".into()),
            sealed_correlation: None,
            expires_at: DateTime::<Utc>::MAX_UTC,
            tx_code_max_attempts: 3,
            sealed_claims: SealedClaims {
                alg: "A256GCM".into(),
                nonce: String::new(),
                ciphertext: String::new(),
            },
            request_fingerprint: Digest([0; 32]),
            legacy_subject: None,
            // As read from a version-1 event: opens without cryptography in these tests.
            legacy_correlation: Some(serde_json::json!({"case": 1})),
        }
    }

    fn redeemed(id: u128) -> OfferEvent {
        OfferEvent::OfferRedeemed(OfferRedeemed {
            redemption_id: Uuid::from_u128(id),
            grant: "pre-authorized_code".into(),
            token_hash: Digest([0; 32]),
            token_expires_at: DateTime::<Utc>::MAX_UTC,
            credential_configuration_ids: vec!["A".into(), "B".into()],
            client_id: None,
            dpop_jkt: None,
        })
    }

    fn issued(redemption: u128, configuration: &str) -> OfferEvent {
        OfferEvent::CredentialIssued(CredentialIssued {
            redemption_id: Uuid::from_u128(redemption),
            credential_configuration_id: configuration.into(),
            credential_id: Uuid::new_v4(),
            sealed_holder_key_thumbprint: None,
            credential_hash: Digest([0; 32]),
            notification_id: "n".into(),
            credential_expires_at: DateTime::<Utc>::MAX_UTC,
            status: None,
            legacy_holder_key_thumbprint: None,
        })
    }

    fn statuses(events: &[OfferEvent]) -> Vec<Option<CallbackStatus>> {
        let mut offer = Offer::default();
        let mut out = Vec::new();
        for event in events {
            out.push(status_of(&offer, event));
            offer.apply(event.clone());
        }
        out
    }

    #[test]
    fn a_single_use_offer_reports_issued_on_completion_only() {
        let events = [
            OfferEvent::OfferCreated(created(true)),
            redeemed(1),
            issued(1, "A"),
            issued(1, "B"),
            OfferEvent::OfferCompleted(OfferCompleted {}),
        ];
        use CallbackStatus::*;
        assert_eq!(
            statuses(&events),
            [Some(OfferCreated), None, None, None, Some(Issued)]
        );
    }

    #[test]
    fn a_multi_use_offer_reports_issued_once_per_completed_redemption() {
        let events = [
            OfferEvent::OfferCreated(created(false)),
            redeemed(1),
            redeemed(2),
            issued(1, "A"),
            issued(2, "A"),
            issued(1, "B"),
            issued(1, "B"), // a second credential of a batch: no second callback
            issued(2, "B"),
        ];
        use CallbackStatus::*;
        assert_eq!(
            statuses(&events),
            [
                Some(OfferCreated),
                None,
                None,
                None,
                None,
                Some(Issued),
                None,
                Some(Issued)
            ]
        );
    }

    #[test]
    fn failed_callbacks_carry_error_details_and_the_offer_data() {
        let before = Offer::from_events(&[OfferEvent::OfferCreated(created(true))]);
        let failed = OfferEvent::OfferFailed(OfferFailed {
            code: "tx_code_attempts_exhausted".into(),
            description: "too many".into(),
        });
        let callback = callback_for(&before, &failed, 5, DateTime::<Utc>::MIN_UTC).unwrap();
        assert_eq!(callback.status, CallbackStatus::Failed);
        assert_eq!(callback.event_id, callback.offer_id);
        assert_eq!(
            callback.error_details.unwrap().code,
            "tx_code_attempts_exhausted"
        );
        // Opened only when sent, and only for the offer's own URL.
        assert_eq!(callback.correlation, Value::Null);
        assert!(stored_correlation(&before, &failed).is_some());
        let mut without_url = created(true);
        without_url.callback_url = None;
        let before_default = Offer::from_events(&[OfferEvent::OfferCreated(without_url)]);
        assert!(stored_correlation(&before_default, &failed).is_none());
        let body = serde_json::to_value(
            callback_for(
                &before,
                &OfferEvent::OfferExpired(OfferExpired {}),
                2,
                DateTime::<Utc>::MIN_UTC,
            )
            .unwrap(),
        )
        .unwrap();
        for key in [
            "eventId",
            "status",
            "offerId",
            "occurredAt",
            "sequence",
            "credentialConfigurationIds",
            "correlation",
            "errorDetails",
        ] {
            assert!(body.get(key).is_some(), "{key} missing in {body}");
        }
        assert_eq!(body["status"], "EXPIRED");
        assert!(body["errorDetails"].is_null());
    }

    #[test]
    fn the_offer_url_wins_over_the_default() {
        let created = OfferEvent::OfferCreated(created(true));
        let before = Offer::from_events([&created]);
        let expired = OfferEvent::OfferExpired(OfferExpired {});
        assert_eq!(
            target_url(&before, &expired, Some("https://default.example")),
            Some("https://backend.example/cb")
        );
        assert_eq!(
            target_url(&Offer::default(), &created, None),
            Some("https://backend.example/cb")
        );
    }
}
