//! The PostgreSQL integration store, in the read store's database: every node shares the
//! relays' checkpoints, the callback outbox and the dead letters, so the relay and the
//! in-process consumer can move between nodes with their lease and carry on exactly where
//! the last holder committed — no callback lost, none enqueued twice.
//!
//! Same tables and semantics as the SQLite store (statements shared in [`super::sql`]);
//! envelopes are `jsonb`. Outbox row ids come from an identity column, assigned in log
//! order within the relay's transaction, so "lower id" still means "earlier in the log"
//! for one offer's callbacks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use issuance_eventlog::LogPosition;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use super::sql::{self, DeadRow};
use super::{
    DeadLetter, DeadLetterCursor, DeadLetterPage, DestinationBacklog, DueFilter, IntegrationStore,
    IntegrationStoreError, NewCallback, OutboxItem, RequeueSelection, Settlement,
};
use crate::readstore::postgres::PgReadStore;
use crate::readstore::sql::{select_checkpoint, upsert_checkpoint, POSTGRES};
use crate::store::pg::{Migration, PgError, PgTarget};

mod rows;
use rows::{decode_dead, insert_outbox, not_in, settle, upsert_dead};

/// Migration track of the integration store.
const TRACK: &str = "integration_store_migrations";

/// Integration store migrations; add, never edit one that shipped. The relays' checkpoints
/// live in the read store's `checkpoints` table.
const MIGRATIONS: &[Migration] = &[
    (
        1,
        "CREATE TABLE callback_outbox (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id     uuid   NOT NULL UNIQUE,
        offer_id        uuid   NOT NULL,
        envelope        jsonb  NOT NULL,
        attempts        bigint NOT NULL DEFAULT 0,
        next_attempt_at bigint NOT NULL,
        last_error      text
    );
    CREATE INDEX callback_outbox_offer ON callback_outbox (offer_id, id);
    CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at);
    CREATE TABLE dead_letters (
        id                uuid    PRIMARY KEY,
        offer_id          uuid    NOT NULL,
        status            text,
        attempts          bigint  NOT NULL,
        reason            text    NOT NULL,
        dead_at           bigint  NOT NULL,
        requeue_requested boolean NOT NULL DEFAULT FALSE,
        envelope          jsonb   NOT NULL
    );
    CREATE INDEX dead_letters_order ON dead_letters (dead_at, id);
    CREATE INDEX dead_letters_requeue ON dead_letters (dead_at, id) WHERE requeue_requested;",
    ),
    (
        2,
        // Where each callback goes (the consumer skips saturated destinations) and when its
        // event happened (the backlog's age). Older rows learn their destination on their
        // first attempt.
        "ALTER TABLE callback_outbox ADD COLUMN destination text, ADD COLUMN occurred_at bigint;",
    ),
];

/// Adds outbox rows from parallel arrays, in array (= log) order; a delivery id already
/// in the outbox keeps its row and place.
const INSERT_OUTBOX: &str = "INSERT INTO callback_outbox \
     (delivery_id, offer_id, envelope, attempts, next_attempt_at, destination, occurred_at) \
     SELECT d, o, e, 0, $4, t.dest, t.at \
     FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $5::text[], $6::bigint[]) \
         WITH ORDINALITY AS t(d, o, e, dest, at, n) ORDER BY n \
     ON CONFLICT (delivery_id) DO NOTHING";

/// Takes every dead letter marked for re-queueing out of the list.
const TAKE_REQUEUED: &str = "DELETE FROM dead_letters WHERE requeue_requested \
     RETURNING id, offer_id, status, attempts, reason, dead_at, requeue_requested, envelope";

/// The PostgreSQL integration store.
#[derive(Clone)]
pub struct PgIntegrationStore {
    pool: Pool,
}

impl From<tokio_postgres::Error> for IntegrationStoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        IntegrationStoreError::Backend {
            backend: "postgres",
            source: crate::cause::cause(PgError::from(error)),
        }
    }
}

impl From<deadpool_postgres::PoolError> for IntegrationStoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        IntegrationStoreError::Backend {
            backend: "postgres",
            source: crate::cause::cause(PgError::from(error)),
        }
    }
}

fn corrupt(error: impl std::fmt::Display) -> IntegrationStoreError {
    IntegrationStoreError::Corrupt(error.to_string())
}

fn to_i64(value: u64) -> Result<i64, IntegrationStoreError> {
    i64::try_from(value).map_err(|_| corrupt(format!("position {value} is out of range")))
}

impl PgIntegrationStore {
    /// The integration store in `store`'s database (of `target`), its tables migrated.
    pub async fn open(
        store: &PgReadStore,
        target: &PgTarget,
    ) -> Result<PgIntegrationStore, IntegrationStoreError> {
        Ok(PgIntegrationStore {
            pool: store.migrate_beside(target, TRACK, MIGRATIONS).await?,
        })
    }
}

impl PgIntegrationStore {
    async fn dead_where(
        &self,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<DeadLetter>, IntegrationStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(statement).await?;
        let rows = client.query(&statement, params).await?;
        rows.iter().map(decode_dead).collect()
    }

    async fn execute(
        &self,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, IntegrationStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(statement).await?;
        Ok(client.execute(&statement, params).await?)
    }
}

#[async_trait]
impl IntegrationStore for PgIntegrationStore {
    async fn checkpoint(&self, name: &str) -> Result<LogPosition, IntegrationStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(&select_checkpoint(&POSTGRES)).await?;
        Ok(match client.query_opt(&statement, &[&name]).await? {
            Some(row) => LogPosition {
                commit: row.try_get::<_, i64>(0)? as u64,
                prepare: row.try_get::<_, i64>(1)? as u64,
            },
            None => LogPosition::START,
        })
    }

    async fn save_checkpoint(
        &self,
        name: &str,
        position: LogPosition,
    ) -> Result<(), IntegrationStoreError> {
        let (commit, prepare) = (to_i64(position.commit)?, to_i64(position.prepare)?);
        self.execute(&upsert_checkpoint(&POSTGRES), &[&name, &commit, &prepare])
            .await?;
        Ok(())
    }

    async fn enqueue_callbacks(
        &self,
        name: &str,
        callbacks: Vec<NewCallback>,
        checkpoint: LogPosition,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError> {
        let (commit, prepare) = (to_i64(checkpoint.commit)?, to_i64(checkpoint.prepare)?);
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        insert_outbox(&tx, &callbacks, now).await?;
        let statement = tx.prepare_cached(&upsert_checkpoint(&POSTGRES)).await?;
        tx.execute(&statement, &[&name, &commit, &prepare]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn due_callbacks(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        filter: &DueFilter,
    ) -> Result<Vec<OutboxItem>, IntegrationStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(&sql::due(&POSTGRES, not_in)).await?;
        let rows = client
            .query(
                &statement,
                &[
                    &now.timestamp_micros(),
                    &filter.in_flight,
                    &filter.saturated,
                    &sql::limit(limit),
                ],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(OutboxItem {
                    id: row.try_get(0)?,
                    envelope: serde_json::from_value(row.try_get(1)?).map_err(corrupt)?,
                    attempts: u32::try_from(row.try_get::<_, i64>(2)?).map_err(corrupt)?,
                    destination: row.try_get(3)?,
                })
            })
            .collect()
    }

    async fn settle_callbacks(
        &self,
        settlements: Vec<Settlement>,
    ) -> Result<(), IntegrationStoreError> {
        if settlements.is_empty() {
            return Ok(());
        }
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        for settlement in &settlements {
            settle(&tx, settlement).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_backlog(&self) -> Result<Vec<DestinationBacklog>, IntegrationStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql::BACKLOG).await?;
        client
            .query(&statement, &[])
            .await?
            .iter()
            .map(|row| {
                Ok(DestinationBacklog {
                    destination: row.try_get(0)?,
                    depth: u64::try_from(row.try_get::<_, i64>(1)?).unwrap_or(0),
                    oldest: row.try_get::<_, Option<i64>>(2)?.and_then(sql::from_micros),
                })
            })
            .collect()
    }

    async fn record_dead_letter(&self, dead: DeadLetter) -> Result<(), IntegrationStoreError> {
        let client = self.pool.get().await?;
        upsert_dead(&client, &dead).await
    }

    async fn dead_letters(
        &self,
        limit: usize,
        after: Option<DeadLetterCursor>,
    ) -> Result<DeadLetterPage, IntegrationStoreError> {
        let (min_at, min_id) = sql::page_start(after);
        let items = self
            .dead_where(
                &sql::dead_page(&POSTGRES),
                &[&min_at, &min_id, &sql::one_more(limit)],
            )
            .await?;
        Ok(sql::page(items, limit))
    }

    async fn request_requeue(
        &self,
        selection: RequeueSelection,
    ) -> Result<u64, IntegrationStoreError> {
        match selection {
            RequeueSelection::One(id) => self.execute(&sql::mark_one(&POSTGRES), &[&id]).await,
            RequeueSelection::All => self.execute(&sql::mark_all(&POSTGRES), &[]).await,
        }
    }

    async fn requeue_requests(
        &self,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, IntegrationStoreError> {
        self.dead_where(&sql::requeue_requests(&POSTGRES), &[&sql::limit(limit)])
            .await
    }

    async fn remove_dead_letter(&self, id: Uuid) -> Result<(), IntegrationStoreError> {
        self.execute(&sql::delete_dead(&POSTGRES), &[&id]).await?;
        Ok(())
    }

    async fn requeue_into_outbox(&self, now: DateTime<Utc>) -> Result<u64, IntegrationStoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Taken and re-enqueued in one transaction: a request marked meanwhile (on any
        // node) is either taken now or waits for the next round, never lost or doubled.
        let statement = tx.prepare_cached(TAKE_REQUEUED).await?;
        let mut taken = tx
            .query(&statement, &[])
            .await?
            .iter()
            .map(decode_dead)
            .collect::<Result<Vec<_>, _>>()?;
        taken.sort_by_key(|dead| (dead.dead_at, dead.id));
        let callbacks: Vec<NewCallback> = taken
            .into_iter()
            .map(|dead| NewCallback {
                envelope: dead.event,
                destination: None,
            })
            .collect();
        // A callback still in the outbox under the same id keeps its place.
        insert_outbox(&tx, &callbacks, now).await?;
        tx.commit().await?;
        Ok(callbacks.len() as u64)
    }
}
