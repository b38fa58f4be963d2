//! Moves a SQLite file's write-ahead log into the database on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the
//! writer's thread: with a large threshold that one commit copies tens of MB and syncs the
//! file while every queued write waits (stalls of 100–300 ms under load). Here a separate
//! connection runs a `PASSIVE` checkpoint every [`INTERVAL`], which copies what the WAL
//! holds without taking the write lock, so the writer keeps committing meanwhile. Once
//! the log has grown past [`RESTART_FRAMES`], a `RESTART` checkpoint (which briefly waits
//! for the write lock, with almost nothing left to copy) lets the writer start the log
//! over from its beginning, so the file does not grow without bound under steady load.
//! The writer's own automatic checkpoint stays on at a far higher threshold, as a safety
//! net should this thread fall behind.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

/// How often the log is checkpointed.
pub const INTERVAL: Duration = Duration::from_millis(500);

/// Log size (in pages) above which the log is restarted.
pub const RESTART_FRAMES: i64 = 8_000;

/// The writer connection's own automatic checkpoint threshold: only reached if this thread
/// stopped or fell far behind.
pub const WRITER_AUTOCHECKPOINT: i64 = 64_000;

/// Page cache of a writer connection, in KiB (`PRAGMA cache_size` takes it negated).
///
/// Small on purpose: the writers touch only the right-hand edges of their B-trees, and a
/// B-tree rebalance that reorders pages leaves the cache's largest key far out, after which
/// the commit's truncation scans the whole cache. With 32 MB that scan was 2.5 % of the
/// server's CPU under load; with 8 MB it is a quarter of that.
pub const WRITER_CACHE_KIB: i64 = 8_192;

/// The checkpoint thread of one database file; it stops when this is dropped.
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing `path` on a thread named `name`. `synchronous` is the
    /// connection's `PRAGMA synchronous` (how the checkpoint syncs the database file).
    pub fn start(path: &Path, name: &str, synchronous: &str) -> std::io::Result<Checkpointer> {
        let (stop, stopped) = mpsc::channel();
        let path = path.to_path_buf();
        let pragma = format!("PRAGMA synchronous = {synchronous};");
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(&path, &pragma, &stopped))?;
        Ok(Checkpointer { _stop: stop })
    }
}

fn open(path: &PathBuf, pragma: &str) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    // A RESTART waits (up to this long) for the writer's transaction to end.
    connection.busy_timeout(Duration::from_secs(1))?;
    connection.execute_batch(pragma)?;
    Ok(connection)
}

fn run(path: &PathBuf, pragma: &str, stopped: &mpsc::Receiver<()>) {
    let mut connection = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        if connection.is_none() {
            match open(path, pragma) {
                Ok(opened) => connection = Some(opened),
                Err(error) => {
                    tracing::warn!(%error, path = %path.display(), "cannot open the checkpoint connection");
                    continue;
                }
            }
        }
        let Some(conn) = connection.as_ref() else {
            continue;
        };
        match checkpoint(conn, "PASSIVE") {
            Ok(log) if log >= RESTART_FRAMES => {
                let started = std::time::Instant::now();
                match checkpoint(conn, "RESTART") {
                    Ok(_) => tracing::debug!(
                        path = %path.display(),
                        log,
                        ms = started.elapsed().as_millis() as u64,
                        "WAL restarted"
                    ),
                    Err(error) => tracing::debug!(%error, "WAL restart deferred"),
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "WAL checkpoint failed");
                connection = None;
            }
        }
    }
}

/// Runs a checkpoint; returns the log's size in pages.
fn checkpoint(connection: &Connection, mode: &str) -> rusqlite::Result<i64> {
    connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get::<_, i64>(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_log_bounded_while_another_connection_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db.sqlite");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
                 PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT};
                 CREATE TABLE t (x BLOB);"
            ))
            .expect("schema");
        let _checkpointer =
            Checkpointer::start(&path, "test-checkpointer", "NORMAL").expect("start");
        let wal = path.with_extension("sqlite-wal");
        let blob = vec![7u8; 3000];
        // 24,000 pages in all, in rounds of 4,000 (one transaction each) with pauses that
        // give the checkpointer time to run: without it the log would hold them all (the
        // writer's own threshold is far above).
        for _ in 0..6 {
            writer.execute_batch("BEGIN").expect("begin");
            for _ in 0..4_000 {
                writer
                    .execute("INSERT INTO t VALUES (?1)", [&blob])
                    .expect("insert");
            }
            writer.execute_batch("COMMIT").expect("commit");
            std::thread::sleep(INTERVAL * 3);
        }
        let wal_pages = std::fs::metadata(&wal).expect("wal").len() / 4096;
        assert!(
            wal_pages < 16_000,
            "the log was started over rather than growing to every page written ({wal_pages} pages)"
        );
        let count: i64 = writer
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, 24_000);
    }
}
