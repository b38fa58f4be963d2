//! The offer view: one row per offer, as `GET /offers/{id}` returns it once its sealed
//! values are opened.
//!
//! Personal data (subject, correlation, holder key thumbprints) is held sealed with the
//! offer's data key, exactly as the events hold it, so no plaintext reaches the read
//! store's files; the management API opens it on read, and after erasure it reads as
//! absent. Lookups by subject use a keyed pseudonym that the projector sets (it needs the
//! keys, which this pure function does not have) and erasure clears.

use chrono::{DateTime, Utc};
use issuance_domain::issuer::DEFAULT_ISSUER_ID;
use issuance_domain::offer::{OfferEvent, OfferGrant, OfferStatus, StatusEntry};
use issuance_domain::sealed::purpose;
use issuance_domain::status_list::CredentialStatus;
use issuance_domain::{Digest, Sealed};
use issuance_eventlog::EventMetadata;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A credential issued from the offer. `P` is how personal values are held: [`Sealed`] as
/// stored, opened values as the management API shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "IssuedCredentialView")]
pub struct IssuedCredentialView<P = Sealed> {
    /// Its configuration.
    pub credential_configuration_id: String,
    /// Its id.
    pub credential_id: Uuid,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Thumbprint of the holder key it is bound to, sealed (`None` once erased).
    pub holder_key_thumbprint: Option<P>,
    /// Its entry in a status list (`None` for credentials issued before status existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_entry: Option<StatusEntry>,
    /// Its status (`VALID` until revoked or suspended; meaningful with a status entry).
    #[serde(default)]
    pub status: CredentialStatus,
}

/// Why the offer failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FailureView {
    /// Machine-readable reason.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// The offer view. Never holds claims or codes, nor (as stored, `P` = [`Sealed`]) personal
/// data in plaintext.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "OfferView")]
pub struct OfferView<P = Sealed> {
    /// The offer's id.
    pub offer_id: Uuid,
    /// Its issuer's id (`default` for the default issuer; rows stored before issuers
    /// existed read so too).
    #[serde(default = "default_issuer")]
    pub issuer_id: String,
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
    /// The institution's subject identifier, sealed (`None` once erased).
    pub subject: Option<P>,
    /// Opaque object from the creator, sealed (`None` once erased).
    pub correlation: Option<P>,
    /// Keyed pseudonym of the subject, for `GET /offers?subject=`: set by the projector,
    /// cleared on erasure; never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub subject_pseudonym: Option<Digest>,
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
    pub issued: Vec<IssuedCredentialView<P>>,
    /// Wrong transaction codes still tolerated.
    pub tx_code_attempts_remaining: u32,
    /// Why it failed, when `FAILED`.
    pub failure: Option<FailureView>,
    /// Whether the claims were erased.
    pub claims_erased: bool,
    /// Number of events (the stream version).
    pub version: u64,
}

fn default_issuer() -> String {
    DEFAULT_ISSUER_ID.to_string()
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
                    issuer_id: created.issuer_id.clone().unwrap_or_else(default_issuer),
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
                    subject: created.sealed_subject.clone(),
                    correlation: created.sealed_correlation.clone(),
                    subject_pseudonym: None,
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
        view.status = view.status.after(event, view.single_use);
        match event {
            OfferEvent::OfferCreated(_) => {}
            OfferEvent::TxCodeRejected(rejected) => {
                view.tx_code_attempts_remaining = rejected.attempts_remaining;
            }
            OfferEvent::OfferRedeemed(redeemed) => {
                view.deadline = view.deadline.max(redeemed.token_expires_at);
            }
            OfferEvent::CredentialIssued(issued) => {
                view.issued.push(IssuedCredentialView {
                    credential_configuration_id: issued.credential_configuration_id.clone(),
                    credential_id: issued.credential_id,
                    issued_at: at,
                    holder_key_thumbprint: issued.sealed_holder_key_thumbprint.clone(),
                    status_entry: issued.status,
                    status: CredentialStatus::Valid,
                });
            }
            OfferEvent::OfferFailed(failed) => {
                view.failure = Some(FailureView {
                    code: failed.code.clone(),
                    description: failed.description.clone(),
                });
            }
            // A revoked token changes no deadline: the offer's other tokens (multi-use) and
            // its deadline stay as they were.
            OfferEvent::OfferCompleted(_)
            | OfferEvent::OfferExpired(_)
            | OfferEvent::OfferRevoked(_)
            | OfferEvent::NotificationReceived(_)
            | OfferEvent::RedemptionRevoked(_) => {}
            OfferEvent::ClaimsErased(_) => view.erase(),
            OfferEvent::CredentialRevoked(changed) => {
                view.set_credential_status(changed.credential_id, CredentialStatus::Revoked);
            }
            OfferEvent::CredentialSuspended(changed) => {
                view.set_credential_status(changed.credential_id, CredentialStatus::Suspended);
            }
            OfferEvent::CredentialReinstated(changed) => {
                view.set_credential_status(changed.credential_id, CredentialStatus::Valid);
            }
        }
        if view.status.is_terminal() && view.terminal_at.is_none() {
            view.terminal_at = Some(at);
        }
        Some(view)
    }

    /// The view with each personal value replaced by `open(purpose, value)` (the
    /// management API opens them with the offer's data key; `None` reads as absent) and
    /// without the pseudonym.
    pub fn map_personal<Q>(
        self,
        mut open: impl FnMut(&'static str, Sealed) -> Option<Q>,
    ) -> OfferView<Q> {
        let mut open_option =
            |purpose, value: Option<Sealed>| value.and_then(|value| open(purpose, value));
        OfferView {
            subject: open_option(purpose::SUBJECT, self.subject),
            correlation: open_option(purpose::CORRELATION, self.correlation),
            issued: self
                .issued
                .into_iter()
                .map(|issued| IssuedCredentialView {
                    holder_key_thumbprint: open_option(
                        purpose::HOLDER_KEY_THUMBPRINT,
                        issued.holder_key_thumbprint,
                    ),
                    credential_configuration_id: issued.credential_configuration_id,
                    credential_id: issued.credential_id,
                    issued_at: issued.issued_at,
                    status_entry: issued.status_entry,
                    status: issued.status,
                })
                .collect(),
            subject_pseudonym: None,
            offer_id: self.offer_id,
            issuer_id: self.issuer_id,
            status: self.status,
            credential_configuration_ids: self.credential_configuration_ids,
            grant: self.grant,
            tx_code_required: self.tx_code_required,
            single_use: self.single_use,
            callback_url: self.callback_url,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            deadline: self.deadline,
            updated_at: self.updated_at,
            terminal_at: self.terminal_at,
            tx_code_attempts_remaining: self.tx_code_attempts_remaining,
            failure: self.failure,
            claims_erased: self.claims_erased,
            version: self.version,
        }
    }

    fn set_credential_status(&mut self, credential_id: Uuid, status: CredentialStatus) {
        if let Some(issued) = self
            .issued
            .iter_mut()
            .find(|i| i.credential_id == credential_id)
        {
            issued.status = status;
        }
    }

    /// The offer's data key is gone: drop what only it could open, and the pseudonym.
    fn erase(&mut self) {
        self.claims_erased = true;
        self.subject = None;
        self.correlation = None;
        self.subject_pseudonym = None;
        for issued in &mut self.issued {
            issued.holder_key_thumbprint = None;
        }
    }
}

#[cfg(test)]
mod tests;
