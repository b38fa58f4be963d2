//! Schema and connection set-up of the SQLite event store. Migrations are numbered and
//! applied once, in order, inside a transaction.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::{sql_error, Durability};
use crate::store::sqlite_checkpointer::{WRITER_AUTOCHECKPOINT, WRITER_CACHE_KIB};
use crate::store::StoreError;

/// Versioned migrations; never edit one that shipped, add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
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
    ),
    // The nonce ledger keyed by expiry first. A nonce's expiry is part of the nonce (a
    // DPoP proof's follows from its `iat`), so a second use still meets the same key. Keyed
    // by the hash alone, every use wrote a random page of a table holding every nonce of
    // the last minutes, and the expiry index a second page; now uses land at the table's
    // end, and purging expired ones deletes from its start.
    (
        2,
        "CREATE TABLE used_nonces_by_expiry (
        expires_at INTEGER NOT NULL,
        nonce_hash BLOB    NOT NULL,
        PRIMARY KEY (expires_at, nonce_hash)
    ) WITHOUT ROWID;
    INSERT INTO used_nonces_by_expiry (expires_at, nonce_hash)
        SELECT expires_at, nonce_hash FROM used_nonces;
    DROP TABLE used_nonces;
    ALTER TABLE used_nonces_by_expiry RENAME TO used_nonces;",
    ),
    // Fingerprints of the secrets the deployment was started with (never the secrets).
    (
        3,
        "CREATE TABLE deployment_records (
        name       TEXT    PRIMARY KEY,
        value      TEXT    NOT NULL,
        updated_at INTEGER NOT NULL DEFAULT (unixepoch())
    );",
    ),
    // The issuer key vault: private keys encrypted under the key-encryption key (AES-GCM,
    // issuer id and kid bound as associated data), named by the key events' `key_ref`.
    (
        4,
        "CREATE TABLE IF NOT EXISTS issuer_keys (
        key_ref    TEXT    PRIMARY KEY,
        issuer_id  TEXT    NOT NULL,
        kid        TEXT    NOT NULL,
        enc_alg    TEXT    NOT NULL,
        nonce      TEXT    NOT NULL,
        ciphertext TEXT    NOT NULL,
        created_at INTEGER NOT NULL DEFAULT (unixepoch())
    );",
    ),
];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_used_before_the_ledger_migration_stay_used() {
        let mut connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT (unixepoch()));
                 INSERT INTO schema_migrations (version) VALUES (1);",
            )
            .unwrap();
        connection.execute_batch(MIGRATIONS[0].1).unwrap();
        connection
            .execute(
                "INSERT INTO used_nonces (nonce_hash, expires_at) VALUES (?1, 100)",
                [&[7u8; 32][..]],
            )
            .unwrap();

        migrate(&mut connection).unwrap();

        let consume = |hash: [u8; 32], expires_at: i64| {
            connection
                .execute(
                    "INSERT OR IGNORE INTO used_nonces (nonce_hash, expires_at) VALUES (?1, ?2)",
                    rusqlite::params![&hash[..], expires_at],
                )
                .unwrap()
        };
        assert_eq!(
            consume([7; 32], 100),
            0,
            "a nonce used before the migration"
        );
        assert_eq!(consume([8; 32], 100), 1);
        assert_eq!(consume([8; 32], 100), 0);
        let versions: i64 = connection
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(versions, MIGRATIONS.len() as i64);
    }
}
