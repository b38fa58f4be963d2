//! The Offer's state: the fold of its events. `apply` has no logic beyond recording facts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::OfferError;
use super::event::*;
pub use super::status::OfferStatus;
use crate::digest::Digest;
use crate::status_list::CredentialStatus;

/// One access token granted for the offer, and what was issued under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redemption {
    /// Its id.
    pub redemption_id: Uuid,
    /// SHA-256 of the access token.
    pub token_hash: Digest,
    /// When the token expires.
    pub token_expires_at: DateTime<Utc>,
    /// Configurations the token covers.
    pub credential_configuration_ids: Vec<String>,
    /// Configurations already issued under it.
    pub issued_configuration_ids: Vec<String>,
    /// Notification ids handed out under it.
    pub notification_ids: Vec<String>,
    /// DPoP key thumbprint the token is bound to.
    pub dpop_jkt: Option<String>,
    /// The OAuth client that obtained the token, if it identified itself; key proofs
    /// presented under the token must then name it as `iss` (OID4VCI 1.0 Appendix F.1).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Whether the token was revoked (`RedemptionRevoked`).
    #[serde(default)]
    pub revoked: bool,
}

/// The Offer aggregate's state.
///
/// A multi-use offer gains a redemption per wallet (up to `offers.max_redemptions`), so
/// everything that grows with them is indexed: a request looks its redemption up by id and
/// a rule counts or checks membership without walking the offer's history. Those
/// collections are shared (`Arc`, copied on write), and so is each redemption: the command
/// path clones a cached state per request, which then costs a few reference counts
/// instead of a copy of every redemption.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Offer {
    /// The creation facts; `None` until `OfferCreated`.
    pub definition: Option<OfferCreated>,
    /// Current status.
    pub status: OfferStatus,
    /// Number of events applied (the stream version).
    pub version: u64,
    /// Wrong transaction codes still tolerated.
    pub tx_code_attempts_remaining: u32,
    /// Access tokens granted, by redemption id.
    pub redemptions: Arc<BTreeMap<Uuid, Arc<Redemption>>>,
    /// The latest expiry of any access token granted (extends the deadline).
    pub latest_token_expires_at: Option<DateTime<Utc>>,
    /// Every configuration issued so far, under any redemption.
    pub issued_configuration_ids: BTreeSet<String>,
    /// Number of credentials issued.
    pub credentials_issued: u64,
    /// Notifications received: (notification id, event).
    pub notifications: Arc<BTreeSet<(String, NotificationEvent)>>,
    /// Why it failed, when `FAILED`.
    pub failure: Option<OfferFailed>,
    /// Whether the claims' data key was destroyed.
    pub claims_erased: bool,
    /// Every redemption id revoked, including ones revoked before they were redeemed.
    #[serde(default)]
    pub revoked_redemption_ids: BTreeSet<Uuid>,
    /// Every issued credential's status entry and status, by credential id (shared
    /// copy-on-write, like the redemptions: a multi-use offer issues many).
    #[serde(default)]
    pub credentials: Arc<BTreeMap<Uuid, IssuedStatus>>,
}

/// An issued credential's place in a status list and its current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedStatus {
    /// Its status list entry (`None` for credentials issued before status existed).
    pub entry: Option<StatusEntry>,
    /// Its status (meaningful with an entry).
    pub status: CredentialStatus,
}

impl Offer {
    /// Folds a sequence of events into a state.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a OfferEvent>) -> Offer {
        let mut offer = Offer::default();
        for event in events {
            offer.apply(event.clone());
        }
        offer
    }

    /// Records one event. Infallible and free of decisions.
    pub fn apply(&mut self, event: OfferEvent) {
        self.version += 1;
        self.status = self.status.after(&event, self.is_single_use());
        match event {
            OfferEvent::OfferCreated(created) => {
                self.tx_code_attempts_remaining = created.tx_code_max_attempts;
                self.definition = Some(created);
            }
            OfferEvent::TxCodeRejected(rejected) => {
                self.tx_code_attempts_remaining = rejected.attempts_remaining;
            }
            OfferEvent::OfferRedeemed(redeemed) => {
                self.latest_token_expires_at = Some(
                    self.latest_token_expires_at
                        .map_or(redeemed.token_expires_at, |t| {
                            t.max(redeemed.token_expires_at)
                        }),
                );
                let revoked = self
                    .revoked_redemption_ids
                    .contains(&redeemed.redemption_id);
                Arc::make_mut(&mut self.redemptions).insert(
                    redeemed.redemption_id,
                    Arc::new(Redemption {
                        redemption_id: redeemed.redemption_id,
                        token_hash: redeemed.token_hash,
                        token_expires_at: redeemed.token_expires_at,
                        credential_configuration_ids: redeemed.credential_configuration_ids,
                        issued_configuration_ids: Vec::new(),
                        notification_ids: Vec::new(),
                        dpop_jkt: redeemed.dpop_jkt,
                        client_id: redeemed.client_id,
                        revoked,
                    }),
                );
            }
            OfferEvent::CredentialIssued(issued) => {
                let redemptions = Arc::make_mut(&mut self.redemptions);
                if let Some(redemption) = redemptions.get_mut(&issued.redemption_id) {
                    let redemption = Arc::make_mut(redemption);
                    if !redemption
                        .issued_configuration_ids
                        .contains(&issued.credential_configuration_id)
                    {
                        redemption
                            .issued_configuration_ids
                            .push(issued.credential_configuration_id.clone());
                    }
                    if !redemption
                        .notification_ids
                        .contains(&issued.notification_id)
                    {
                        redemption
                            .notification_ids
                            .push(issued.notification_id.clone());
                    }
                }
                self.credentials_issued += 1;
                Arc::make_mut(&mut self.credentials).insert(
                    issued.credential_id,
                    IssuedStatus {
                        entry: issued.status,
                        status: CredentialStatus::Valid,
                    },
                );
                self.issued_configuration_ids
                    .insert(issued.credential_configuration_id);
            }
            OfferEvent::OfferFailed(failed) => self.failure = Some(failed),
            OfferEvent::OfferCompleted(_)
            | OfferEvent::OfferExpired(_)
            | OfferEvent::OfferRevoked(_) => {}
            OfferEvent::NotificationReceived(notification) => {
                Arc::make_mut(&mut self.notifications)
                    .insert((notification.notification_id, notification.event));
            }
            OfferEvent::ClaimsErased(_) => self.claims_erased = true,
            OfferEvent::RedemptionRevoked(revoked) => {
                if let Some(redemption) =
                    Arc::make_mut(&mut self.redemptions).get_mut(&revoked.redemption_id)
                {
                    Arc::make_mut(redemption).revoked = true;
                }
                self.revoked_redemption_ids.insert(revoked.redemption_id);
            }
            OfferEvent::CredentialRevoked(changed) => {
                self.set_status(changed.credential_id, CredentialStatus::Revoked);
            }
            OfferEvent::CredentialSuspended(changed) => {
                self.set_status(changed.credential_id, CredentialStatus::Suspended);
            }
            OfferEvent::CredentialReinstated(changed) => {
                self.set_status(changed.credential_id, CredentialStatus::Valid);
            }
        }
    }

    fn set_status(&mut self, credential_id: Uuid, status: CredentialStatus) {
        if let Some(credential) = Arc::make_mut(&mut self.credentials).get_mut(&credential_id) {
            credential.status = status;
        }
    }

    /// An issued credential's status entry and status.
    pub fn credential(&self, credential_id: Uuid) -> Option<IssuedStatus> {
        self.credentials.get(&credential_id).copied()
    }

    /// The creation facts, or `NotFound` for an offer that does not exist.
    pub fn definition(&self) -> Result<&OfferCreated, OfferError> {
        self.definition.as_ref().ok_or(OfferError::NotFound)
    }

    /// Whether the offer can be redeemed only once.
    pub fn is_single_use(&self) -> bool {
        self.definition.as_ref().is_some_and(|d| d.single_use)
    }

    /// The moment after which the offer expires: its `expires_at`, extended by any access
    /// token granted before it that lives longer (so a wallet that redeemed at the last
    /// second can still fetch its credential).
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        let definition = self.definition.as_ref()?;
        Some(
            self.latest_token_expires_at
                .map_or(definition.expires_at, |t| t.max(definition.expires_at)),
        )
    }

    /// The redemption a presented access token belongs to (constant-time hash comparison).
    pub fn redemption(&self, redemption_id: Uuid, token_hash: &Digest) -> Option<&Redemption> {
        self.redemptions
            .get(&redemption_id)
            .map(Arc::as_ref)
            .filter(|r| r.token_hash.ct_eq(token_hash))
    }

    /// The redemption a presented access token belongs to, if the token may still be used
    /// by this request: not revoked, and presented with the key it is bound to (RFC 9449
    /// §7.1: a DPoP-bound token needs a proof with its key; a bearer token is not DPoP).
    pub fn usable_redemption(
        &self,
        redemption_id: Uuid,
        token_hash: &Digest,
        dpop_jkt: Option<&str>,
    ) -> Result<&Redemption, OfferError> {
        let redemption = self
            .redemption(redemption_id, token_hash)
            .ok_or(OfferError::InvalidToken)?;
        if redemption.revoked {
            return Err(OfferError::TokenRevoked);
        }
        if redemption.dpop_jkt.as_deref() != dpop_jkt {
            return Err(OfferError::TokenBindingMismatch);
        }
        Ok(redemption)
    }

    /// Whether `redemption_id` was revoked (before or after it was redeemed).
    pub fn is_revoked(&self, redemption_id: Uuid) -> bool {
        self.revoked_redemption_ids.contains(&redemption_id)
    }

    /// Every configuration issued so far, under any redemption.
    pub fn issued_configuration_ids(&self) -> impl Iterator<Item = &str> {
        self.issued_configuration_ids.iter().map(String::as_str)
    }

    /// Whether the wallet already sent `event` for `notification_id`.
    pub fn was_notified(&self, notification_id: &str, event: NotificationEvent) -> bool {
        self.notifications
            .contains(&(notification_id.to_string(), event))
    }
}
