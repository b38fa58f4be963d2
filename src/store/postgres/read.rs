//! Reading streams and the global log.
//!
//! # Why a reader never skips a late commit
//!
//! An identity column alone is not a safe checkpoint: transaction A draws position 10,
//! transaction B draws 11 and commits first; a reader that sees 11 and checkpoints there
//! skips 10 for good when A commits a moment later.
//!
//! So the log is ordered by `(tx_id, global_position)`, where `tx_id` is the id of the
//! transaction that wrote the row (`pg_current_xact_id()`), and a reader only returns rows
//! whose `tx_id` is below `pg_snapshot_xmin(pg_current_snapshot())` — the oldest
//! transaction still running when the reading statement took its snapshot. Every
//! transaction with a smaller id has then finished: its rows are visible in that same
//! snapshot (`pg_current_snapshot()` *is* the statement's snapshot) or never will be
//! (rolled back). Any row that becomes visible later belongs to a transaction that was
//! running or had not started, whose id is at least that xmin and therefore greater than
//! every `tx_id` the reader has returned: it sorts after the reader's checkpoint. Rows of
//! one transaction appear atomically and are ordered by `global_position` among
//! themselves.
//!
//! The price: a transaction that stays open holds readers back until it ends. The
//! service's own transactions are short; an operator's long-lived writing transaction on
//! the same server (xids are cluster-wide) delays projections, never corrupts them.

use issuance_eventlog::{EventMetadata, LogPosition, RecordedEvent};
use tokio_postgres::Row;

use super::unavailable;
use crate::store::StoreError;

/// The columns [`decode`] reads, in its order.
macro_rules! columns {
    () => {
        "tx_id::text::bigint, global_position, stream_id, sequence, event_id, \
         event_type, event_version, payload, metadata"
    };
}

/// Every event of a stream, in sequence order.
pub(super) const READ_STREAM: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM events WHERE stream_id = $1 ORDER BY sequence"
);

/// The events of a stream with `$2 < sequence <= $3`, in order.
pub(super) const READ_STREAM_RANGE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM events WHERE stream_id = $1 AND sequence > $2 AND sequence <= $3 ORDER BY sequence"
);

/// Up to `$3` events after `($1, $2)` in log order, below the oldest running transaction.
pub(super) const READ_ALL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM events \
     WHERE (tx_id, global_position) > ($1::bigint::text::xid8, $2) \
       AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY tx_id, global_position LIMIT $3"
);

/// The newest position a reader can reach now.
pub(super) const HEAD: &str = "SELECT tx_id::text::bigint, global_position FROM events \
     WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY tx_id DESC, global_position DESC LIMIT 1";

/// The log position of a `(tx_id, global_position)` pair: the transaction is the major key
/// (`commit`), the row the minor (`prepare`).
pub(super) fn position(tx_id: i64, global_position: i64) -> LogPosition {
    LogPosition {
        commit: tx_id as u64,
        prepare: global_position as u64,
    }
}

/// Converts the `(commit, prepare)` of a checkpoint back to SQL parameters.
pub(super) fn position_params(position: LogPosition) -> Result<(i64, i64), StoreError> {
    let convert = |value: u64| {
        i64::try_from(value).map_err(|_| unavailable(format!("position {value} is out of range")))
    };
    Ok((convert(position.commit)?, convert(position.prepare)?))
}

/// Decodes one row selected with `columns!()`.
pub(super) fn decode(row: &Row) -> Result<RecordedEvent, StoreError> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("event row: {what}: {e}"))
    };
    let tx_id: i64 = row.try_get(0).map_err(|e| corrupt("tx_id", &e))?;
    let global_position: i64 = row.try_get(1).map_err(|e| corrupt("position", &e))?;
    let sequence: i64 = row.try_get(3).map_err(|e| corrupt("sequence", &e))?;
    let event_version: i32 = row.try_get(6).map_err(|e| corrupt("event_version", &e))?;
    let metadata: serde_json::Value = row.try_get(8).map_err(|e| corrupt("metadata", &e))?;
    Ok(RecordedEvent {
        position: position(tx_id, global_position),
        stream_id: row.try_get(2).map_err(|e| corrupt("stream_id", &e))?,
        sequence: sequence as u64,
        event_id: row.try_get(4).map_err(|e| corrupt("event_id", &e))?,
        event_type: row.try_get(5).map_err(|e| corrupt("event_type", &e))?,
        event_version: u32::try_from(event_version).map_err(|e| corrupt("event_version", &e))?,
        payload: std::sync::Arc::new(row.try_get(7).map_err(|e| corrupt("payload", &e))?),
        metadata: serde_json::from_value::<EventMetadata>(metadata)
            .map_err(|e| corrupt("metadata", &e))?,
    })
}
