//! Appends with group commit.
//!
//! Callers queue their appends; a few workers each take whatever is queued (up to
//! [`MAX_BATCH`]) and commit it in **one** transaction: every append claims or advances
//! its stream's version row (a conflict affects no row and fails only that append), then
//! one multi-row `INSERT … SELECT FROM unnest(…)` writes the events of all appends that
//! passed. Under load one commit (one WAL flush, two round trips: [`pipelined`]) carries
//! dozens of commands; a lone caller pays what a plain transaction would. While one worker
//! commits, the next collects the following batch.
//!
//! Appends in a batch lock their stream rows in `stream_id` order, so two batches (from
//! two nodes, say) cannot deadlock. A batch with an append that would not pass is
//! committed step by step ([`careful`]); should it fail for any other reason, its appends
//! are retried one by one so a single bad append cannot fail its neighbours.

mod careful;
mod columns;
mod pipelined;

use std::sync::Arc;

use deadpool_postgres::{Object, Pool};
use issuance_eventlog::{LogPosition, NewEvent};
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio_postgres::Statement;
use uuid::Uuid;

use super::secrets::{KeyVacuum, DELETE_KEYS, INSERT_KEYS, ZERO_KEYS};
use super::unavailable;
use crate::store::{advance, AppendOutcome, ExpectedVersion, KeyChange, NonceUse, StoreError};

/// Most appends committed together.
const MAX_BATCH: usize = 256;

/// Most events committed together (a batch stops growing at whichever limit comes first).
const MAX_BATCH_EVENTS: usize = 4096;

/// Creates a stream at version `$2` unless it exists.
const CLAIM: &str = "INSERT INTO streams (stream_id, version) VALUES ($1, $2) \
                     ON CONFLICT (stream_id) DO NOTHING";

/// Moves a stream from version `$2` to `$3`. Under READ COMMITTED a concurrent writer's
/// update is waited for and the condition re-checked on the row it committed.
const ADVANCE: &str = "UPDATE streams SET version = $3 WHERE stream_id = $1 AND version = $2";

/// Inserts the events of a whole batch.
const INSERT: &str = "INSERT INTO events \
     (stream_id, sequence, event_id, event_type, event_version, payload, metadata) \
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::integer[], $6::jsonb[], $7::jsonb[]) \
     RETURNING event_id, tx_id::text::bigint, global_position";

/// Records the nonces of a whole batch as used; returns those that were fresh.
const CLAIM_NONCES: &str = "INSERT INTO used_nonces (nonce_hash, expires_at) \
     SELECT * FROM unnest($1::bytea[], $2::timestamptz[]) \
     ON CONFLICT (expires_at, nonce_hash) DO NOTHING RETURNING nonce_hash";

/// The statements both ways of committing bind, prepared once per connection.
struct Statements {
    claim: Statement,
    advance: Statement,
    insert: Statement,
    claim_nonces: Statement,
    insert_keys: Statement,
    zero_keys: Statement,
    delete_keys: Statement,
}

impl Statements {
    async fn prepare(client: &Object) -> Result<Statements, StoreError> {
        Ok(Statements {
            claim: client.prepare_cached(CLAIM).await?,
            advance: client.prepare_cached(ADVANCE).await?,
            insert: client.prepare_cached(INSERT).await?,
            claim_nonces: client.prepare_cached(CLAIM_NONCES).await?,
            insert_keys: client.prepare_cached(INSERT_KEYS).await?,
            zero_keys: client.prepare_cached(ZERO_KEYS).await?,
            delete_keys: client.prepare_cached(DELETE_KEYS).await?,
        })
    }
}

/// A queued append.
struct Request {
    stream_id: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    /// Recorded as used in the same transaction; one used before fails the append.
    nonces: Vec<NonceUse>,
    /// The change the same transaction makes to an offer's data key, if the append lands.
    key_change: Option<(Uuid, KeyChange)>,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

/// How one append of a batch fared before the events are inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Passed,
    Conflict,
    NonceReused,
}

/// The queue in front of the append workers. Workers stop when it is dropped.
pub(super) struct Appender {
    queue: mpsc::UnboundedSender<Request>,
}

impl Appender {
    /// Starts `workers` append workers on `pool`; after each commit they move the
    /// `appended` and `committed` watches to the new head.
    pub(super) fn start(
        pool: Pool,
        appended: watch::Sender<LogPosition>,
        committed: watch::Sender<LogPosition>,
        workers: usize,
    ) -> Appender {
        let (queue, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let heads = Arc::new([appended, committed]);
        let vacuum = KeyVacuum::new(pool.clone());
        for _ in 0..workers.max(1) {
            tokio::spawn(work(
                pool.clone(),
                receiver.clone(),
                heads.clone(),
                vacuum.clone(),
            ));
        }
        Appender { queue }
    }

    /// Queues an append (with the nonces it consumes and the data key it destroys) and
    /// waits for its durable outcome. `events` must not be empty.
    pub(super) async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        nonces: Vec<NonceUse>,
        key_change: Option<(Uuid, KeyChange)>,
    ) -> Result<AppendOutcome, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.queue
            .send(Request {
                stream_id: stream_id.to_string(),
                expected,
                events,
                nonces,
                key_change,
                reply,
            })
            .map_err(|_| unavailable("the PostgreSQL appender has stopped"))?;
        outcome
            .await
            .map_err(|_| unavailable("the PostgreSQL appender dropped the request"))?
    }
}

async fn work(
    pool: Pool,
    queue: Arc<Mutex<mpsc::UnboundedReceiver<Request>>>,
    heads: Arc<[watch::Sender<LogPosition>; 2]>,
    vacuum: KeyVacuum,
) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut events = first.events.len();
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH && events < MAX_BATCH_EVENTS {
                match queue.try_recv() {
                    Ok(request) => {
                        events += request.events.len();
                        batch.push(request);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        let results = match commit(&pool, &batch).await {
            Ok(results) => results,
            Err(error) if batch.len() == 1 => vec![Err(error)],
            Err(error) => {
                tracing::warn!(%error, appends = batch.len(), "append batch failed; retrying its appends one by one");
                let mut results = Vec::with_capacity(batch.len());
                for request in &batch {
                    let result = commit(&pool, std::slice::from_ref(request)).await;
                    results.push(result.and_then(|mut one| {
                        one.pop()
                            .unwrap_or_else(|| Err(unavailable("append produced no result")))
                    }));
                }
                results
            }
        };
        let head = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|o| o.last_position)
            .max();
        if let Some(head) = head {
            for watch in heads.iter() {
                advance(watch, head);
            }
        }
        let destroyed = batch.iter().zip(&results).any(|(request, result)| {
            matches!(request.key_change, Some((_, KeyChange::Destroy))) && result.is_ok()
        });
        if destroyed {
            vacuum.schedule();
        }
        for (request, result) in batch.into_iter().zip(results) {
            // A caller that stopped waiting is not an error.
            let _ = request.reply.send(result);
        }
    }
}

/// Commits `batch`: in one flight if every append passes, else the careful way. `Ok`
/// holds each append's own outcome; `Err` means the batch failed (see [`careful::commit`]).
async fn commit(
    pool: &Pool,
    batch: &[Request],
) -> Result<Vec<Result<AppendOutcome, StoreError>>, StoreError> {
    let mut connection = Connection(Some(pool.get().await?));
    let client = connection.client()?;
    let statements = Statements::prepare(client).await?;
    match pipelined::commit(client, &statements, batch).await {
        Ok(pipelined::Attempt::Committed(results)) => connection.release(results),
        Ok(pipelined::Attempt::RolledBack) => {
            let client = connection.client_mut()?;
            let results = careful::commit(client, &statements, batch).await;
            connection.release(results?)
        }
        // The connection may still be inside the transaction: it is discarded on drop.
        Err(error) => Err(error),
    }
}

/// A pooled connection that is closed instead of going back to the pool unless released:
/// a batch abandoned halfway (an error, or a cancelled worker at shutdown) must not leave
/// a connection inside its open transaction for the next user.
struct Connection(Option<Object>);

impl Connection {
    fn client(&self) -> Result<&Object, StoreError> {
        self.0
            .as_ref()
            .ok_or_else(|| unavailable("connection already released"))
    }

    fn client_mut(&mut self) -> Result<&mut Object, StoreError> {
        self.0
            .as_mut()
            .ok_or_else(|| unavailable("connection already released"))
    }

    /// Returns the connection to the pool (it is outside any transaction) and `value`.
    fn release<T>(mut self, value: T) -> Result<T, StoreError> {
        self.0.take();
        Ok(value)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            drop(Object::take(object));
        }
    }
}
