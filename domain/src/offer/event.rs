//! Offer events: facts, in the past tense, versioned, never rewritten.
//!
//! Each event is stored as `(event_type, event_version, payload)`: the payload is the
//! variant's struct serialised on its own (not externally tagged), so that a variant can be
//! renamed in code without breaking stored rows. [`OfferEvent::decode`] is the upcasting
//! point for older versions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use crate::aggregate::DecodeError;
use crate::aggregate::{check_version, parse_payload, to_payload, StoredEvent};
use crate::digest::Digest;

/// The grant an offer carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TxCodeInputMode {
    /// Digits only.
    #[default]
    Numeric,
    /// Any characters.
    Text,
}

/// The transaction code requirement of a pre-authorized offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The offer's claims, encrypted with the offer's data key (AES-256-GCM).
/// Destroying the key (crypto-shredding) makes them unrecoverable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedClaims {
    /// Content encryption algorithm: `A256GCM`.
    pub alg: String,
    /// 96-bit nonce, base64url.
    pub nonce: String,
    /// Ciphertext with tag, base64url.
    pub ciphertext: String,
}

/// The credential offer was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferCreated {
    /// The offer's id.
    pub offer_id: Uuid,
    /// Offered configurations, unique, non-empty.
    pub credential_configuration_ids: Vec<String>,
    /// The grant and its hashed secrets.
    pub grant: OfferGrant,
    /// Single-use offers can be redeemed once.
    pub single_use: bool,
    /// The institution's subject identifier (e.g. its customer number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Where status callbacks go (else the configured default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Opaque object echoed in callbacks and views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<Value>,
    /// The deadline for redeeming the offer.
    pub expires_at: DateTime<Utc>,
    /// Maximum wrong transaction codes before the offer locks.
    pub tx_code_max_attempts: u32,
    /// The claims, sealed with the offer's data key.
    pub sealed_claims: SealedClaims,
    /// Keyed fingerprint of the creating request, to recognise idempotent retries.
    pub request_fingerprint: Digest,
}

/// A wrong transaction code was presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCodeRejected {
    /// Attempts left before the offer locks.
    pub attempts_remaining: u32,
}

/// A wallet obtained an access token for the offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// A credential was issued to a holder key. Never holds the credential itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialIssued {
    /// The redemption (access token) it was issued under.
    pub redemption_id: Uuid,
    /// Its configuration.
    pub credential_configuration_id: String,
    /// Its id.
    pub credential_id: Uuid,
    /// RFC 7638 thumbprint of the holder key it is bound to.
    pub holder_key_thumbprint: String,
    /// SHA-256 of the issued credential.
    pub credential_hash: Digest,
    /// The notification id returned with it.
    pub notification_id: String,
    /// The credential's `exp`.
    pub credential_expires_at: DateTime<Utc>,
}

/// Every offered configuration has been issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OfferCompleted {}

/// The offer failed permanently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferFailed {
    /// Machine-readable reason, e.g. `tx_code_attempts_exhausted`.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// Failure code: the transaction code was wrong too many times.
pub const FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED: &str = "tx_code_attempts_exhausted";

/// The offer passed its deadline before completing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OfferExpired {}

/// An admin revoked the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OfferRevoked {
    /// Optional reason given by the admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The wallet's notification event (OID4VCI 1.0 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsErased {
    /// `retention_policy` or `admin_request`.
    pub reason: String,
}

/// An access token granted for the offer was revoked: it no longer issues credentials or
/// records notifications. May name a redemption that does not exist yet, so that a
/// revocation racing the redemption it targets still wins (the redemption is then refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Current schema version of every Offer event type.
pub const CURRENT_VERSION: u32 = 1;

/// Every event type name, in lifecycle order.
pub const EVENT_TYPES: [&str; 11] = [
    "OfferCreated",
    "TxCodeRejected",
    "OfferRedeemed",
    "CredentialIssued",
    "OfferCompleted",
    "OfferFailed",
    "OfferExpired",
    "OfferRevoked",
    "NotificationReceived",
    "ClaimsErased",
    "RedemptionRevoked",
];

impl OfferEvent {
    /// The stable type name stored with the event.
    pub fn event_type(&self) -> &'static str {
        match self {
            OfferEvent::OfferCreated(_) => "OfferCreated",
            OfferEvent::TxCodeRejected(_) => "TxCodeRejected",
            OfferEvent::OfferRedeemed(_) => "OfferRedeemed",
            OfferEvent::CredentialIssued(_) => "CredentialIssued",
            OfferEvent::OfferCompleted(_) => "OfferCompleted",
            OfferEvent::OfferFailed(_) => "OfferFailed",
            OfferEvent::OfferExpired(_) => "OfferExpired",
            OfferEvent::OfferRevoked(_) => "OfferRevoked",
            OfferEvent::NotificationReceived(_) => "NotificationReceived",
            OfferEvent::ClaimsErased(_) => "ClaimsErased",
            OfferEvent::RedemptionRevoked(_) => "RedemptionRevoked",
        }
    }

    /// The schema version written for new events.
    pub fn event_version(&self) -> u32 {
        CURRENT_VERSION
    }

    /// The payload as stored: the variant's struct alone.
    pub fn payload(&self) -> Value {
        match self {
            OfferEvent::OfferCreated(e) => to_payload(e),
            OfferEvent::TxCodeRejected(e) => to_payload(e),
            OfferEvent::OfferRedeemed(e) => to_payload(e),
            OfferEvent::CredentialIssued(e) => to_payload(e),
            OfferEvent::OfferCompleted(e) => to_payload(e),
            OfferEvent::OfferFailed(e) => to_payload(e),
            OfferEvent::OfferExpired(e) => to_payload(e),
            OfferEvent::OfferRevoked(e) => to_payload(e),
            OfferEvent::NotificationReceived(e) => to_payload(e),
            OfferEvent::ClaimsErased(e) => to_payload(e),
            OfferEvent::RedemptionRevoked(e) => to_payload(e),
        }
    }

    /// Decodes a stored event, upcasting older versions (none exist yet: version 1 is the
    /// first schema).
    pub fn decode(
        event_type: &str,
        version: u32,
        payload: &Value,
    ) -> Result<OfferEvent, DecodeError> {
        check_version(event_type, version, CURRENT_VERSION)?;
        let p = payload;
        Ok(match event_type {
            "OfferCreated" => OfferEvent::OfferCreated(parse_payload(event_type, p)?),
            "TxCodeRejected" => OfferEvent::TxCodeRejected(parse_payload(event_type, p)?),
            "OfferRedeemed" => OfferEvent::OfferRedeemed(parse_payload(event_type, p)?),
            "CredentialIssued" => OfferEvent::CredentialIssued(parse_payload(event_type, p)?),
            "OfferCompleted" => OfferEvent::OfferCompleted(parse_payload(event_type, p)?),
            "OfferFailed" => OfferEvent::OfferFailed(parse_payload(event_type, p)?),
            "OfferExpired" => OfferEvent::OfferExpired(parse_payload(event_type, p)?),
            "OfferRevoked" => OfferEvent::OfferRevoked(parse_payload(event_type, p)?),
            "NotificationReceived" => {
                OfferEvent::NotificationReceived(parse_payload(event_type, p)?)
            }
            "ClaimsErased" => OfferEvent::ClaimsErased(parse_payload(event_type, p)?),
            "RedemptionRevoked" => OfferEvent::RedemptionRevoked(parse_payload(event_type, p)?),
            other => return Err(DecodeError::UnknownType(other.to_string())),
        })
    }
}

impl StoredEvent for OfferEvent {
    fn event_type(&self) -> &'static str {
        OfferEvent::event_type(self)
    }

    fn event_version(&self) -> u32 {
        OfferEvent::event_version(self)
    }

    fn payload(&self) -> Value {
        OfferEvent::payload(self)
    }

    fn decode(event_type: &str, version: u32, payload: &Value) -> Result<Self, DecodeError> {
        OfferEvent::decode(event_type, version, payload)
    }
}

impl cqrs_es::DomainEvent for OfferEvent {
    fn event_type(&self) -> String {
        OfferEvent::event_type(self).to_string()
    }

    fn event_version(&self) -> String {
        format!("{}.0", OfferEvent::event_version(self))
    }
}
