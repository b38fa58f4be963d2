//! Translating between our event envelope and EventStoreDB's records.

use eventstore::{EventData, Position, RecordedEvent as EsdbEvent, ResolvedEvent};
use issuance_domain::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// What we keep in an event's custom metadata: our metadata plus the payload's schema
/// version (EventStoreDB records only the type).
#[derive(Serialize, Deserialize)]
struct Envelope {
    event_version: u32,
    #[serde(flatten)]
    metadata: EventMetadata,
}

/// An event ready to append (its id is ours, so a retried append is idempotent).
pub(super) fn to_event_data(event: &NewEvent) -> Result<EventData, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("cannot encode event: {e}"));
    EventData::json(&event.event_type, &event.payload)
        .map_err(corrupt)?
        .id(event.event_id)
        .metadata_as_json(&Envelope {
            event_version: event.event_version,
            metadata: event.metadata.clone(),
        })
        .map_err(corrupt)
}

/// The record a resolved event carries (the link itself for a link event).
pub(super) fn record(resolved: &ResolvedEvent) -> Option<&EsdbEvent> {
    resolved.link.as_ref().or(resolved.event.as_ref())
}

/// Whether a record in `$all` is one of ours: system streams and system event types
/// (`$`-prefixed: stream metadata, statistics, projections' links) are not.
pub(super) fn is_ours(record: &EsdbEvent) -> bool {
    !record.stream_id.starts_with('$') && !record.event_type.starts_with('$')
}

/// Our position of an EventStoreDB log position.
pub(super) fn position(position: Position) -> LogPosition {
    LogPosition {
        commit: position.commit,
        prepare: position.prepare,
    }
}

/// EventStoreDB's position of ours.
pub(super) fn esdb_position(position: LogPosition) -> Position {
    Position {
        commit: position.commit,
        prepare: position.prepare,
    }
}

/// Decodes a record of one of our streams.
pub(super) fn decode(record: &EsdbEvent) -> Result<RecordedEvent, StoreError> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!(
            "event {} of {}: {what}: {e}",
            record.id, record.stream_id
        ))
    };
    let envelope: Envelope =
        serde_json::from_slice(&record.custom_metadata).map_err(|e| corrupt("metadata", &e))?;
    Ok(RecordedEvent {
        position: position(record.position),
        stream_id: record.stream_id.clone(),
        sequence: record.revision + 1,
        event_id: record.id,
        event_type: record.event_type.clone(),
        event_version: envelope.event_version,
        payload: serde_json::from_slice(&record.data).map_err(|e| corrupt("payload", &e))?,
        metadata: envelope.metadata,
    })
}
