//! Schema and connection set-up of the SQLite event store. Migrations are numbered and
//! applied once, in order, inside a transaction.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::{sql_error, Durability};
use crate::sqlite_checkpointer::{WRITER_AUTOCHECKPOINT, WRITER_CACHE_KIB};
use crate::store::StoreError;

/// Versioned migrations; never edit one that shipped, add a new one.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE events (
        position      INTEGER PRIMARY KEY,
        stream_id     TEXT    NOT NULL,
        sequence      INTEGER NOT NULL CHECK (sequence > 0),
        -- Unique by construction (a fresh UUID per event). No index: one would cost a
        -- write to a random page per event, the largest share of the commit volume.
        event_id      TEXT    NOT NULL,
        event_type    TEXT    NOT NULL,
        event_version INTEGER NOT NULL,
        payload       TEXT    NOT NULL,
        metadata      TEXT    NOT NULL,
        UNIQUE (stream_id, sequence)
    );
    CREATE TABLE data_keys (
        offer_id   TEXT PRIMARY KEY,
        key        BLOB NOT NULL,
        created_at INTEGER NOT NULL DEFAULT (unixepoch())
    );
    CREATE TABLE used_nonces (
        nonce_hash BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);",
)];

/// Opens the writer connection with WAL, the chosen durability and secure deletion (so a
/// destroyed data key is overwritten, not merely unlinked).
pub(super) fn open_writer(path: &Path, durability: Durability) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(sql_error)?;
    connection
        .busy_timeout(Duration::from_secs(10))
        .map_err(sql_error)?;
    let synchronous = durability.pragma();
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA secure_delete = ON; \
             PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT}; PRAGMA cache_size = -{WRITER_CACHE_KIB};"
        ))
        .map_err(sql_error)?;
    Ok(connection)
}

/// Applies pending migrations.
pub(super) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    connection
        .execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))")
        .map_err(sql_error)?;
    let current: i64 = connection
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = connection.transaction().map_err(sql_error)?;
        tx.execute_batch(sql).map_err(sql_error)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES (?1)",
            [version],
        )
        .map_err(sql_error)?;
        tx.commit().map_err(sql_error)?;
    }
    Ok(())
}
