//! How status list events are stored: type name, version 1, the variant's struct.

use serde_json::Value;

use super::{StatusIndexBlockReserved, StatusListEvent, StatusListOpened};
use crate::aggregate::{check_version, parse_payload, to_payload, DecodeError, StoredEvent};
use crate::schema::schema_of;

/// Every event type name of a status list.
pub const EVENT_TYPES: [&str; 2] = ["StatusListOpened", "StatusIndexBlockReserved"];

/// The JSON Schema of an `event_type` payload as stored at `version` (every type is at
/// version 1; `None` for anything else).
pub fn schema(event_type: &str, version: u32) -> Option<Value> {
    match (event_type, version) {
        ("StatusListOpened", 1) => Some(schema_of::<StatusListOpened>()),
        ("StatusIndexBlockReserved", 1) => Some(schema_of::<StatusIndexBlockReserved>()),
        _ => None,
    }
}

impl StoredEvent for StatusListEvent {
    fn event_type(&self) -> &'static str {
        match self {
            StatusListEvent::StatusListOpened(_) => EVENT_TYPES[0],
            StatusListEvent::StatusIndexBlockReserved(_) => EVENT_TYPES[1],
        }
    }

    fn event_version(&self) -> u32 {
        1
    }

    fn payload(&self) -> Value {
        match self {
            StatusListEvent::StatusListOpened(e) => to_payload(e),
            StatusListEvent::StatusIndexBlockReserved(e) => to_payload(e),
        }
    }

    fn decode(event_type: &str, version: u32, payload: &Value) -> Result<Self, DecodeError> {
        check_version(event_type, version, 1)?;
        match event_type {
            "StatusListOpened" => Ok(StatusListEvent::StatusListOpened(parse_payload(
                event_type, payload,
            )?)),
            "StatusIndexBlockReserved" => Ok(StatusListEvent::StatusIndexBlockReserved(
                parse_payload(event_type, payload)?,
            )),
            other => Err(DecodeError::UnknownType(other.to_string())),
        }
    }
}

// cqrs-es is the test framework's: its traits are implemented for the tests only.
#[cfg(test)]
impl cqrs_es::DomainEvent for StatusListEvent {
    fn event_type(&self) -> String {
        StoredEvent::event_type(self).to_string()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}
