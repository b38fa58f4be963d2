//! The offer view: one row per offer, as `GET /offers/{id}` returns it.

use chrono::{DateTime, Utc};
use issuance_domain::offer::{OfferEvent, OfferGrant, OfferStatus};
use issuance_domain::EventMetadata;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A credential issued from the offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedCredentialView {
    /// Its configuration.
    pub credential_configuration_id: String,
    /// Its id.
    pub credential_id: Uuid,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Thumbprint of the holder key it is bound to.
    pub holder_key_thumbprint: String,
}

/// Why the offer failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureView {
    /// Machine-readable reason.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// The offer view. Never holds claims or codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferView {
    /// The offer's id.
    pub offer_id: Uuid,
    /// Current status.
    pub status: OfferStatus,
    /// Offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// `pre-authorized_code` or `authorization_code`.
    pub grant: String,
    /// Whether a transaction code is required.
    pub tx_code_required: bool,
    /// Single- or multi-use.
    pub single_use: bool,
    /// The institution's subject identifier.
    pub subject: Option<String>,
    /// Opaque object from the creator.
    pub correlation: Option<Value>,
    /// Where status callbacks go (the configured default when `None`).
    pub callback_url: Option<String>,
    /// The API key (or other actor) that created it.
    pub created_by: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Redemption deadline.
    pub expires_at: DateTime<Utc>,
    /// The moment the expiry scheduler may expire it (extended by live access tokens).
    pub deadline: DateTime<Utc>,
    /// Time of the latest event.
    pub updated_at: DateTime<Utc>,
    /// When the offer reached its terminal status.
    pub terminal_at: Option<DateTime<Utc>>,
    /// Credentials issued.
    pub issued: Vec<IssuedCredentialView>,
    /// Wrong transaction codes still tolerated.
    pub tx_code_attempts_remaining: u32,
    /// Why it failed, when `FAILED`.
    pub failure: Option<FailureView>,
    /// Whether the claims were erased.
    pub claims_erased: bool,
    /// Number of events (the stream version).
    pub version: u64,
}

impl OfferView {
    /// Applies one event of the offer's stream. `current` is the row before the event
    /// (`None` for the first event). Returns `None` only if the stream does not start with
    /// `OfferCreated` (such an event is ignored).
    pub fn apply(
        current: Option<OfferView>,
        event: &OfferEvent,
        metadata: &EventMetadata,
        sequence: u64,
    ) -> Option<OfferView> {
        let at = metadata.occurred_at;
        let mut view = match (current, event) {
            (None, OfferEvent::OfferCreated(created)) => {
                return Some(OfferView {
                    offer_id: created.offer_id,
                    status: OfferStatus::Created,
                    credential_configuration_ids: created.credential_configuration_ids.clone(),
                    grant: created.grant.name().to_string(),
                    tx_code_required: matches!(
                        created.grant,
                        OfferGrant::PreAuthorizedCode {
                            tx_code: Some(_),
                            ..
                        }
                    ),
                    single_use: created.single_use,
                    subject: created.subject.clone(),
                    correlation: created.correlation.clone(),
                    callback_url: created.callback_url.clone(),
                    created_by: metadata.actor.clone(),
                    created_at: at,
                    expires_at: created.expires_at,
                    deadline: created.expires_at,
                    updated_at: at,
                    terminal_at: None,
                    issued: Vec::new(),
                    tx_code_attempts_remaining: created.tx_code_max_attempts,
                    failure: None,
                    claims_erased: false,
                    version: sequence,
                })
            }
            (None, _) => return None,
            (Some(view), _) => view,
        };
        if sequence <= view.version {
            // Already applied (at-least-once delivery to the projector is harmless).
            return Some(view);
        }
        view.version = sequence;
        view.updated_at = at;
        match event {
            OfferEvent::OfferCreated(_) => {}
            OfferEvent::TxCodeRejected(rejected) => {
                view.tx_code_attempts_remaining = rejected.attempts_remaining;
            }
            OfferEvent::OfferRedeemed(redeemed) => {
                if view.single_use {
                    view.status = OfferStatus::Redeemed;
                }
                view.deadline = view.deadline.max(redeemed.token_expires_at);
            }
            OfferEvent::CredentialIssued(issued) => {
                if view.single_use && view.status == OfferStatus::Redeemed {
                    view.status = OfferStatus::Issuing;
                }
                view.issued.push(IssuedCredentialView {
                    credential_configuration_id: issued.credential_configuration_id.clone(),
                    credential_id: issued.credential_id,
                    issued_at: at,
                    holder_key_thumbprint: issued.holder_key_thumbprint.clone(),
                });
            }
            OfferEvent::OfferCompleted(_) => view.status = OfferStatus::Completed,
            OfferEvent::OfferFailed(failed) => {
                view.status = OfferStatus::Failed;
                view.failure = Some(FailureView {
                    code: failed.code.clone(),
                    description: failed.description.clone(),
                });
            }
            OfferEvent::OfferExpired(_) => view.status = OfferStatus::Expired,
            OfferEvent::OfferRevoked(_) => view.status = OfferStatus::Revoked,
            // A revoked token changes no status: the offer's other tokens (multi-use) and
            // its deadline stay as they were.
            OfferEvent::NotificationReceived(_) | OfferEvent::RedemptionRevoked(_) => {}
            OfferEvent::ClaimsErased(_) => view.claims_erased = true,
        }
        if view.status.is_terminal() && view.terminal_at.is_none() {
            view.terminal_at = Some(at);
        }
        Some(view)
    }
}
