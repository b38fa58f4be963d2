//! The single writer thread and its group commit.
//!
//! Every write waits in one queue. The thread takes the first, drains whatever else is
//! queued (up to [`MAX_BATCH`]), executes all of them in one `BEGIN IMMEDIATE` transaction
//! — each append inside its own savepoint so a failing one cannot leave half its rows —,
//! commits once, and only then answers every caller. Under load one fsync covers hundreds
//! of commands; with a single caller it costs one commit, as a plain transaction would.

use issuance_eventlog::{LogPosition, NewEvent, RecordedEvent};
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

mod statements;
use statements::{append, consume_nonce, destroy_key, key_get_or_insert};

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

/// What an append does besides appending, inside its savepoint.
struct Effects<'a> {
    nonces: &'a [NonceUse],
    key_change: Option<(Uuid, KeyChange)>,
}
