//! The single writer thread and its group commit.
//!
//! Every write waits in one queue. The thread takes the first, drains whatever else is
//! queued (up to [`MAX_BATCH`]), executes all of them in one `BEGIN IMMEDIATE` transaction
//! — each append inside its own savepoint so a failing one cannot leave half its rows —,
//! commits once, and only then answers every caller. Under load one fsync covers hundreds
//! of commands; with a single caller it costs one commit, as a plain transaction would.

use issuance_domain::{LogPosition, NewEvent, RecordedEvent};
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use super::recent::RecentEvents;
use super::sql_error;
use crate::store::{
    advance, AppendOutcome, DataKey, ExpectedVersion, KeyChange, NonceUse, StoreError,
};

/// Shortest time between two WAL truncations after data keys were destroyed.
const TRUNCATE_INTERVAL: Duration = Duration::from_secs(1);

/// Commits slower than this are logged (debug): the cause of tail latency spikes.
const SLOW_COMMIT: Duration = Duration::from_millis(50);

/// Most operations committed together.
const MAX_BATCH: usize = 1024;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A queued write.
pub(super) enum WriteOp {
    Append {
        stream_id: String,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        /// Recorded as used in the append's savepoint.
        nonces: Vec<NonceUse>,
        /// The change the append's savepoint makes to an offer's data key.
        key_change: Option<(Uuid, KeyChange)>,
        reply: Reply<AppendOutcome>,
    },
    KeyGetOrInsert {
        offer_id: Uuid,
        key: DataKey,
        reply: Reply<DataKey>,
    },
    KeyDestroy {
        offer_id: Uuid,
        reply: Reply<bool>,
    },
    NonceConsume {
        hash: [u8; 32],
        expires_at: i64,
        reply: Reply<bool>,
    },
    NoncePurge {
        now: i64,
        reply: Reply<u64>,
    },
}

/// A result waiting for the commit before it is sent.
enum Pending {
    Append(Reply<AppendOutcome>, Result<AppendOutcome, StoreError>),
    Key(Reply<DataKey>, Result<DataKey, StoreError>),
    Flag(Reply<bool>, Result<bool, StoreError>),
    Count(Reply<u64>, Result<u64, StoreError>),
}

impl Pending {
    fn fail(self, error: StoreError) {
        // A caller that gave up waiting is not an error.
        match self {
            Pending::Append(reply, _) => drop(reply.send(Err(error))),
            Pending::Key(reply, _) => drop(reply.send(Err(error))),
            Pending::Flag(reply, _) => drop(reply.send(Err(error))),
            Pending::Count(reply, _) => drop(reply.send(Err(error))),
        }
    }

    fn send(self) {
        match self {
            Pending::Append(reply, result) => drop(reply.send(result)),
            Pending::Key(reply, result) => drop(reply.send(result)),
            Pending::Flag(reply, result) => drop(reply.send(result)),
            Pending::Count(reply, result) => drop(reply.send(result)),
        }
    }
}

/// Starts the writer thread. It ends when every sender is dropped.
pub(super) fn spawn(
    connection: Connection,
    queue: flume::Receiver<WriteOp>,
    appended: watch::Sender<LogPosition>,
    recent: Arc<RecentEvents>,
) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || run(connection, queue, appended, &recent))
        .map(|_| ())
        .map_err(|e| StoreError::Unavailable(format!("cannot start the SQLite writer: {e}")))
}

fn run(
    mut connection: Connection,
    queue: flume::Receiver<WriteOp>,
    appended: watch::Sender<LogPosition>,
    recent: &RecentEvents,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut last_truncate: Option<Instant> = None;
    let mut truncate_due = false;
    loop {
        let first = if truncate_due {
            let since = last_truncate.map_or(TRUNCATE_INTERVAL, |t| t.elapsed());
            match queue.recv_timeout(TRUNCATE_INTERVAL.saturating_sub(since)) {
                Ok(op) => Some(op),
                Err(flume::RecvTimeoutError::Timeout) => None,
                Err(flume::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match queue.recv() {
                Ok(op) => Some(op),
                Err(_) => return,
            }
        };
        if let Some(first) = first {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            let size = batch.len();
            let started = Instant::now();
            let (pending, committed, destroyed_keys) =
                commit_batch(&mut connection, batch.drain(..));
            let took = started.elapsed();
            if took >= SLOW_COMMIT {
                tracing::debug!(
                    ms = took.as_millis() as u64,
                    ops = size,
                    "slow event store commit"
                );
            }
            if let Some(head) = committed.last().map(|e| e.position) {
                // The ring first: a reader woken by the new head finds the events there.
                recent.push(committed);
                advance(&appended, head);
            }
            for result in pending {
                result.send();
            }
            truncate_due |= destroyed_keys;
        }
        if truncate_due && last_truncate.is_none_or(|t| t.elapsed() >= TRUNCATE_INTERVAL) {
            // Move the overwritten pages out of the WAL so destroyed key bytes do not linger
            // there. At most once per interval: a checkpoint after every erasure would
            // dominate the writer under a retention burst. Best effort: readers may keep
            // it from truncating fully; the next one catches up.
            let started = Instant::now();
            let _ = connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "event store log truncated after key destruction"
            );
            last_truncate = Some(Instant::now());
            truncate_due = false;
        }
    }
}

/// Executes a batch in one transaction. Returns the results to send, the events appended
/// (in log order) and whether data keys were destroyed.
fn commit_batch(
    connection: &mut Connection,
    ops: impl Iterator<Item = WriteOp>,
) -> (Vec<Pending>, Vec<RecordedEvent>, bool) {
    let ops: Vec<WriteOp> = ops.collect();
    let tx = match connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let error = sql_error(e);
            for op in ops {
                pending_of(op, Err(error.clone())).fail(error.clone());
            }
            return (Vec::new(), Vec::new(), false);
        }
    };
    let mut pending = Vec::with_capacity(ops.len());
    let mut committed = Vec::new();
    let mut destroyed = false;
    for op in ops {
        match op {
            WriteOp::Append {
                stream_id,
                expected,
                events,
                nonces,
                key_change,
                reply,
            } => {
                let destroys = matches!(key_change, Some((_, KeyChange::Destroy)));
                let effects = Effects {
                    nonces: &nonces,
                    key_change,
                };
                let result =
                    append(&tx, &stream_id, expected, events, effects).map(|(outcome, events)| {
                        committed.extend(events);
                        destroyed |= destroys;
                        outcome
                    });
                pending.push(Pending::Append(reply, result));
            }
            WriteOp::KeyGetOrInsert {
                offer_id,
                key,
                reply,
            } => {
                pending.push(Pending::Key(reply, key_get_or_insert(&tx, offer_id, key)));
            }
            WriteOp::KeyDestroy { offer_id, reply } => {
                let result = destroy_key(&tx, offer_id);
                destroyed |= matches!(result, Ok(true));
                pending.push(Pending::Flag(reply, result));
            }
            WriteOp::NonceConsume {
                hash,
                expires_at,
                reply,
            } => {
                pending.push(Pending::Flag(reply, consume_nonce(&tx, &hash, expires_at)));
            }
            WriteOp::NoncePurge { now, reply } => {
                let result = tx
                    .execute("DELETE FROM used_nonces WHERE expires_at < ?1", [now])
                    .map(|n| n as u64)
                    .map_err(sql_error);
                pending.push(Pending::Count(reply, result));
            }
        }
    }
    match tx.commit() {
        Ok(()) => (pending, committed, destroyed),
        Err(e) => {
            let error = sql_error(e);
            for p in pending {
                p.fail(error.clone());
            }
            (Vec::new(), Vec::new(), false)
        }
    }
}

fn pending_of(op: WriteOp, result: Result<(), StoreError>) -> Pending {
    let error = result
        .err()
        .unwrap_or_else(|| StoreError::Unavailable("not executed".into()));
    match op {
        WriteOp::Append { reply, .. } => Pending::Append(reply, Err(error)),
        WriteOp::KeyGetOrInsert { reply, .. } => Pending::Key(reply, Err(error)),
        WriteOp::KeyDestroy { reply, .. } | WriteOp::NonceConsume { reply, .. } => {
            Pending::Flag(reply, Err(error))
        }
        WriteOp::NoncePurge { reply, .. } => Pending::Count(reply, Err(error)),
    }
}

/// Records a nonce as used: `true` if it was fresh.
fn consume_nonce(
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
fn destroy_key(tx: &rusqlite::Transaction<'_>, offer_id: Uuid) -> Result<bool, StoreError> {
    tx.prepare_cached("DELETE FROM data_keys WHERE offer_id = ?1")
        .and_then(|mut s| s.execute([offer_id.to_string()]))
        .map(|n| n > 0)
        .map_err(sql_error)
}

/// Stores a new data key; an existing one fails (and rolls back the append).
fn insert_key(
    tx: &rusqlite::Transaction<'_>,
    offer_id: Uuid,
    key: &DataKey,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO data_keys (offer_id, key) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![offer_id.to_string(), &key.0[..]]))
        .map(|_| ())
        .map_err(sql_error)
}

/// What an append does besides appending, inside its savepoint.
struct Effects<'a> {
    nonces: &'a [NonceUse],
    key_change: Option<(Uuid, KeyChange)>,
}

fn append(
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

fn key_get_or_insert(
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
