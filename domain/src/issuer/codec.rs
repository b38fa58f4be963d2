//! How Issuer events are stored: type name, schema version, payload (the variant's struct
//! alone). Every type is at version 1; a type that gets a new version gets its upcast in
//! `decode` and its older schema in `schema` (docs/event-versioning.md).

use schemars::JsonSchema;
use serde_json::Value;

use super::event::*;
use crate::aggregate::{check_version, parse_payload, to_payload, DecodeError, StoredEvent};
use crate::schema::schema_of;

/// The schema of a variant's payload struct (`IssuerEvent::IssuerCreated` → `IssuerCreated`).
fn variant_schema<T: JsonSchema>(_variant: fn(T) -> IssuerEvent) -> Value {
    schema_of::<T>()
}

/// Generates, from the one table below, everything that names or decodes an event type:
/// [`EVENT_TYPES`], [`current_version`], [`schema`] and [`IssuerEvent`]'s [`StoredEvent`]
/// implementation. A new event type is one row (and its variant in [`IssuerEvent`]).
macro_rules! issuer_event_table {
    ($( $variant:ident { version: $version:literal } ),+ $(,)?) => {
        /// Every event type name, in lifecycle order.
        pub const EVENT_TYPES: [&str; [$(stringify!($variant)),+].len()] = [$(stringify!($variant)),+];

        /// The schema version written for new events of `event_type`.
        pub fn current_version(event_type: &str) -> u32 {
            match event_type {
                $(stringify!($variant) => $version,)+
                _ => 1,
            }
        }

        /// The JSON Schema of an `event_type` payload as stored at `version` (`None` for a
        /// type or version this code does not decode).
        pub fn schema(event_type: &str, version: u32) -> Option<Value> {
            match event_type {
                $(stringify!($variant) if version == $version => Some(variant_schema(IssuerEvent::$variant)),)+
                _ => None,
            }
        }

        impl StoredEvent for IssuerEvent {
            fn event_type(&self) -> &'static str {
                match self {
                    $(IssuerEvent::$variant(_) => stringify!($variant),)+
                }
            }

            fn event_version(&self) -> u32 {
                current_version(StoredEvent::event_type(self))
            }

            fn payload(&self) -> Value {
                match self {
                    $(IssuerEvent::$variant(e) => to_payload(e),)+
                }
            }

            fn decode(event_type: &str, version: u32, payload: &Value) -> Result<Self, DecodeError> {
                match event_type {
                    $(stringify!($variant) => {
                        check_version(event_type, version, $version)?;
                        Ok(IssuerEvent::$variant(parse_payload(event_type, payload)?))
                    })+
                    other => Err(DecodeError::UnknownType(other.to_string())),
                }
            }
        }
    };
}

issuer_event_table! {
    IssuerCreated { version: 1 },
    IssuerDisplayChanged { version: 1 },
    SigningKeyGenerated { version: 1 },
    SigningKeyImported { version: 1 },
    SigningKeyActivated { version: 1 },
    SigningKeyRetired { version: 1 },
    CertificateChainSet { version: 1 },
    ConfigurationPublished { version: 1 },
    ConfigurationRetired { version: 1 },
    ProfileSet { version: 1 },
    IssuerRetired { version: 1 },
}

// cqrs-es is the test framework's: its traits are implemented for the tests only.
#[cfg(test)]
impl cqrs_es::DomainEvent for IssuerEvent {
    fn event_type(&self) -> String {
        StoredEvent::event_type(self).to_string()
    }

    fn event_version(&self) -> String {
        format!("{}.0", StoredEvent::event_version(self))
    }
}
