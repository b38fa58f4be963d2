//! Offer events: facts, in the past tense, versioned, never rewritten.
//!
//! Each event is stored as `(event_type, event_version, payload)`: the payload is the
//! variant's struct serialised on its own (not externally tagged), so that a variant can be
//! renamed in code without breaking stored rows. [`OfferEvent::decode`] (in `codec.rs`) is
//! the upcasting point for older versions.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use crate::aggregate::DecodeError;
use crate::digest::Digest;
pub use crate::sealed::Sealed;

/// The grant an offer carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[serde(tag = "type")]
pub enum OfferGrant {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    #[serde(rename = "pre-authorized_code")]
    PreAuthorizedCode {
        /// SHA-256 of the pre-authorized code.
        code_hash: Digest,
        /// The transaction code the wallet must also present, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tx_code: Option<TxCodeSpec>,
    },
    /// `authorization_code`: the wallet starts an authorization request with `issuer_state`.
    #[serde(rename = "authorization_code")]
    AuthorizationCode {
        /// SHA-256 of the `issuer_state` value.
        issuer_state_hash: Digest,
    },
}

impl OfferGrant {
    /// The API name of the grant.
    pub fn name(&self) -> &'static str {
        match self {
            OfferGrant::PreAuthorizedCode { .. } => GRANT_PRE_AUTHORIZED_CODE,
            OfferGrant::AuthorizationCode { .. } => GRANT_AUTHORIZATION_CODE,
        }
    }
}

/// API name of the pre-authorized code grant.
pub const GRANT_PRE_AUTHORIZED_CODE: &str = "pre-authorized_code";
/// API name of the authorization code grant.
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";

/// How the wallet asks the user for the transaction code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum TxCodeInputMode {
    /// Digits only.
    #[default]
    Numeric,
    /// Any characters.
    Text,
}

/// The transaction code requirement of a pre-authorized offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TxCodeSpec {
    /// Input mode shown to the wallet.
    pub input_mode: TxCodeInputMode,
    /// Number of characters.
    pub length: u8,
    /// Hint shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keyed hash of the code (never the code).
    pub code_hash: Digest,
}

/// The offer's claims, sealed with the offer's data key (the offer id as associated data).
/// Destroying the key (crypto-shredding) makes them unrecoverable.
pub type SealedClaims = Sealed;

/// The credential offer was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferCreated {
    /// The offer's id.
    pub offer_id: Uuid,
    /// Offered configurations, unique, non-empty.
    pub credential_configuration_ids: Vec<String>,
    /// The grant and its hashed secrets.
    pub grant: OfferGrant,
    /// Single-use offers can be redeemed once.
    pub single_use: bool,
    /// The institution's subject identifier (e.g. its customer number), sealed with the
    /// offer's data key (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_subject: Option<Sealed>,
    /// Where status callbacks go (else the configured default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Opaque object echoed in the view and in callbacks to the offer's own URL, sealed
    /// with the offer's data key (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_correlation: Option<Sealed>,
    /// The deadline for redeeming the offer.
    pub expires_at: DateTime<Utc>,
    /// Maximum wrong transaction codes before the offer locks.
    pub tx_code_max_attempts: u32,
    /// The claims, sealed with the offer's data key.
    pub sealed_claims: SealedClaims,
    /// Keyed fingerprint of the creating request, to recognise idempotent retries.
    pub request_fingerprint: Digest,
    /// The issuer the offer belongs to; absent for the default issuer (the configuration
    /// file's, served at the root identifier) and in events written before issuers were
    /// managed at runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_id: Option<String>,
    /// The version of each offered configuration the offer was made from: it is issued
    /// with exactly these, even when newer versions are published meanwhile. Absent in
    /// events written before configurations were versioned (issued with the current one).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub configuration_versions: std::collections::BTreeMap<String, u32>,
    /// The plaintext subject of a version-1 event (read only: never stored again).
    #[serde(skip)]
    pub legacy_subject: Option<String>,
    /// The plaintext correlation object of a version-1 event (read only).
    #[serde(skip)]
    pub legacy_correlation: Option<Value>,
}

/// A wrong transaction code was presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TxCodeRejected {
    /// Attempts left before the offer locks.
    pub attempts_remaining: u32,
}

/// A wallet obtained an access token for the offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferRedeemed {
    /// Identifies this redemption (one per access token).
    pub redemption_id: Uuid,
    /// The grant used.
    pub grant: String,
    /// SHA-256 of the access token.
    pub token_hash: Digest,
    /// When the access token expires.
    pub token_expires_at: DateTime<Utc>,
    /// The configurations the token covers.
    pub credential_configuration_ids: Vec<String>,
    /// The OAuth client, when one identified itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// RFC 7638 thumbprint of the DPoP key the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The wallet instance, when it authenticated with a wallet attestation
    /// (`attest_jwt_client_auth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_wallet: Option<AttestedWallet>,
}

/// A wallet that authenticated with its provider's attestation (OAuth 2.0
/// Attestation-Based Client Authentication): who vouched for it and its client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AttestedWallet {
    /// The wallet provider (the attestation's `iss`).
    pub provider: String,
    /// The client id it attested (the attestation's `sub`).
    pub client_id: String,
}

/// A credential was issued to a holder key. Never holds the credential itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CredentialIssued {
    /// The redemption (access token) it was issued under.
    pub redemption_id: Uuid,
    /// Its configuration.
    pub credential_configuration_id: String,
    /// Its id.
    pub credential_id: Uuid,
    /// RFC 7638 thumbprint of the holder key it is bound to, sealed with the offer's data
    /// key (always present since version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_holder_key_thumbprint: Option<Sealed>,
    /// SHA-256 of the issued credential.
    pub credential_hash: Digest,
    /// The notification id returned with it.
    pub notification_id: String,
    /// The credential's `exp`.
    pub credential_expires_at: DateTime<Utc>,
    /// Its entry in a status list (absent in events from before credential status: such a
    /// credential has no status to change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusEntry>,
    /// The plaintext thumbprint of a version-1 event (read only: never stored again).
    #[serde(skip)]
    pub legacy_holder_key_thumbprint: Option<String>,
}

/// Where an issued credential's status lives: index `idx` of status list `list_id` (the
/// credential's `status.status_list` names the list by its URI). Not personal data: it
/// outlives erasure, so revocation keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StatusEntry {
    /// The status list.
    pub list_id: Uuid,
    /// The entry's index in it.
    pub idx: u32,
}

/// A credential's status changed (`CredentialRevoked`, `CredentialSuspended`,
/// `CredentialReinstated`): who did it is the event's actor, when its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CredentialStatusChanged {
    /// The credential.
    pub credential_id: Uuid,
    /// Its status list.
    pub list_id: Uuid,
    /// Its index there.
    pub idx: u32,
    /// The operator's reason, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CredentialStatusChanged {
    /// The entry it changes.
    pub fn entry(&self) -> StatusEntry {
        StatusEntry {
            list_id: self.list_id,
            idx: self.idx,
        }
    }
}

/// Reason recorded when erasing a live offer's claims revokes it and its credentials.
pub const REVOCATION_CLAIMS_ERASED: &str = "claims_erased";

/// Every offered configuration has been issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[schemars(deny_unknown_fields)]
pub struct OfferCompleted {}

/// The offer failed permanently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OfferFailed {
    /// Machine-readable reason, e.g. `tx_code_attempts_exhausted`.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// Failure code: the transaction code was wrong too many times.
pub const FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED: &str = "tx_code_attempts_exhausted";

/// The offer passed its deadline before completing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[schemars(deny_unknown_fields)]
pub struct OfferExpired {}

/// An admin revoked the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[schemars(deny_unknown_fields)]
pub struct OfferRevoked {
    /// Optional reason given by the admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The wallet's notification event (OID4VCI 1.0 §11).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationEvent {
    /// The wallet stored the credential.
    CredentialAccepted,
    /// The wallet could not store it.
    CredentialFailure,
    /// The user deleted it.
    CredentialDeleted,
}

impl NotificationEvent {
    /// The protocol name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::CredentialAccepted => "credential_accepted",
            NotificationEvent::CredentialFailure => "credential_failure",
            NotificationEvent::CredentialDeleted => "credential_deleted",
        }
    }
}

/// The wallet sent a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NotificationReceived {
    /// The notification id it refers to.
    pub notification_id: String,
    /// What the wallet reports.
    pub event: NotificationEvent,
    /// The wallet's description, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
}

/// The offer's data key was destroyed: its claims are unrecoverable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ClaimsErased {
    /// `retention_policy` or `admin_request`.
    pub reason: String,
}

/// An access token granted for the offer was revoked: it no longer issues credentials or
/// records notifications. May name a redemption that does not exist yet, so that a
/// revocation racing the redemption it targets still wins (the redemption is then refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RedemptionRevoked {
    /// The redemption (access token) revoked.
    pub redemption_id: Uuid,
    /// Machine-readable reason, e.g. `authorization_code_replayed`.
    pub reason: String,
}

/// Revocation reason: the authorization code the token came from was used again
/// (RFC 6749 §4.1.2).
pub const REVOCATION_AUTHORIZATION_CODE_REPLAYED: &str = "authorization_code_replayed";

/// Every event of the Offer aggregate.
// `OfferCreated` is the large variant; events are few per offer and rarely moved, so
// boxing it would cost more in ergonomics than it saves.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OfferEvent {
    /// See [`OfferCreated`].
    OfferCreated(OfferCreated),
    /// See [`TxCodeRejected`].
    TxCodeRejected(TxCodeRejected),
    /// See [`OfferRedeemed`].
    OfferRedeemed(OfferRedeemed),
    /// See [`CredentialIssued`].
    CredentialIssued(CredentialIssued),
    /// See [`OfferCompleted`].
    OfferCompleted(OfferCompleted),
    /// See [`OfferFailed`].
    OfferFailed(OfferFailed),
    /// See [`OfferExpired`].
    OfferExpired(OfferExpired),
    /// See [`OfferRevoked`].
    OfferRevoked(OfferRevoked),
    /// See [`NotificationReceived`].
    NotificationReceived(NotificationReceived),
    /// See [`ClaimsErased`].
    ClaimsErased(ClaimsErased),
    /// See [`RedemptionRevoked`].
    RedemptionRevoked(RedemptionRevoked),
    /// A credential was revoked (final): see [`CredentialStatusChanged`].
    CredentialRevoked(CredentialStatusChanged),
    /// A credential was suspended: see [`CredentialStatusChanged`].
    CredentialSuspended(CredentialStatusChanged),
    /// A suspended credential was reinstated: see [`CredentialStatusChanged`].
    CredentialReinstated(CredentialStatusChanged),
}
