//! The offer's status and its transitions.

use serde::{Deserialize, Serialize};

use super::event::OfferEvent;

/// The offer status reported by the management API.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfferStatus {
    /// Live, not yet redeemed (multi-use offers stay here).
    #[default]
    Created,
    /// A wallet obtained an access token.
    Redeemed,
    /// Some, not all, offered credentials were issued.
    Issuing,
    /// Every offered credential was issued.
    Completed,
    /// The deadline passed first.
    Expired,
    /// Permanently failed (e.g. transaction code attempts exhausted).
    Failed,
    /// Revoked by an admin.
    Revoked,
}

impl OfferStatus {
    /// Whether no further lifecycle change is possible.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OfferStatus::Completed
                | OfferStatus::Expired
                | OfferStatus::Failed
                | OfferStatus::Revoked
        )
    }

    /// The API name, e.g. `CREATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Created => "CREATED",
            OfferStatus::Redeemed => "REDEEMED",
            OfferStatus::Issuing => "ISSUING",
            OfferStatus::Completed => "COMPLETED",
            OfferStatus::Expired => "EXPIRED",
            OfferStatus::Failed => "FAILED",
            OfferStatus::Revoked => "REVOKED",
        }
    }

    /// The status after `event`, for an offer that is `single_use` or not: the one
    /// statement of the status machine, shared by the aggregate and the offer view.
    pub fn after(self, event: &OfferEvent, single_use: bool) -> OfferStatus {
        match event {
            OfferEvent::OfferCreated(_) => OfferStatus::Created,
            OfferEvent::OfferRedeemed(_) if single_use => OfferStatus::Redeemed,
            OfferEvent::CredentialIssued(_) if single_use && self == OfferStatus::Redeemed => {
                OfferStatus::Issuing
            }
            OfferEvent::OfferCompleted(_) => OfferStatus::Completed,
            OfferEvent::OfferFailed(_) => OfferStatus::Failed,
            OfferEvent::OfferExpired(_) => OfferStatus::Expired,
            OfferEvent::OfferRevoked(_) => OfferStatus::Revoked,
            // Multi-use offers stay `CREATED` while they are redeemed and issued; a revoked
            // token, a notification, erasure and credential status change no status.
            OfferEvent::OfferRedeemed(_)
            | OfferEvent::CredentialIssued(_)
            | OfferEvent::TxCodeRejected(_)
            | OfferEvent::NotificationReceived(_)
            | OfferEvent::RedemptionRevoked(_)
            | OfferEvent::ClaimsErased(_)
            | OfferEvent::CredentialRevoked(_)
            | OfferEvent::CredentialSuspended(_)
            | OfferEvent::CredentialReinstated(_) => self,
        }
    }

    /// Parses an API name.
    pub fn parse(text: &str) -> Option<OfferStatus> {
        [
            OfferStatus::Created,
            OfferStatus::Redeemed,
            OfferStatus::Issuing,
            OfferStatus::Completed,
            OfferStatus::Expired,
            OfferStatus::Failed,
            OfferStatus::Revoked,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for OfferStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
