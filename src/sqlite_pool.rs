//! A small pool of SQLite connections used on tokio's blocking threads, shared by the
//! embedded event store and the embedded read store.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

/// Opens read connections to one database file and runs work on them off the runtime.
#[derive(Clone)]
pub struct SqlitePool {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl SqlitePool {
    /// A pool for `path` (connections open lazily).
    pub fn new(path: PathBuf) -> Self {
        SqlitePool {
            path,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Opens a read-only-by-convention connection (`query_only`).
    pub fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.execute_batch("PRAGMA query_only = ON;")?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }

    /// Runs `work` with a pooled connection on a blocking thread. `E` must be able to carry
    /// both SQLite errors and a failed blocking task.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<PoolError> + Send + 'static,
    {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let connection = match pool.idle.lock().ok().and_then(|mut idle| idle.pop()) {
                Some(connection) => connection,
                None => {
                    Self::open_reader(&pool.path).map_err(|e| E::from(PoolError(e.to_string())))?
                }
            };
            let result = work(&connection);
            if let Ok(mut idle) = pool.idle.lock() {
                if idle.len() < MAX_IDLE {
                    idle.push(connection);
                }
            }
            result
        })
        .await
        .map_err(|e| E::from(PoolError(format!("blocking task failed: {e}"))))?
    }
}

/// A connection could not be opened or the blocking task failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("sqlite pool: {0}")]
pub struct PoolError(pub String);
