//! How Offer events are stored: type name, schema version, payload; and the upcasting of
//! older versions on read.
//!
//! Versions: `OfferCreated` and `CredentialIssued` are at version 2, which seals the
//! personal data version 1 held in plaintext (`subject`, `correlation`,
//! `holder_key_thumbprint`, see [`crate::sealed`]); every other type is at version 1.
//! `CredentialIssued`'s optional `status` came without a version change: events written
//! before it decode with `status: None`.

use serde::Deserialize;
use serde_json::Value;

use super::event::*;
use crate::aggregate::{check_version, parse_payload, to_payload, StoredEvent};

/// Every event type name, in lifecycle order.
pub const EVENT_TYPES: [&str; 14] = [
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
    "CredentialRevoked",
    "CredentialSuspended",
    "CredentialReinstated",
];

/// The schema version written for new events of `event_type`.
pub fn current_version(event_type: &str) -> u32 {
    match event_type {
        "OfferCreated" | "CredentialIssued" => 2,
        _ => 1,
    }
}

/// The plaintext personal data of a version-1 `OfferCreated`.
#[derive(Deserialize)]
struct OfferCreatedV1 {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    correlation: Option<Value>,
}

/// The plaintext thumbprint of a version-1 `CredentialIssued`.
#[derive(Deserialize)]
struct CredentialIssuedV1 {
    holder_key_thumbprint: String,
}

/// Version 1 → 2: the same payload with the plaintext moved to the never-serialised
/// `legacy_*` fields.
fn offer_created(version: u32, payload: &Value) -> Result<OfferCreated, DecodeError> {
    let mut created: OfferCreated = parse_payload("OfferCreated", payload)?;
    if version == 1 {
        let v1: OfferCreatedV1 = parse_payload("OfferCreated", payload)?;
        created.legacy_subject = v1.subject;
        created.legacy_correlation = v1.correlation.filter(|c| !c.is_null());
    }
    Ok(created)
}

fn credential_issued(version: u32, payload: &Value) -> Result<CredentialIssued, DecodeError> {
    let mut issued: CredentialIssued = parse_payload("CredentialIssued", payload)?;
    if version == 1 {
        let v1: CredentialIssuedV1 = parse_payload("CredentialIssued", payload)?;
        issued.legacy_holder_key_thumbprint = Some(v1.holder_key_thumbprint);
    }
    Ok(issued)
}

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
            OfferEvent::CredentialRevoked(_) => "CredentialRevoked",
            OfferEvent::CredentialSuspended(_) => "CredentialSuspended",
            OfferEvent::CredentialReinstated(_) => "CredentialReinstated",
        }
    }

    /// The schema version written for new events.
    pub fn event_version(&self) -> u32 {
        current_version(self.event_type())
    }

    /// The payload as stored: the variant's struct alone (plaintext read from version-1
    /// events is never written back).
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
            OfferEvent::CredentialRevoked(e)
            | OfferEvent::CredentialSuspended(e)
            | OfferEvent::CredentialReinstated(e) => to_payload(e),
        }
    }

    /// Decodes a stored event, upcasting version 1 of `OfferCreated` and
    /// `CredentialIssued` (plaintext personal data) to version 2.
    pub fn decode(
        event_type: &str,
        version: u32,
        payload: &Value,
    ) -> Result<OfferEvent, DecodeError> {
        check_version(event_type, version, current_version(event_type))?;
        let p = payload;
        Ok(match event_type {
            "OfferCreated" => OfferEvent::OfferCreated(offer_created(version, p)?),
            "TxCodeRejected" => OfferEvent::TxCodeRejected(parse_payload(event_type, p)?),
            "OfferRedeemed" => OfferEvent::OfferRedeemed(parse_payload(event_type, p)?),
            "CredentialIssued" => OfferEvent::CredentialIssued(credential_issued(version, p)?),
            "OfferCompleted" => OfferEvent::OfferCompleted(parse_payload(event_type, p)?),
            "OfferFailed" => OfferEvent::OfferFailed(parse_payload(event_type, p)?),
            "OfferExpired" => OfferEvent::OfferExpired(parse_payload(event_type, p)?),
            "OfferRevoked" => OfferEvent::OfferRevoked(parse_payload(event_type, p)?),
            "NotificationReceived" => {
                OfferEvent::NotificationReceived(parse_payload(event_type, p)?)
            }
            "ClaimsErased" => OfferEvent::ClaimsErased(parse_payload(event_type, p)?),
            "RedemptionRevoked" => OfferEvent::RedemptionRevoked(parse_payload(event_type, p)?),
            "CredentialRevoked" => OfferEvent::CredentialRevoked(parse_payload(event_type, p)?),
            "CredentialSuspended" => OfferEvent::CredentialSuspended(parse_payload(event_type, p)?),
            "CredentialReinstated" => {
                OfferEvent::CredentialReinstated(parse_payload(event_type, p)?)
            }
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
