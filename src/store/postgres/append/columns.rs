//! The column arrays a batch's multi-row inserts bind, and the outcomes they produce.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use issuance_eventlog::LogPosition;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Fate, Request};
use crate::store::postgres::read::position;
use crate::store::postgres::unavailable;
use crate::store::{AppendOutcome, KeyChange, StoreError};

/// The events of the appends that pass, as the `INSERT … unnest(…)` parameters.
pub(super) struct EventColumns<'a> {
    pub streams: Vec<&'a str>,
    pub sequences: Vec<i64>,
    pub ids: Vec<Uuid>,
    pub types: Vec<&'a str>,
    pub type_versions: Vec<i32>,
    pub payloads: Vec<&'a serde_json::Value>,
    pub metadata: Vec<serde_json::Value>,
}

impl<'a> EventColumns<'a> {
    /// The events of `batch[i]` for every `i` where `passed[i]`.
    pub fn of(batch: &'a [Request], passed: &[bool]) -> Result<Self, StoreError> {
        let count = batch.iter().map(|r| r.events.len()).sum();
        let mut columns = EventColumns {
            streams: Vec::with_capacity(count),
            sequences: Vec::with_capacity(count),
            ids: Vec::with_capacity(count),
            types: Vec::with_capacity(count),
            type_versions: Vec::with_capacity(count),
            payloads: Vec::with_capacity(count),
            metadata: Vec::with_capacity(count),
        };
        for (request, _) in batch.iter().zip(passed).filter(|(_, ok)| **ok) {
            for (offset, event) in request.events.iter().enumerate() {
                columns.streams.push(&request.stream_id);
                columns
                    .sequences
                    .push((request.expected.version() + offset as u64 + 1) as i64);
                columns.ids.push(event.event_id);
                columns.types.push(&event.event_type);
                columns.type_versions.push(
                    i32::try_from(event.event_version)
                        .map_err(|_| unavailable("event version out of range"))?,
                );
                columns.payloads.push(&event.payload);
                columns.metadata.push(
                    serde_json::to_value(&event.metadata)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
            }
        }
        Ok(columns)
    }

    /// The insert's parameters, in its column order.
    pub fn params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.streams,
            &self.sequences,
            &self.ids,
            &self.types,
            &self.type_versions,
            &self.payloads,
            &self.metadata,
        ]
    }
}

/// The data keys the appends that pass store and destroy.
#[derive(Default)]
pub(super) struct KeyColumns<'a> {
    pub inserted: Vec<Uuid>,
    pub keys: Vec<&'a [u8]>,
    pub destroyed: Vec<Uuid>,
}

impl<'a> KeyColumns<'a> {
    /// The key changes of `batch[i]` for every `i` where `passed[i]`.
    pub fn of(batch: &'a [Request], passed: &[bool]) -> Self {
        let mut columns = KeyColumns::default();
        for (request, _) in batch.iter().zip(passed).filter(|(_, ok)| **ok) {
            match &request.key_change {
                Some((offer_id, KeyChange::Insert(key))) => {
                    columns.inserted.push(*offer_id);
                    columns.keys.push(&key.0[..]);
                }
                Some((offer_id, KeyChange::Destroy)) => columns.destroyed.push(*offer_id),
                None => {}
            }
        }
        columns
    }
}

/// Each append's `(index, expected version, new version)`, in stream order: every batch
/// locks its stream rows in that order, so two batches cannot deadlock on them.
pub(super) fn stream_versions(batch: &[Request]) -> Result<Vec<(usize, i64, i64)>, StoreError> {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by(|a, b| batch[*a].stream_id.cmp(&batch[*b].stream_id));
    order
        .into_iter()
        .map(|i| {
            let expected = i64::try_from(batch[i].expected.version())
                .map_err(|_| unavailable("expected version out of range"))?;
            Ok((i, expected, expected + batch[i].events.len() as i64))
        })
        .collect()
}

/// The nonces of the appends that pass, in key order: two batches then take the ledger's
/// index entries in the same order and cannot deadlock on them.
pub(super) fn nonce_columns<'a>(
    batch: &'a [Request],
    fates: &[Fate],
) -> (Vec<DateTime<Utc>>, Vec<&'a [u8]>) {
    let mut claims: Vec<(DateTime<Utc>, &[u8])> = batch
        .iter()
        .zip(fates)
        .filter(|(_, fate)| **fate == Fate::Passed)
        .flat_map(|(request, _)| request.nonces.iter())
        .map(|nonce| (nonce.expires_at, &nonce.hash[..]))
        .collect();
    claims.sort();
    claims.into_iter().unzip()
}

/// The log positions the event insert returned, by event id.
pub(super) fn positions(rows: Vec<Row>) -> Result<HashMap<Uuid, LogPosition>, StoreError> {
    let mut positions = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get(0)?;
        let tx_id: i64 = row.try_get(1)?;
        let global: i64 = row.try_get(2)?;
        positions.insert(id, position(tx_id, global));
    }
    Ok(positions)
}

/// Each append's outcome once its batch committed.
pub(super) fn outcomes(
    batch: &[Request],
    fates: &[Fate],
    positions: &HashMap<Uuid, LogPosition>,
    actual: &HashMap<String, i64>,
) -> Vec<Result<AppendOutcome, StoreError>> {
    batch
        .iter()
        .zip(fates)
        .map(|(request, fate)| match fate {
            Fate::NonceReused => Err(StoreError::NonceReused),
            Fate::Conflict => Err(StoreError::Conflict {
                stream_id: request.stream_id.clone(),
                expected: request.expected.version(),
                actual: actual.get(&request.stream_id).copied().unwrap_or(0) as u64,
            }),
            Fate::Passed => {
                let last = request
                    .events
                    .last()
                    .and_then(|e| positions.get(&e.event_id).copied())
                    .ok_or_else(|| unavailable("an appended event has no position"))?;
                Ok(AppendOutcome {
                    new_version: request.expected.version() + request.events.len() as u64,
                    last_position: last,
                })
            }
        })
        .collect()
}
