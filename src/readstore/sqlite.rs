//! The embedded read store: a SQLite file beside the event store (`views.db`).
//!
//! Written by the projectors only (one connection behind a mutex, on blocking threads),
//! read through a pool. `synchronous=NORMAL` suffices: rows and checkpoint commit together,
//! and anything lost in a power failure is re-projected from the event log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use issuance_domain::offer::OfferStatus;
use issuance_eventlog::LogPosition;
use issuance_projections::OfferView;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use uuid::Uuid;

use super::sql::{self, SqlValue};
use super::sqlite_migrations::{MIGRATIONS, UPSERT_OFFER_VIEW};
use super::{OfferPage, OfferQuery, OfferViewStore, ReadStoreError, OFFER_VIEW};
use crate::store::sqlite_checkpointer::{Checkpointer, WRITER_AUTOCHECKPOINT, WRITER_CACHE_KIB};
use crate::store::sqlite_pool::{PoolError, SqlitePool};

mod migrations;
use migrations::migrate;
pub use migrations::{migrate_with, read_checkpoint, write_checkpoint};

/// The SQLite read store.
#[derive(Clone)]
pub struct SqliteReadStore {
    writer: Arc<SqlitePool>,
    readers: Arc<SqlitePool>,
    path: PathBuf,
}

/// The threads serving one read-store file, shared by every store opened on it.
struct SharedThreads {
    writer: Weak<SqlitePool>,
    readers: Weak<SqlitePool>,
}

/// Read-store files open in this process.
static OPEN_FILES: LazyLock<Mutex<HashMap<PathBuf, SharedThreads>>> = LazyLock::new(Mutex::default);

/// Opens the writer thread's connection.
fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    // Checkpoints run on their own thread (see `sqlite_checkpointer`); the writer's own
    // threshold is only a safety net.
    connection.execute_batch(&format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT}; PRAGMA cache_size = -{WRITER_CACHE_KIB};"))?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

pub(super) fn sql_error(error: rusqlite::Error) -> ReadStoreError {
    ReadStoreError::Backend {
        backend: "sqlite",
        source: crate::cause::cause(error),
    }
}

impl From<PoolError> for ReadStoreError {
    fn from(error: PoolError) -> Self {
        ReadStoreError::Backend {
            backend: "sqlite pool",
            source: crate::cause::cause(error),
        }
    }
}

/// A generated query's parameter as SQLite stores it (ids as text).
pub(super) fn sqlite_value(value: SqlValue) -> Value {
    match value {
        SqlValue::Text(text) => Value::Text(text),
        SqlValue::Int(int) => Value::Integer(int),
        SqlValue::Uuid(id) => Value::Text(id.to_string()),
    }
}

pub(super) fn corrupt(error: impl std::fmt::Display) -> ReadStoreError {
    ReadStoreError::Corrupt(error.to_string())
}

impl SqliteReadStore {
    /// Opens (creating if needed) and migrates the read store at `path`.
    pub fn open(path: &Path) -> Result<SqliteReadStore, ReadStoreError> {
        crate::data_dir::private_files::prepare_sqlite(path).map_err(corrupt)?;
        let mut connection = Connection::open(path).map_err(sql_error)?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(sql_error)?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(sql_error)?;
        migrate(&mut connection)?;
        drop(connection);
        // Every store on one file (offer view, audit view, integration outbox) shares one
        // writer thread and one set of readers: separate writers would only queue on
        // SQLite's file lock, each parking a thread.
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut open = OPEN_FILES
            .lock()
            .map_err(|_| ReadStoreError::Unavailable("store registry poisoned".into()))?;
        open.retain(|_, threads| threads.writer.strong_count() > 0);
        if let Some(shared) = open.get(&key) {
            if let (Some(writer), Some(readers)) =
                (shared.writer.upgrade(), shared.readers.upgrade())
            {
                return Ok(SqliteReadStore {
                    writer,
                    readers,
                    path: path.to_path_buf(),
                });
            }
        }
        let checkpointer =
            Checkpointer::start(path, "sqlite-views-checkpoint", "NORMAL").map_err(corrupt)?;
        let writer = Arc::new(
            SqlitePool::with_threads(path.to_path_buf(), 1, "sqlite-views-writer", open_writer)
                .keeping(checkpointer),
        );
        let readers = Arc::new(SqlitePool::new(path.to_path_buf()));
        open.insert(
            key,
            SharedThreads {
                writer: Arc::downgrade(&writer),
                readers: Arc::downgrade(&readers),
            },
        );
        Ok(SqliteReadStore {
            writer,
            readers,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in a write transaction on the file's writer thread.
    pub async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, ReadStoreError> + Send + 'static,
    ) -> Result<T, ReadStoreError> {
        self.writer
            .run_mut(move |connection| {
                let tx = connection
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(sql_error)?;
                let result = work(&tx)?;
                tx.commit().map_err(sql_error)?;
                Ok(result)
            })
            .await
    }

    /// Runs `work` on a pooled read connection.
    pub async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, ReadStoreError> + Send + 'static,
    ) -> Result<T, ReadStoreError> {
        self.readers.run(work).await
    }
}

fn parse_view(text: String) -> Result<OfferView, ReadStoreError> {
    serde_json::from_str(&text).map_err(corrupt)
}

fn collect_views(
    statement: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<OfferView>, ReadStoreError> {
    let rows = statement
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(sql_error)?;
    let mut views = Vec::new();
    for row in rows {
        views.push(parse_view(row.map_err(sql_error)?)?);
    }
    Ok(views)
}

fn collect_ids(
    statement: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<Uuid>, ReadStoreError> {
    let rows = statement
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(sql_error)?;
    let mut ids = Vec::new();
    for row in rows {
        ids.push(Uuid::parse_str(&row.map_err(sql_error)?).map_err(corrupt)?);
    }
    Ok(ids)
}

#[async_trait]
impl OfferViewStore for SqliteReadStore {
    async fn checkpoint(&self, projection: &str) -> Result<LogPosition, ReadStoreError> {
        let projection = projection.to_string();
        self.read(move |conn| read_checkpoint(conn, &projection))
            .await
    }

    async fn reset_offer_views(&self) -> Result<(), ReadStoreError> {
        self.write(|tx| {
            tx.execute("DELETE FROM offer_views", [])
                .map_err(sql_error)?;
            tx.execute(
                "DELETE FROM checkpoints WHERE projection = ?1",
                [OFFER_VIEW],
            )
            .map_err(sql_error)?;
            Ok(())
        })
        .await
    }

    async fn offer_views(&self, ids: &[Uuid]) -> Result<Vec<OfferView>, ReadStoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        self.write(move |tx| {
            let mut views = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(500) {
                let placeholders = vec!["?"; chunk.len()].join(",");
                let mut statement = tx
                    .prepare(&format!(
                        "SELECT view FROM offer_views WHERE offer_id IN ({placeholders})"
                    ))
                    .map_err(sql_error)?;
                views.extend(collect_views(
                    &mut statement,
                    params_from_iter(chunk.iter()),
                )?);
            }
            Ok(views)
        })
        .await
    }

    async fn save_offer_views(
        &self,
        views: Vec<OfferView>,
        checkpoint: LogPosition,
    ) -> Result<(), ReadStoreError> {
        self.write(move |tx| {
            {
                let mut upsert = tx.prepare_cached(UPSERT_OFFER_VIEW).map_err(sql_error)?;
                for view in &views {
                    let configuration_ids = sql::configuration_ids(view);
                    let json = serde_json::to_string(view).map_err(corrupt)?;
                    upsert
                        .execute(params![
                            view.offer_id.to_string(),
                            view.status.as_str(),
                            view.subject_pseudonym.map(|p| p.to_b64()),
                            configuration_ids,
                            view.created_at.timestamp_micros(),
                            view.deadline.timestamp_micros(),
                            view.terminal_at.map(|t| t.timestamp_micros()),
                            view.claims_erased,
                            json,
                            view.issuer_id,
                            i64::try_from(view.version).map_err(corrupt)?
                        ])
                        .map_err(sql_error)?;
                }
            }
            write_checkpoint(tx, OFFER_VIEW, checkpoint)
        })
        .await
    }

    async fn offer_view(&self, id: Uuid) -> Result<Option<OfferView>, ReadStoreError> {
        self.read(move |conn| {
            let text: Option<String> = conn
                .prepare_cached("SELECT view FROM offer_views WHERE offer_id = ?1")
                .and_then(|mut s| s.query_row([id.to_string()], |row| row.get(0)).optional())
                .map_err(sql_error)?;
            text.map(parse_view).transpose()
        })
        .await
    }

    async fn list_offer_views(&self, query: OfferQuery) -> Result<OfferPage, ReadStoreError> {
        self.read(move |conn| {
            let (text, values) = sql::list_offers(&sql::SQLITE, "view", &query);
            let values: Vec<Value> = values.into_iter().map(sqlite_value).collect();
            let mut statement = conn.prepare_cached(&text).map_err(sql_error)?;
            let items = collect_views(&mut statement, params_from_iter(values.iter()))?;
            Ok(sql::page(items, query.limit))
        })
        .await
    }

    async fn count_offers_by_status(
        &self,
        issuers: Option<Vec<String>>,
    ) -> Result<Vec<(OfferStatus, u64)>, ReadStoreError> {
        self.read(move |conn| {
            let (text, values) = sql::count_by_status(&sql::SQLITE, issuers.as_deref());
            let values: Vec<Value> = values.into_iter().map(sqlite_value).collect();
            let mut statement = conn.prepare_cached(&text).map_err(sql_error)?;
            let rows = statement
                .query_map(params_from_iter(values.iter()), |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })
                .map_err(sql_error)?;
            rows.map(|row| {
                let (status, count) = row.map_err(sql_error)?;
                super::status_count(&status, count)
            })
            .collect()
        })
        .await
    }

    async fn offers_due_for_expiry(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError> {
        self.read(move |conn| {
            let mut statement = conn
                .prepare_cached(&sql::due_for_expiry(&sql::SQLITE))
                .map_err(sql_error)?;
            collect_ids(
                &mut statement,
                params![now.timestamp_micros(), limit as i64],
            )
        })
        .await
    }

    async fn offers_due_for_erasure(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError> {
        self.read(move |conn| {
            let mut statement = conn
                .prepare_cached(&sql::due_for_erasure(&sql::SQLITE))
                .map_err(sql_error)?;
            collect_ids(
                &mut statement,
                params![cutoff.timestamp_micros(), limit as i64],
            )
        })
        .await
    }

    async fn ping(&self) -> Result<(), ReadStoreError> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(sql_error)
        })
        .await
    }
}

#[cfg(test)]
mod tests;
