//! The statements of one write transaction: appends with their expected versions, nonces, data keys.

use super::*;

/// Records a nonce as used: `true` if it was fresh.
pub(super) fn consume_nonce(
    tx: &rusqlite::Transaction<'_>,
    hash: &[u8; 32],
    expires_at: i64,
) -> Result<bool, StoreError> {
    tx.prepare_cached("INSERT OR IGNORE INTO used_nonces (nonce_hash, expires_at) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![&hash[..], expires_at]))
        .map(|n| n == 1)
        .map_err(sql_error)
}

/// Deletes an offer's data key (`secure_delete` overwrites its bytes); whether one existed.
pub(super) fn destroy_key(
    tx: &rusqlite::Transaction<'_>,
    offer_id: Uuid,
) -> Result<bool, StoreError> {
    tx.prepare_cached("DELETE FROM data_keys WHERE offer_id = ?1")
        .and_then(|mut s| s.execute([offer_id.to_string()]))
        .map(|n| n > 0)
        .map_err(sql_error)
}

/// Stores a new data key; an existing one fails (and rolls back the append).
pub(super) fn insert_key(
    tx: &rusqlite::Transaction<'_>,
    offer_id: Uuid,
    key: &DataKey,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO data_keys (offer_id, key) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![offer_id.to_string(), &key.0[..]]))
        .map(|_| ())
        .map_err(sql_error)
}

pub(super) fn append(
    tx: &rusqlite::Transaction<'_>,
    stream_id: &str,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    effects: Effects<'_>,
) -> Result<(AppendOutcome, Vec<RecordedEvent>), StoreError> {
    let nonces = effects.nonces;
    let actual: u64 = tx
        .prepare_cached("SELECT COALESCE(MAX(sequence), 0) FROM events WHERE stream_id = ?1")
        .and_then(|mut s| s.query_row([stream_id], |row| row.get::<_, i64>(0)))
        .map_err(sql_error)? as u64;
    if actual != expected.version() {
        return Err(StoreError::Conflict {
            stream_id: stream_id.to_string(),
            expected: expected.version(),
            actual,
        });
    }
    if events.is_empty() && nonces.is_empty() && effects.key_change.is_none() {
        let outcome = AppendOutcome {
            new_version: actual,
            last_position: LogPosition::START,
        };
        return Ok((outcome, Vec::new()));
    }
    // Cached statements: `execute_batch` would parse these twice per append.
    tx.prepare_cached("SAVEPOINT append_op")
        .and_then(|mut s| s.execute([]))
        .map_err(sql_error)?;
    let result = (|| {
        for nonce in nonces {
            if !consume_nonce(tx, &nonce.hash, nonce.expires_at.timestamp())? {
                return Err(StoreError::NonceReused);
            }
        }
        match &effects.key_change {
            Some((offer_id, KeyChange::Insert(key))) => insert_key(tx, *offer_id, key)?,
            Some((offer_id, KeyChange::Destroy)) => {
                destroy_key(tx, *offer_id)?;
            }
            None => {}
        }
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO events (stream_id, sequence, event_id, event_type, event_version, payload, metadata) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(sql_error)?;
        let mut sequence = actual;
        let mut position = 0;
        let mut recorded = Vec::with_capacity(events.len());
        for event in events {
            sequence += 1;
            let metadata = serde_json::to_string(&event.metadata)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            insert
                .execute(params![
                    stream_id,
                    sequence as i64,
                    event.event_id.to_string(),
                    event.event_type,
                    event.event_version,
                    event.payload.to_string(),
                    metadata
                ])
                .map_err(sql_error)?;
            position = tx.last_insert_rowid();
            recorded.push(RecordedEvent {
                position: LogPosition::at(position as u64),
                stream_id: stream_id.to_string(),
                sequence,
                event_id: event.event_id,
                event_type: event.event_type,
                event_version: event.event_version,
                payload: Arc::new(event.payload),
                metadata: event.metadata,
            });
        }
        let outcome = AppendOutcome {
            new_version: sequence,
            last_position: LogPosition::at(position as u64),
        };
        Ok((outcome, recorded))
    })();
    if result.is_err() {
        tx.prepare_cached("ROLLBACK TO append_op")
            .and_then(|mut s| s.execute([]))
            .map_err(sql_error)?;
    }
    tx.prepare_cached("RELEASE append_op")
        .and_then(|mut s| s.execute([]))
        .map_err(sql_error)?;
    result
}

pub(super) fn key_get_or_insert(
    tx: &rusqlite::Transaction<'_>,
    offer_id: Uuid,
    key: DataKey,
) -> Result<DataKey, StoreError> {
    let id = offer_id.to_string();
    tx.execute(
        "INSERT OR IGNORE INTO data_keys (offer_id, key) VALUES (?1, ?2)",
        params![id, &key.0[..]],
    )
    .map_err(sql_error)?;
    let stored: Option<Vec<u8>> = tx
        .query_row(
            "SELECT key FROM data_keys WHERE offer_id = ?1",
            [&id],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql_error)?;
    let bytes =
        stored.ok_or_else(|| StoreError::Corrupt(format!("data key of {offer_id} vanished")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map(DataKey)
        .map_err(|_| StoreError::Corrupt(format!("data key of {offer_id} has a wrong length")))
}
