//! The published data of each Offer event (`data` of an AMQP message, an offer's history):
//! one type per event, serialised in field order, absent options as `null`. These types are
//! the contract; their JSON Schemas are published beside the stored events'.

use chrono::{DateTime, Utc};
use issuance_domain::offer::{NotificationEvent, StatusEntry, TxCodeInputMode};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

/// `OfferCreated`: the offer's shape, without its claims, subject and correlation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferCreatedData {
    /// The offer.
    pub offer_id: Uuid,
    /// The offered configurations.
    pub credential_configuration_ids: Vec<String>,
    /// `pre-authorized_code` or `authorization_code`.
    pub grant: String,
    /// The transaction code requirement (pre-authorized offers with a code), else `null`.
    pub tx_code: Option<TxCodeData>,
    /// Single-use offers can be redeemed once.
    pub single_use: bool,
    /// The deadline for redeeming the offer.
    pub expires_at: DateTime<Utc>,
    /// Wrong transaction codes before the offer locks.
    pub tx_code_max_attempts: u32,
}

/// The transaction code requirement, without the code's hash.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TxCodeData {
    /// How the wallet asks for it.
    pub input_mode: TxCodeInputMode,
    /// Number of characters.
    pub length: u8,
    /// Hint shown to the user, or `null`.
    pub description: Option<String>,
}

/// `TxCodeRejected`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TxCodeRejectedData {
    /// Attempts left before the offer locks.
    pub attempts_remaining: u32,
}

/// `OfferRedeemed`: an access token was granted (without its hash or DPoP key).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferRedeemedData {
    /// The redemption (one per access token).
    pub redemption_id: Uuid,
    /// The grant used.
    pub grant: String,
    /// When the access token expires.
    pub token_expires_at: DateTime<Utc>,
    /// The configurations the token covers.
    pub credential_configuration_ids: Vec<String>,
    /// The OAuth client, or `null`.
    pub client_id: Option<String>,
    /// Whether the token is DPoP-bound.
    pub dpop_bound: bool,
}

/// `CredentialIssued` (without the holder key and the credential's hash).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CredentialIssuedData {
    /// The redemption it was issued under.
    pub redemption_id: Uuid,
    /// Its configuration.
    pub credential_configuration_id: String,
    /// The credential.
    pub credential_id: Uuid,
    /// The notification id returned with it.
    pub notification_id: String,
    /// The credential's `exp`.
    pub credential_expires_at: DateTime<Utc>,
    /// Its status list entry, or `null` (no status).
    pub status: Option<StatusEntry>,
}

/// `OfferCompleted` and `OfferExpired`: no data.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NoData {}

/// `OfferFailed`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferFailedData {
    /// Machine-readable reason, e.g. `tx_code_attempts_exhausted`.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// `OfferRevoked`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferRevokedData {
    /// The admin's reason, or `null`.
    pub reason: Option<String>,
}

/// `NotificationReceived`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NotificationData {
    /// The notification id it refers to.
    pub notification_id: String,
    /// What the wallet reported.
    pub event: NotificationEvent,
    /// The wallet's description, or `null`.
    pub event_description: Option<String>,
}

/// `ClaimsErased`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ClaimsErasedData {
    /// `retention_policy` or `admin_request`.
    pub reason: String,
}

/// `RedemptionRevoked`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RedemptionRevokedData {
    /// The redemption (access token) revoked.
    pub redemption_id: Uuid,
    /// Machine-readable reason, e.g. `authorization_code_replayed`.
    pub reason: String,
}

/// `CredentialRevoked`, `CredentialSuspended`, `CredentialReinstated`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CredentialStatusData {
    /// The credential.
    pub credential_id: Uuid,
    /// Its status list.
    pub list_id: Uuid,
    /// Its index there.
    pub idx: u32,
    /// The operator's reason, or `null`.
    pub reason: Option<String>,
}
