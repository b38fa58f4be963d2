//! The SQLite integration store, in the read store's database file (`views.db`) so that
//! its checkpoints sit beside the projections' and one backup holds all derived state.
//!
//! It opens its own writer connection: SQLite serialises the two writers (WAL, busy
//! timeout), and the integration side never waits behind a large projection batch lock in
//! this process.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use issuance_eventlog::LogPosition;
use rusqlite::{params, Connection};
use uuid::Uuid;

use super::sql::{self, DeadRow};
use super::{
    DeadLetter, DeadLetterCursor, DeadLetterPage, DestinationBacklog, DueFilter, IntegrationStore,
    IntegrationStoreError, NewCallback, OutboxItem, RequeueSelection, Settlement,
};
use crate::integration::envelope::EventEnvelope;
use crate::readstore::sql::SQLITE;
use crate::readstore::sqlite::{migrate_with, read_checkpoint, write_checkpoint, SqliteReadStore};
use crate::readstore::ReadStoreError;

mod rows;
use rows::{collect_dead, insert_outbox, not_in, settle, upsert_dead};

/// Versioned migrations of the integration tables; add, never edit.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
    // `checkpoints` already exists in the read store's file; it is created here too for a
    // dedicated file (when the read store is not SQLite).
    "CREATE TABLE IF NOT EXISTS checkpoints (
        projection       TEXT PRIMARY KEY,
        commit_position  INTEGER NOT NULL,
        prepare_position INTEGER NOT NULL
    );
    CREATE TABLE callback_outbox (
        id              INTEGER PRIMARY KEY,
        delivery_id     TEXT NOT NULL UNIQUE,
        offer_id        TEXT NOT NULL,
        envelope        TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT
    );
    CREATE INDEX callback_outbox_offer ON callback_outbox (offer_id, id);
    CREATE INDEX callback_outbox_due ON callback_outbox (next_attempt_at);
    CREATE TABLE dead_letters (
        id                TEXT PRIMARY KEY,
        offer_id          TEXT NOT NULL,
        status            TEXT,
        attempts          INTEGER NOT NULL,
        reason            TEXT NOT NULL,
        dead_at           INTEGER NOT NULL,
        requeue_requested INTEGER NOT NULL DEFAULT 0,
        envelope          TEXT NOT NULL
    );
    CREATE INDEX dead_letters_order ON dead_letters (dead_at, id);
    CREATE INDEX dead_letters_requeue ON dead_letters (requeue_requested) WHERE requeue_requested = 1;",
    ),
    (
        2,
        // Where each callback goes (the consumer skips saturated destinations) and when its
        // event happened (the backlog's age). Older rows learn their destination on their
        // first attempt.
        "ALTER TABLE callback_outbox ADD COLUMN destination TEXT;
        ALTER TABLE callback_outbox ADD COLUMN occurred_at INTEGER;",
    ),
];

/// The SQLite integration store.
#[derive(Clone)]
pub struct SqliteIntegrationStore {
    db: SqliteReadStore,
}

fn db_error(error: rusqlite::Error) -> ReadStoreError {
    ReadStoreError::Backend {
        backend: "sqlite",
        source: crate::cause::cause(error),
    }
}

fn corrupt(error: impl std::fmt::Display) -> ReadStoreError {
    ReadStoreError::Corrupt(error.to_string())
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

impl SqliteIntegrationStore {
    /// Opens (creating and migrating) the store in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Self, IntegrationStoreError> {
        let db = SqliteReadStore::open(path)?;
        let mut connection = Connection::open(path).map_err(db_error)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_error)?;
        migrate_with(&mut connection, MIGRATIONS, "integration_schema_migrations")?;
        Ok(SqliteIntegrationStore { db })
    }
}

#[async_trait]
impl IntegrationStore for SqliteIntegrationStore {
    async fn checkpoint(&self, name: &str) -> Result<LogPosition, IntegrationStoreError> {
        let name = name.to_string();
        Ok(self
            .db
            .read(move |conn| read_checkpoint(conn, &name))
            .await?)
    }

    async fn save_checkpoint(
        &self,
        name: &str,
        position: LogPosition,
    ) -> Result<(), IntegrationStoreError> {
        let name = name.to_string();
        Ok(self
            .db
            .write(move |tx| write_checkpoint(tx, &name, position))
            .await?)
    }

    async fn enqueue_callbacks(
        &self,
        name: &str,
        callbacks: Vec<NewCallback>,
        checkpoint: LogPosition,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError> {
        let name = name.to_string();
        Ok(self
            .db
            .write(move |tx| {
                for callback in &callbacks {
                    insert_outbox(tx, &callback.envelope, callback.destination.as_deref(), now)?;
                }
                write_checkpoint(tx, &name, checkpoint)
            })
            .await?)
    }

    async fn due_callbacks(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        filter: &DueFilter,
    ) -> Result<Vec<OutboxItem>, IntegrationStoreError> {
        let in_flight = serde_json::to_string(&filter.in_flight).map_err(corrupt)?;
        let saturated = serde_json::to_string(&filter.saturated).map_err(corrupt)?;
        Ok(self
            .db
            .read(move |conn| {
                let mut statement = conn
                    .prepare_cached(&sql::due(&SQLITE, not_in))
                    .map_err(db_error)?;
                let rows = statement
                    .query_map(
                        params![micros(now), in_flight, saturated, sql::limit(limit)],
                        |row| {
                            Ok((
                                row.get::<_, i64>(0)?,
                                row.get::<_, String>(1)?,
                                row.get::<_, u32>(2)?,
                                row.get::<_, Option<String>>(3)?,
                            ))
                        },
                    )
                    .map_err(db_error)?;
                let mut items = Vec::new();
                for row in rows {
                    let (id, envelope, attempts, destination) = row.map_err(db_error)?;
                    items.push(OutboxItem {
                        id,
                        envelope: serde_json::from_str(&envelope).map_err(corrupt)?,
                        attempts,
                        destination,
                    });
                }
                Ok(items)
            })
            .await?)
    }

    async fn settle_callbacks(
        &self,
        settlements: Vec<Settlement>,
    ) -> Result<(), IntegrationStoreError> {
        if settlements.is_empty() {
            return Ok(());
        }
        Ok(self
            .db
            .write(move |tx| settlements.iter().try_for_each(|s| settle(tx, s)))
            .await?)
    }

    async fn outbox_backlog(&self) -> Result<Vec<DestinationBacklog>, IntegrationStoreError> {
        Ok(self
            .db
            .read(move |conn| {
                let mut statement = conn.prepare_cached(sql::BACKLOG).map_err(db_error)?;
                let rows = statement
                    .query_map([], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, i64>(1)?,
                            row.get::<_, Option<i64>>(2)?,
                        ))
                    })
                    .map_err(db_error)?;
                let mut backlog = Vec::new();
                for row in rows {
                    let (destination, depth, oldest) = row.map_err(db_error)?;
                    backlog.push(DestinationBacklog {
                        destination,
                        depth: u64::try_from(depth).unwrap_or(0),
                        oldest: oldest.and_then(sql::from_micros),
                    });
                }
                Ok(backlog)
            })
            .await?)
    }

    async fn record_dead_letter(&self, dead: DeadLetter) -> Result<(), IntegrationStoreError> {
        Ok(self.db.write(move |tx| upsert_dead(tx, &dead)).await?)
    }

    async fn dead_letters(
        &self,
        limit: usize,
        after: Option<DeadLetterCursor>,
    ) -> Result<DeadLetterPage, IntegrationStoreError> {
        Ok(self
            .db
            .read(move |conn| {
                let (min_at, min_id) = sql::page_start(after);
                let mut statement = conn
                    .prepare_cached(&sql::dead_page(&SQLITE))
                    .map_err(db_error)?;
                let items = collect_dead(
                    &mut statement,
                    params![min_at, min_id.to_string(), sql::one_more(limit)],
                )?;
                Ok(sql::page(items, limit))
            })
            .await?)
    }

    async fn request_requeue(
        &self,
        selection: RequeueSelection,
    ) -> Result<u64, IntegrationStoreError> {
        Ok(self
            .db
            .write(move |tx| {
                let changed = match selection {
                    RequeueSelection::One(id) => {
                        tx.execute(&sql::mark_one(&SQLITE), [id.to_string()])
                    }
                    RequeueSelection::All => tx.execute(&sql::mark_all(&SQLITE), []),
                }
                .map_err(db_error)?;
                Ok(changed as u64)
            })
            .await?)
    }

    async fn requeue_requests(
        &self,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, IntegrationStoreError> {
        Ok(self
            .db
            .read(move |conn| {
                let mut statement = conn
                    .prepare_cached(&sql::requeue_requests(&SQLITE))
                    .map_err(db_error)?;
                collect_dead(&mut statement, params![sql::limit(limit)])
            })
            .await?)
    }

    async fn remove_dead_letter(&self, id: Uuid) -> Result<(), IntegrationStoreError> {
        Ok(self
            .db
            .write(move |tx| {
                tx.execute(&sql::delete_dead(&SQLITE), [id.to_string()])
                    .map_err(db_error)?;
                Ok(())
            })
            .await?)
    }

    async fn requeue_into_outbox(&self, now: DateTime<Utc>) -> Result<u64, IntegrationStoreError> {
        Ok(self
            .db
            .write(move |tx| {
                let requested = {
                    let mut statement = tx
                        .prepare_cached(&sql::requeue_requests(&SQLITE))
                        .map_err(db_error)?;
                    collect_dead(&mut statement, params![i64::MAX])?
                };
                for dead in &requested {
                    // A callback still in the outbox under the same id keeps its place.
                    insert_outbox(tx, &dead.event, None, now)?;
                    tx.execute(&sql::delete_dead(&SQLITE), [dead.id.to_string()])
                        .map_err(db_error)?;
                }
                Ok(requested.len() as u64)
            })
            .await?)
    }
}
