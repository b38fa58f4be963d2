//! The embedded event store on a SQLite file (WAL), the default backend.
//!
//! - One writer thread owns the only write connection and performs **group commit**:
//!   it drains every queued write (appends, data-key and nonce operations) into one
//!   `BEGIN IMMEDIATE … COMMIT`, so one fsync (`synchronous=FULL`) covers many commands.
//!   Replies go out only after the commit is durable.
//! - Reads run on a small pool of read connections on tokio's blocking threads, so no
//!   SQLite call ever blocks the async runtime.
//! - The global position is the `events` table's integer primary key (its rowid). With a
//!   single writer, rowids are assigned in commit order, so readers resuming after the
//!   last position they saw never skip an event.

mod reader;
mod recent;
mod schema;
mod secrets;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use issuance_eventlog::{LogPosition, NewEvent, RecordedEvent};
use tokio::sync::{oneshot, watch};

use super::{AppendOutcome, EventStore, ExpectedVersion, SideEffects, StoreError};
use crate::store::sqlite_checkpointer::Checkpointer;
use crate::store::sqlite_pool::{PoolError, SqlitePool};
use recent::{RecentEvents, RECENT_EVENTS};
use writer::WriteOp;

/// How durable a commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is fsynced on every commit (default).
    Full,
    /// `synchronous=NORMAL`: survives a process crash, not a power loss.
    Normal,
}

impl Durability {
    /// Its `PRAGMA synchronous` value.
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// The SQLite event store and secret store.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: flume::Sender<WriteOp>,
    readers: SqlitePool,
    appended: watch::Receiver<LogPosition>,
    recent: Arc<RecentEvents>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, migrates it and starts the writer.
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteStore, StoreError> {
        crate::data_dir::private_files::prepare_sqlite(path)
            .map_err(|e| unavailable(format!("cannot create {}: {e}", path.display())))?;
        let mut connection = schema::open_writer(path, durability)?;
        schema::migrate(&mut connection)?;
        let head: i64 = connection
            .query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |row| {
                row.get(0)
            })
            .map_err(sql_error)?;
        let (appended_tx, appended) = watch::channel(LogPosition::at(head as u64));
        let (writer, queue) = flume::unbounded();
        let recent = Arc::new(RecentEvents::new(head as u64, RECENT_EVENTS));
        writer::spawn(connection, queue, appended_tx, recent.clone())?;
        let checkpointer = Checkpointer::start(path, "sqlite-checkpoint", durability.pragma())
            .map_err(|e| unavailable(format!("cannot start the SQLite checkpointer: {e}")))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer,
                readers: SqlitePool::new(path.to_path_buf()).keeping(checkpointer),
                appended,
                recent,
            }),
        })
    }

    /// Parses `sqlite://<path>[?synchronous=normal]` into a path and durability.
    pub fn parse_url(url: &str) -> Result<(PathBuf, Durability), String> {
        let rest = url
            .strip_prefix("sqlite://")
            .ok_or_else(|| format!("`{url}` is not a sqlite:// URL"))?;
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err(format!("`{url}` names no file"));
        }
        let durability = match query {
            None | Some("synchronous=full") => Durability::Full,
            Some("synchronous=normal") => Durability::Normal,
            Some(other) => return Err(format!("unknown option `{other}` in `{url}`")),
        };
        Ok((PathBuf::from(path), durability))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn write<T>(
        &self,
        op: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> WriteOp,
    ) -> Result<T, StoreError> {
        let (reply, response) = oneshot::channel();
        self.inner
            .writer
            .send(op(reply))
            .map_err(|_| unavailable("the SQLite writer has stopped"))?;
        response
            .await
            .map_err(|_| unavailable("the SQLite writer dropped the request"))?
    }
}

impl SqliteStore {
    /// Queues an append with its side effects for the writer's next transaction.
    async fn queue_append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        let stream_id = stream_id.to_string();
        let SideEffects {
            nonces,
            key: key_change,
        } = effects;
        self.write(|reply| WriteOp::Append {
            stream_id,
            expected,
            events,
            nonces,
            key_change,
            reply,
        })
        .await
    }
}

pub(crate) fn sql_error(error: rusqlite::Error) -> StoreError {
    StoreError::Backend {
        backend: "sqlite",
        source: crate::cause::cause(error),
    }
}

impl From<PoolError> for StoreError {
    fn from(error: PoolError) -> Self {
        StoreError::Backend {
            backend: "sqlite pool",
            source: crate::cause::cause(error),
        }
    }
}

fn unavailable(message: impl Into<String>) -> StoreError {
    StoreError::Unavailable(message.into())
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append_with(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        // The ledger and the keys live in the same file: the writer's transaction covers
        // the events and their effects.
        self.queue_append(stream_id, expected, events, effects)
            .await
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream_id = stream_id.to_string();
        self.inner
            .readers
            .run(move |conn| reader::read_stream(conn, &stream_id))
            .await
    }

    async fn read_stream_after(
        &self,
        stream_id: &str,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream_id = stream_id.to_string();
        self.inner
            .readers
            .run(move |conn| reader::read_stream_range(conn, &stream_id, after, u64::MAX))
            .await
    }

    async fn read_stream_range(
        &self,
        stream_id: &str,
        after: u64,
        up_to: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream_id = stream_id.to_string();
        self.inner
            .readers
            .run(move |conn| reader::read_stream_range(conn, &stream_id, after, up_to))
            .await
    }

    fn single_writer(&self) -> bool {
        // Only this process writes the embedded file (one node per SQLite store).
        true
    }

    async fn read_all(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        if let Some(events) = self.inner.recent.after(after.commit, limit) {
            return Ok(events);
        }
        self.read_all_stored(after, limit).await
    }

    async fn read_all_stored(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner
            .readers
            .run(move |conn| reader::read_all(conn, after.commit, limit))
            .await
    }

    async fn head(&self) -> Result<LogPosition, StoreError> {
        self.inner
            .readers
            .run(|conn| {
                conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |row| {
                    row.get::<_, i64>(0)
                })
                .map(|p| LogPosition::at(p as u64))
                .map_err(sql_error)
            })
            .await
    }

    fn appended(&self) -> watch::Receiver<LogPosition> {
        self.inner.appended.clone()
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
