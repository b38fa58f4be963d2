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

/// Generates, from the one table below, everything that names or decodes an event type:
/// [`EVENT_TYPES`], [`current_version`], [`causes_callback`], and [`OfferEvent`]'s
/// `event_type`, `event_version`, `payload`, `decode` and `causes_callback`. A new event
/// type is one row (and its variant in [`OfferEvent`]); the compiler finds the rest.
macro_rules! offer_event_table {
    ($( $variant:ident { version: $version:literal, callback: $callback:literal, decode: $decode:expr } ),+ $(,)?) => {
        /// Every event type name, in lifecycle order.
        pub const EVENT_TYPES: [&str; [$(stringify!($variant)),+].len()] = [$(stringify!($variant)),+];

        /// The schema version written for new events of `event_type`.
        pub fn current_version(event_type: &str) -> u32 {
            match event_type {
                $(stringify!($variant) => $version,)+
                _ => 1,
            }
        }

        /// Whether events of `event_type` can cause a status callback (the callback queue is
        /// bound to their routing keys only; `CredentialIssued` matters for multi-use offers).
        pub fn causes_callback(event_type: &str) -> bool {
            match event_type {
                $(stringify!($variant) => $callback,)+
                _ => false,
            }
        }

        impl OfferEvent {
            /// The stable type name stored with the event.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(OfferEvent::$variant(_) => stringify!($variant),)+
                }
            }

            /// The schema version written for new events.
            pub fn event_version(&self) -> u32 {
                match self {
                    $(OfferEvent::$variant(_) => $version,)+
                }
            }

            /// Whether the event can cause a status callback.
            pub fn causes_callback(&self) -> bool {
                match self {
                    $(OfferEvent::$variant(_) => $callback,)+
                }
            }

            /// The payload as stored: the variant's struct alone (plaintext read from
            /// version-1 events is never written back).
            pub fn payload(&self) -> Value {
                match self {
                    $(OfferEvent::$variant(e) => to_payload(e),)+
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
                match event_type {
                    $(stringify!($variant) => Ok(OfferEvent::$variant(($decode)(event_type, version, payload)?)),)+
                    other => Err(DecodeError::UnknownType(other.to_string())),
                }
            }
        }
    };
}

/// The current version's payload, as written.
fn plain<T: serde::de::DeserializeOwned>(
    event_type: &str,
    _version: u32,
    payload: &Value,
) -> Result<T, DecodeError> {
    parse_payload(event_type, payload)
}

offer_event_table! {
    OfferCreated { version: 2, callback: true, decode: |_, v, p| offer_created(v, p) },
    TxCodeRejected { version: 1, callback: false, decode: plain },
    OfferRedeemed { version: 1, callback: false, decode: plain },
    CredentialIssued { version: 2, callback: true, decode: |_, v, p| credential_issued(v, p) },
    OfferCompleted { version: 1, callback: true, decode: plain },
    OfferFailed { version: 1, callback: true, decode: plain },
    OfferExpired { version: 1, callback: true, decode: plain },
    OfferRevoked { version: 1, callback: true, decode: plain },
    NotificationReceived { version: 1, callback: false, decode: plain },
    ClaimsErased { version: 1, callback: false, decode: plain },
    RedemptionRevoked { version: 1, callback: false, decode: plain },
    CredentialRevoked { version: 1, callback: true, decode: plain },
    CredentialSuspended { version: 1, callback: true, decode: plain },
    CredentialReinstated { version: 1, callback: true, decode: plain },
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

// cqrs-es is the test framework's: its traits are implemented for the tests only.
#[cfg(test)]
impl cqrs_es::DomainEvent for OfferEvent {
    fn event_type(&self) -> String {
        OfferEvent::event_type(self).to_string()
    }

    fn event_version(&self) -> String {
        format!("{}.0", OfferEvent::event_version(self))
    }
}
