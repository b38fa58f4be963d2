//! Event queries run on pooled read connections.

use issuance_eventlog::{EventMetadata, LogPosition, RecordedEvent};
use rusqlite::{Connection, Row};
use uuid::Uuid;

use super::sql_error;
use crate::store::StoreError;

const COLUMNS: &str =
    "position, stream_id, sequence, event_id, event_type, event_version, payload, metadata";

fn decode(row: &Row<'_>) -> rusqlite::Result<Result<RecordedEvent, StoreError>> {
    let position: i64 = row.get(0)?;
    let stream_id: String = row.get(1)?;
    let sequence: i64 = row.get(2)?;
    let event_id: String = row.get(3)?;
    let event_type: String = row.get(4)?;
    let event_version: i64 = row.get(5)?;
    let payload: String = row.get(6)?;
    let metadata: String = row.get(7)?;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("event at position {position}: {what}: {e}"))
    };
    let event = (|| {
        Ok(RecordedEvent {
            position: LogPosition::at(position as u64),
            stream_id,
            sequence: sequence as u64,
            event_id: Uuid::parse_str(&event_id).map_err(|e| corrupt("event_id", &e))?,
            event_type,
            event_version: u32::try_from(event_version)
                .map_err(|e| corrupt("event_version", &e))?,
            payload: std::sync::Arc::new(
                serde_json::from_str(&payload).map_err(|e| corrupt("payload", &e))?,
            ),
            metadata: serde_json::from_str::<EventMetadata>(&metadata)
                .map_err(|e| corrupt("metadata", &e))?,
        })
    })();
    Ok(event)
}

fn query(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let mut statement = connection.prepare_cached(sql).map_err(sql_error)?;
    let rows = statement.query_map(params, decode).map_err(sql_error)?;
    let mut events = Vec::new();
    for row in rows {
        events.push(row.map_err(sql_error)??);
    }
    Ok(events)
}

/// Every event of a stream, in sequence order.
pub(super) fn read_stream(
    connection: &Connection,
    stream_id: &str,
) -> Result<Vec<RecordedEvent>, StoreError> {
    query(
        connection,
        &format!("SELECT {COLUMNS} FROM events WHERE stream_id = ?1 ORDER BY sequence"),
        [stream_id],
    )
}

/// The events of a stream with `after < sequence <= up_to`.
pub(super) fn read_stream_range(
    connection: &Connection,
    stream_id: &str,
    after: u64,
    up_to: u64,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let up_to = i64::try_from(up_to).unwrap_or(i64::MAX);
    query(
        connection,
        &format!(
            "SELECT {COLUMNS} FROM events WHERE stream_id = ?1 AND sequence > ?2 AND sequence <= ?3 ORDER BY sequence"
        ),
        rusqlite::params![stream_id, after as i64, up_to],
    )
}

/// Up to `limit` events after position `after`.
pub(super) fn read_all(
    connection: &Connection,
    after: u64,
    limit: usize,
) -> Result<Vec<RecordedEvent>, StoreError> {
    query(
        connection,
        &format!("SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"),
        rusqlite::params![after as i64, limit as i64],
    )
}
