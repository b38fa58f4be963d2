//! Dedicated reader threads for one SQLite file, shared by the embedded event store and the
//! embedded read stores.
//!
//! Each of a few threads owns one connection for its whole life and takes jobs from a
//! shared queue. Compared with `spawn_blocking` per read this keeps connections (and their
//! prepared-statement caches) warm, never opens a connection on the request path, and caps
//! the threads and page caches a burst of concurrent reads can create: with one blocking
//! task per read, 64 concurrent wallets grew the blocking pool to ~190 threads, each
//! opening its own connection (hundreds of MB of page cache, and the kernel busy
//! switching between them).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

/// Reader threads per database file.
pub const DEFAULT_READERS: usize = 3;

/// A queued job: runs with the thread's connection (or the reason it has none).
type Job = Box<dyn FnOnce(Result<&mut Connection, PoolError>) + Send>;

/// Opens a thread's connection.
pub type Opener = fn(&Path) -> rusqlite::Result<Connection>;

/// Reader threads for one database file.
#[derive(Clone)]
pub struct SqlitePool {
    path: PathBuf,
    jobs: flume::Sender<Job>,
    /// A checkpoint thread that lives as long as the pool.
    checkpointer: Option<std::sync::Arc<crate::store::sqlite_checkpointer::Checkpointer>>,
}

impl SqlitePool {
    /// Starts [`DEFAULT_READERS`] reader threads for `path`.
    pub fn new(path: PathBuf) -> Self {
        Self::with_readers(path, DEFAULT_READERS)
    }

    /// Starts `readers` reader threads for `path`; they stop when the last pool clone is
    /// dropped.
    pub fn with_readers(path: PathBuf, readers: usize) -> Self {
        Self::with_threads(path, readers, "sqlite-reader", Self::open_reader)
    }

    /// Starts `threads` threads named `name-<n>` whose connections `open` opens.
    pub fn with_threads(path: PathBuf, threads: usize, name: &str, open: Opener) -> Self {
        let (jobs, queue) = flume::unbounded::<Job>();
        for index in 0..threads.max(1) {
            let queue = queue.clone();
            let path = path.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || serve(&path, open, queue));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a SQLite reader thread");
            }
        }
        SqlitePool {
            path,
            jobs,
            checkpointer: None,
        }
    }

    /// Keeps `checkpointer` running for as long as the pool (or a clone of it) lives.
    pub fn keeping(
        mut self,
        checkpointer: crate::store::sqlite_checkpointer::Checkpointer,
    ) -> Self {
        self.checkpointer = Some(std::sync::Arc::new(checkpointer));
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens a read-only-by-convention connection (`query_only`).
    pub fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.execute_batch("PRAGMA query_only = ON;")?;
        connection.set_prepared_statement_cache_capacity(64);
        Ok(connection)
    }

    /// Runs `work` on a reader thread's connection. `E` must be able to carry a pool
    /// failure (no connection, reader threads gone).
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<PoolError> + Send + 'static,
    {
        self.run_mut(move |connection| work(connection)).await
    }

    /// Runs `work` with mutable access to a thread's connection (transactions).
    pub async fn run_mut<T, E>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<PoolError> + Send + 'static,
    {
        let (reply, response) = oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let result = match connection {
                Ok(connection) => work(connection),
                Err(error) => Err(E::from(error)),
            };
            // The caller may have given up waiting; nothing to do then.
            let _ = reply.send(result);
        });
        self.jobs
            .send(job)
            .map_err(|_| E::from(PoolError("the SQLite reader threads have stopped".into())))?;
        response
            .await
            .map_err(|_| E::from(PoolError("a SQLite reader dropped the request".into())))?
    }
}

/// A pool thread: one connection, jobs until every sender is gone.
fn serve(path: &Path, open: Opener, queue: flume::Receiver<Job>) {
    let mut connection = open(path).map_err(|e| PoolError(e.to_string()));
    for job in queue.iter() {
        if connection.is_err() {
            // The file may not have existed yet when the thread started; try again.
            connection = open(path).map_err(|e| PoolError(e.to_string()));
        }
        match &mut connection {
            Ok(connection) => job(Ok(connection)),
            Err(error) => job(Err(error.clone())),
        }
    }
}

/// A connection could not be opened or the reader threads are gone.
#[derive(Debug, Clone, thiserror::Error)]
#[error("sqlite pool: {0}")]
pub struct PoolError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_reads_on_the_reader_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (41);")
            .unwrap();
        let pool = SqlitePool::with_readers(path, 2);
        let mut reads = Vec::new();
        for _ in 0..20 {
            let pool = pool.clone();
            reads.push(tokio::spawn(async move {
                pool.run(|c| {
                    c.query_row("SELECT x + 1 FROM t", [], |r| r.get::<_, i64>(0))
                        .map_err(|e| PoolError(e.to_string()))
                })
                .await
            }));
        }
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap(), 42);
        }
        let thread_name = pool
            .run(|_| {
                Ok::<_, PoolError>(
                    std::thread::current()
                        .name()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .await
            .unwrap();
        assert!(thread_name.starts_with("sqlite-reader-"));
    }
}
