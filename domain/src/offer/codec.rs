//! How Offer events are stored: type name, schema version, payload; and the upcasting of
//! older versions on read.
//!
//! Versions: `OfferCreated` and `CredentialIssued` are at version 2, which seals the
//! personal data version 1 held in plaintext (`subject`, `correlation`,
//! `holder_key_thumbprint`, see [`crate::sealed`]); every other type is at version 1.
//! `CredentialIssued`'s optional `status` came without a version change: events written
//! before it decode with `status: None`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::event::*;
use crate::aggregate::{check_version, parse_payload, to_payload, StoredEvent};
use crate::schema::{legacy_schema, schema_of};

/// The plaintext personal data of a version-1 `OfferCreated`.
#[derive(Deserialize, JsonSchema)]
struct OfferCreatedV1 {
    /// The institution's subject identifier, in plaintext.
    #[serde(default)]
    subject: Option<String>,
    /// The creator's correlation object, in plaintext.
    #[serde(default)]
    correlation: Option<Value>,
}

/// The plaintext thumbprint of a version-1 `CredentialIssued`.
#[derive(Deserialize, JsonSchema)]
struct CredentialIssuedV1 {
    /// RFC 7638 thumbprint of the holder key, in plaintext.
    holder_key_thumbprint: String,
}

/// The schema of an older stored version: the current one with the plaintext fields
/// version 1 had instead of the sealed ones (what [`OfferEvent::decode`] upcasts). A type
/// whose version is raised gets its previous version here.
fn older_schema(event_type: &str, version: u32) -> Option<Value> {
    match (event_type, version) {
        ("OfferCreated", 1) => Some(legacy_schema(
            schema_of::<OfferCreated>(),
            &schema_of::<OfferCreatedV1>(),
            &["sealed_subject", "sealed_correlation"],
        )),
        ("CredentialIssued", 1) => Some(legacy_schema(
            schema_of::<CredentialIssued>(),
            &schema_of::<CredentialIssuedV1>(),
            &["sealed_holder_key_thumbprint"],
        )),
        _ => None,
    }
}

/// The schema of a variant's payload struct (`OfferEvent::OfferCreated` → `OfferCreated`).
fn variant_schema<T: JsonSchema>(_variant: fn(T) -> OfferEvent) -> Value {
    schema_of::<T>()
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
/// [`EVENT_TYPES`], [`current_version`], [`causes_callback`], [`schema`], and [`OfferEvent`]'s
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

        /// The JSON Schema of an `event_type` payload as stored at `version` (`None` for a
        /// type or version this code does not decode): the variant's struct at the current
        /// version, [`older_schema`] before.
        pub fn schema(event_type: &str, version: u32) -> Option<Value> {
            match event_type {
                $(stringify!($variant) if version == $version => Some(variant_schema(OfferEvent::$variant)),)+
                _ if version >= 1 && version < current_version(event_type) => older_schema(event_type, version),
                _ => None,
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
