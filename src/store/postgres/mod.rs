//! The PostgreSQL event store: for one or more service nodes sharing a database.
//!
//! - Appends go through a group-commit queue ([`append`]); optimistic concurrency is a
//!   conditional update of the stream's version row, mapped to [`StoreError::Conflict`].
//! - The global log is read in `(tx_id, global_position)` order below the oldest running
//!   transaction, which makes it gap-safe for catch-up readers ([`read`] explains why).
//!   A [`LogPosition`] holds the transaction id in `commit` and the row's identity in
//!   `prepare`.
//! - Every node announces its commits with `NOTIFY` and listens for the others', so a
//!   projector wakes at once for appends made anywhere ([`notify`]).
//! - Tables are created and upgraded by versioned migrations when the store opens.

mod append;
mod notify;
mod read;
mod schema;
mod secrets;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use issuance_eventlog::{LogPosition, NewEvent, RecordedEvent};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

pub use secrets::PgSecretStore;

use super::{
    AppendOutcome, EventStore, ExpectedVersion, KeyChange, NonceUse, SideEffects, StoreError,
};
use crate::store::pg::{self, PgError, PgTarget};
use append::Appender;

/// Concurrent append transactions per node (each takes one pooled connection while it
/// commits; the rest of the pool serves reads).
const APPEND_WORKERS: usize = 4;

/// The PostgreSQL event store.
pub struct PgEventStore {
    pool: Pool,
    appender: Appender,
    appended: watch::Receiver<LogPosition>,
    /// Dropped with the store: stops the listener for other nodes' appends.
    _listening: oneshot::Sender<()>,
}

pub(crate) fn pg_error(error: PgError) -> StoreError {
    StoreError::Backend {
        backend: "postgres",
        source: crate::cause::cause(error),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        pg_error(error.into())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        pg_error(error.into())
    }
}

fn unavailable(message: impl Into<String>) -> StoreError {
    StoreError::Unavailable(message.into())
}

impl PgEventStore {
    /// Migrates the event tables on `pool` (of `target`) and starts the append workers.
    pub async fn open(target: &PgTarget, pool: Pool) -> Result<PgEventStore, StoreError> {
        let mut client = pool.get().await?;
        pg::migrate(target, &mut client, schema::EVENTS_TRACK, schema::EVENTS)
            .await
            .map_err(pg_error)?;
        let head = head_of(&client).await?;
        drop(client);
        let (appended_tx, appended) = watch::channel(head);
        let (committed_tx, committed) = watch::channel(head);
        let (listening, closed) = oneshot::channel();
        let channel = notify::channel(target);
        tokio::spawn(notify::announce(pool.clone(), channel.clone(), committed));
        tokio::spawn(notify::listen(
            target.clone(),
            channel,
            appended_tx.clone(),
            closed,
        ));
        let workers = APPEND_WORKERS.min(target.pool_size().saturating_sub(1).max(1));
        Ok(PgEventStore {
            appender: Appender::start(pool.clone(), appended_tx, committed_tx, workers),
            pool,
            appended,
            _listening: listening,
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| pg_error(e.into()))
    }

    /// An append of no events with effects: the expectation is checked, the nonces
    /// recorded and the key changed in one transaction (rare: a command that changed
    /// nothing).
    async fn effects_checking(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        nonces: Vec<NonceUse>,
        key: Option<(Uuid, KeyChange)>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let actual = tx
            .query_opt(
                "SELECT version FROM streams WHERE stream_id = $1 FOR SHARE",
                &[&stream_id],
            )
            .await?
            .map(|row| row.try_get::<_, i64>(0))
            .transpose()?
            .unwrap_or(0);
        let outcome = expected.check_empty_append(stream_id, actual as u64)?;
        for nonce in &nonces {
            let inserted = tx
                .execute(
                    "INSERT INTO used_nonces (nonce_hash, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (expires_at, nonce_hash) DO NOTHING",
                    &[&&nonce.hash[..], &nonce.expires_at],
                )
                .await?;
            if inserted == 0 {
                return Err(StoreError::NonceReused);
            }
        }
        if let Some((offer_id, change)) = key {
            let offers = [offer_id];
            match &change {
                KeyChange::Insert(key) => {
                    let keys = [&key.0[..]];
                    tx.execute(secrets::INSERT_KEYS, &[&&offers[..], &&keys[..]])
                        .await?;
                }
                KeyChange::Destroy => {
                    tx.execute(secrets::ZERO_KEYS, &[&&offers[..]]).await?;
                    tx.execute(secrets::DELETE_KEYS, &[&&offers[..]]).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn stream_version(&self, stream_id: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT version FROM streams WHERE stream_id = $1",
                &[&stream_id],
            )
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<_, i64>(0)? as u64,
            None => 0,
        })
    }
}

/// The newest position readers can reach.
async fn head_of(client: &deadpool_postgres::Object) -> Result<LogPosition, StoreError> {
    let statement = client.prepare_cached(read::HEAD).await?;
    match client.query_opt(&statement, &[]).await? {
        Some(row) => Ok(read::position(row.try_get(0)?, row.try_get(1)?)),
        None => Ok(LogPosition::START),
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append_with(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        // `used_nonces` and `data_keys` are in the same schema (the secret store always
        // shares the event store's database): one transaction covers everything.
        let SideEffects { nonces, key } = effects;
        if !events.is_empty() {
            return self
                .appender
                .append(stream_id, expected, events, nonces, key)
                .await;
        }
        if nonces.is_empty() && key.is_none() {
            let actual = self.stream_version(stream_id).await?;
            return expected.check_empty_append(stream_id, actual);
        }
        self.effects_checking(stream_id, expected, nonces, key)
            .await
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(read::READ_STREAM).await?;
        client
            .query(&statement, &[&stream_id])
            .await?
            .iter()
            .map(read::decode)
            .collect()
    }

    async fn read_stream_after(
        &self,
        stream_id: &str,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream_range(stream_id, after, u64::MAX).await
    }

    async fn read_stream_range(
        &self,
        stream_id: &str,
        after: u64,
        up_to: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let up_to = i64::try_from(up_to).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let statement = client.prepare_cached(read::READ_STREAM_RANGE).await?;
        client
            .query(&statement, &[&stream_id, &after, &up_to])
            .await?
            .iter()
            .map(read::decode)
            .collect()
    }

    async fn read_all(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (tx_id, global) = read::position_params(after)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let statement = client.prepare_cached(read::READ_ALL).await?;
        client
            .query(&statement, &[&tx_id, &global, &limit])
            .await?
            .iter()
            .map(read::decode)
            .collect()
    }

    async fn head(&self) -> Result<LogPosition, StoreError> {
        head_of(&self.client().await?).await
    }

    fn appended(&self) -> watch::Receiver<LogPosition> {
        self.appended.clone()
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
