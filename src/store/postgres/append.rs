//! Appends with group commit.
//!
//! Callers queue their appends; a few workers each take whatever is queued (up to
//! [`MAX_BATCH`]) and commit it in **one** transaction: every append claims or advances
//! its stream's version row (a conflict affects no row and fails only that append), then
//! one multi-row `INSERT … SELECT FROM unnest(…)` writes the events of all appends that
//! passed. Under load one commit (one WAL flush, a handful of round trips) carries dozens
//! of commands; a lone caller pays what a plain transaction would. While one worker
//! commits, the next collects the following batch.
//!
//! Appends in a batch lock their stream rows in `stream_id` order, so two batches (from
//! two nodes, say) cannot deadlock. Should a batch fail for any other reason, its appends
//! are retried one by one so a single bad append cannot fail its neighbours.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use futures_util::future::try_join_all;
use issuance_domain::{LogPosition, NewEvent};
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use uuid::Uuid;

use super::read::position;
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

/// The versions of streams whose append lost the race (for the conflict error).
const VERSIONS: &str = "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1)";

/// Records the nonces of a whole batch as used; returns those that were fresh.
const CLAIM_NONCES: &str = "INSERT INTO used_nonces (nonce_hash, expires_at) \
     SELECT * FROM unnest($1::bytea[], $2::timestamptz[]) \
     ON CONFLICT (expires_at, nonce_hash) DO NOTHING RETURNING nonce_hash";

/// Forgets nonces claimed by appends that fail on another of their nonces.
const UNCLAIM_NONCES: &str = "DELETE FROM used_nonces \
     WHERE (expires_at, nonce_hash) IN (SELECT * FROM unnest($1::timestamptz[], $2::bytea[]))";

/// Puts back a stream an append that failed on a nonce had advanced.
const REVERT: &str = "UPDATE streams SET version = $2 WHERE stream_id = $1";

/// Removes a stream an append that failed on a nonce had created.
const UNCLAIM: &str = "DELETE FROM streams WHERE stream_id = $1";

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

/// Commits `batch` in one transaction. `Ok` holds each append's own outcome (a conflict
/// for those that lost their race). `Err` means the batch failed: rolled back, or — if the
/// connection broke during `COMMIT` — with an unknown outcome, as for any database client;
/// a retry then finds the stream versions moved and reports conflicts, never duplicates.
async fn commit(
    pool: &Pool,
    batch: &[Request],
) -> Result<Vec<Result<AppendOutcome, StoreError>>, StoreError> {
    let mut client = pool.get().await?;
    let claim = client.prepare_cached(CLAIM).await?;
    let advance = client.prepare_cached(ADVANCE).await?;
    let insert = client.prepare_cached(INSERT).await?;
    let tx = client.transaction().await?;

    // Claim or advance every stream, in stream order (deadlock-free), pipelined.
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by(|a, b| batch[*a].stream_id.cmp(&batch[*b].stream_id));
    let mut versions = Vec::with_capacity(batch.len());
    for &i in &order {
        let request = &batch[i];
        let expected = i64::try_from(request.expected.version())
            .map_err(|_| unavailable("expected version out of range"))?;
        let new = expected + request.events.len() as i64;
        versions.push((i, expected, new));
    }
    let checks = versions.iter().map(|(i, expected, new)| {
        let request = &batch[*i];
        let tx = &tx;
        let (claim, advance) = (&claim, &advance);
        async move {
            match request.expected {
                ExpectedVersion::NoStream => tx.execute(claim, &[&request.stream_id, new]).await,
                ExpectedVersion::Exact(_) => {
                    tx.execute(advance, &[&request.stream_id, expected, new])
                        .await
                }
            }
        }
    });
    let affected = try_join_all(checks).await?;
    let mut fates = vec![Fate::Conflict; batch.len()];
    for ((i, _, _), rows) in versions.iter().zip(affected) {
        if rows == 1 {
            fates[*i] = Fate::Passed;
        }
    }
    if batch.iter().any(|r| !r.nonces.is_empty()) {
        claim_nonces(&tx, batch, &mut fates).await?;
    }
    let passed: Vec<bool> = fates.iter().map(|f| *f == Fate::Passed).collect();

    // The data keys stored and destroyed by appends that passed. A key that exists
    // already fails the batch, which is then retried one append at a time.
    let (mut inserted, mut keys, mut destroyed) = (Vec::new(), Vec::new(), Vec::new());
    for (request, _) in batch.iter().zip(&passed).filter(|(_, ok)| **ok) {
        match &request.key_change {
            Some((offer_id, KeyChange::Insert(key))) => {
                inserted.push(*offer_id);
                keys.push(&key.0[..]);
            }
            Some((offer_id, KeyChange::Destroy)) => destroyed.push(*offer_id),
            None => {}
        }
    }
    if !inserted.is_empty() {
        tx.execute(INSERT_KEYS, &[&inserted, &keys]).await?;
    }
    if !destroyed.is_empty() {
        tx.execute(ZERO_KEYS, &[&destroyed]).await?;
        tx.execute(DELETE_KEYS, &[&destroyed]).await?;
    }

    // One insert for the events of every append that passed.
    let mut streams: Vec<&str> = Vec::new();
    let mut sequences: Vec<i64> = Vec::new();
    let mut ids: Vec<Uuid> = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    let mut type_versions: Vec<i32> = Vec::new();
    let mut payloads: Vec<&serde_json::Value> = Vec::new();
    let mut metadata: Vec<serde_json::Value> = Vec::new();
    for (request, _) in batch.iter().zip(&passed).filter(|(_, ok)| **ok) {
        for (offset, event) in request.events.iter().enumerate() {
            streams.push(&request.stream_id);
            sequences.push((request.expected.version() + offset as u64 + 1) as i64);
            ids.push(event.event_id);
            types.push(&event.event_type);
            type_versions.push(
                i32::try_from(event.event_version)
                    .map_err(|_| unavailable("event version out of range"))?,
            );
            payloads.push(&event.payload);
            metadata.push(
                serde_json::to_value(&event.metadata)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
    }
    let mut positions: HashMap<Uuid, LogPosition> = HashMap::with_capacity(ids.len());
    if !ids.is_empty() {
        let rows = tx
            .query(
                &insert,
                &[
                    &streams,
                    &sequences,
                    &ids,
                    &types,
                    &type_versions,
                    &payloads,
                    &metadata,
                ],
            )
            .await?;
        for row in rows {
            let id: Uuid = row.try_get(0)?;
            let tx_id: i64 = row.try_get(1)?;
            let global: i64 = row.try_get(2)?;
            positions.insert(id, position(tx_id, global));
        }
    }

    // The current versions of the losers, for their conflict errors.
    let losers: Vec<&str> = batch
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| **fate == Fate::Conflict)
        .map(|(r, _)| r.stream_id.as_str())
        .collect();
    let mut actual: HashMap<String, i64> = HashMap::new();
    if !losers.is_empty() {
        for row in tx.query(VERSIONS, &[&losers]).await? {
            actual.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    tx.commit().await?;

    Ok(batch
        .iter()
        .zip(fates)
        .map(|(request, fate)| {
            if fate == Fate::NonceReused {
                return Err(StoreError::NonceReused);
            }
            if fate == Fate::Conflict {
                return Err(StoreError::Conflict {
                    stream_id: request.stream_id.clone(),
                    expected: request.expected.version(),
                    actual: actual.get(&request.stream_id).copied().unwrap_or(0) as u64,
                });
            }
            let last = request
                .events
                .last()
                .and_then(|e| positions.get(&e.event_id).copied())
                .ok_or_else(|| unavailable("an appended event has no position"))?;
            Ok(AppendOutcome {
                new_version: request.expected.version() + request.events.len() as u64,
                last_position: last,
            })
        })
        .collect())
}

/// Records the nonces of the appends that passed their version check, in one statement.
/// An append with a nonce used before (or claimed by an earlier append of the batch)
/// becomes [`Fate::NonceReused`]: the nonces it did claim are forgotten and its stream is
/// put back, so it writes nothing, as if it had never been in the batch.
async fn claim_nonces(
    tx: &deadpool_postgres::Transaction<'_>,
    batch: &[Request],
    fates: &mut [Fate],
) -> Result<(), StoreError> {
    // In key order, like the streams: two batches then take the ledger's index entries in
    // the same order and cannot deadlock on them.
    let mut claims: Vec<(DateTime<Utc>, &[u8])> = batch
        .iter()
        .zip(fates.iter())
        .filter(|(_, fate)| **fate == Fate::Passed)
        .flat_map(|(request, _)| request.nonces.iter())
        .map(|nonce| (nonce.expires_at, &nonce.hash[..]))
        .collect();
    if claims.is_empty() {
        return Ok(());
    }
    claims.sort();
    let (expiries, hashes): (Vec<DateTime<Utc>>, Vec<&[u8]>) = claims.into_iter().unzip();
    let claim = tx.prepare_cached(CLAIM_NONCES).await?;
    let mut fresh: HashSet<Vec<u8>> = HashSet::with_capacity(hashes.len());
    for row in tx.query(&claim, &[&hashes, &expiries]).await? {
        fresh.insert(row.try_get(0)?);
    }
    // Each fresh nonce belongs to the first append of the batch that presented it.
    let mut owner: HashMap<&[u8], usize> = HashMap::new();
    let mut failed = Vec::new();
    for (i, request) in batch.iter().enumerate() {
        if fates[i] != Fate::Passed {
            continue;
        }
        let mut ok = true;
        for nonce in &request.nonces {
            let hash: &[u8] = &nonce.hash;
            if !fresh.contains(hash) || *owner.entry(hash).or_insert(i) != i {
                ok = false;
            }
        }
        if !ok {
            fates[i] = Fate::NonceReused;
            failed.push(i);
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    // The nonces the failed appends did claim (each is owned by one append).
    let (mut claimed_expiries, mut claimed): (Vec<DateTime<Utc>>, Vec<&[u8]>) = (vec![], vec![]);
    for &i in &failed {
        for nonce in &batch[i].nonces {
            let hash: &[u8] = &nonce.hash;
            if fresh.contains(hash) && owner.get(hash) == Some(&i) {
                claimed_expiries.push(nonce.expires_at);
                claimed.push(hash);
            }
        }
    }
    if !claimed.is_empty() {
        tx.execute(UNCLAIM_NONCES, &[&claimed_expiries, &claimed])
            .await?;
    }
    for i in failed {
        let request = &batch[i];
        match request.expected {
            ExpectedVersion::NoStream => tx.execute(UNCLAIM, &[&request.stream_id]).await?,
            ExpectedVersion::Exact(version) => {
                let version = i64::try_from(version)
                    .map_err(|_| unavailable("expected version out of range"))?;
                tx.execute(REVERT, &[&request.stream_id, &version]).await?
            }
        };
    }
    Ok(())
}
