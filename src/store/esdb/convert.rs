//! Translating between our event envelope and EventStoreDB's records.

use eventstore::{EventData, Position, RecordedEvent as EsdbEvent, ResolvedEvent};
use issuance_eventlog::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
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
        payload: std::sync::Arc::new(
            serde_json::from_slice(&record.data).map_err(|e| corrupt("payload", &e))?,
        ),
        metadata: envelope.metadata,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::DateTime;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn record(stream: &str, event_type: &str, custom_metadata: Vec<u8>) -> EsdbEvent {
        EsdbEvent {
            stream_id: stream.into(),
            id: Uuid::from_u128(7),
            revision: 4,
            event_type: event_type.into(),
            data: serde_json::to_vec(&json!({"k": "v"})).unwrap().into(),
            metadata: HashMap::new(),
            custom_metadata: custom_metadata.into(),
            is_json: true,
            position: Position {
                commit: 900,
                prepare: 850,
            },
            created: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_record_decodes_to_our_envelope_with_a_one_based_sequence() {
        let metadata = EventMetadata::system(DateTime::UNIX_EPOCH);
        let envelope = serde_json::to_vec(&Envelope {
            event_version: 3,
            metadata: metadata.clone(),
        })
        .unwrap();
        let decoded = decode(&record("offer-1", "OfferCreated", envelope)).unwrap();
        assert_eq!(decoded.sequence, 5, "revision 4 is the fifth event");
        assert_eq!(decoded.event_version, 3);
        assert_eq!(decoded.metadata, metadata);
        assert_eq!(*decoded.payload, json!({"k": "v"}));
        assert_eq!(
            decoded.position,
            LogPosition {
                commit: 900,
                prepare: 850
            }
        );
        assert_eq!(
            esdb_position(decoded.position),
            record("x", "y", Vec::new()).position
        );
    }

    #[test]
    fn missing_metadata_is_corrupt_not_a_panic() {
        assert!(matches!(
            decode(&record("offer-1", "OfferCreated", Vec::new())),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn system_streams_and_types_are_not_ours() {
        assert!(is_ours(&record("offer-1", "OfferCreated", Vec::new())));
        assert!(!is_ours(&record(
            "$stats-0.0.0.0:2113",
            "$statsCollected",
            Vec::new()
        )));
        assert!(!is_ours(&record("offer-1", "$metadata", Vec::new())));
        assert!(!is_ours(&record("$ce-offer", "$>", Vec::new())));
    }
}
