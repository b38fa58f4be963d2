//! The audit view in the embedded read store (`views.db`), beside the offer view.
//!
//! One row per entry, one column per field (so an auditor can read the table directly),
//! with its own migration list so that it evolves independently of the offer view's.
//! Writes go through the read store's single writer connection.

use std::time::Duration;

use async_trait::async_trait;
use issuance_eventlog::LogPosition;
use issuance_projections::audit::ChainTip;
use issuance_projections::AuditEntry;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use uuid::Uuid;

use super::audit::{AuditHead, AuditPage, AuditQuery, AuditRecord, AuditStore, AUDIT_VIEW};
use super::audit_sql::{self, HeadRow, StoredEntry, INSERT_COLUMNS};
use super::sql::SQLITE;
use super::sqlite::{
    corrupt, migrate_with, sql_error, sqlite_value, write_checkpoint, SqliteReadStore,
};
use super::ReadStoreError;

/// Versioned migrations of the audit tables; add, never edit.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE audit_entries (
        position              INTEGER PRIMARY KEY,
        commit_position       INTEGER NOT NULL,
        prepare_position      INTEGER NOT NULL,
        event_id              TEXT    NOT NULL UNIQUE,
        offer_id              TEXT,
        event_type            TEXT    NOT NULL,
        event_version         INTEGER NOT NULL,
        occurred_at           INTEGER NOT NULL,
        actor                 TEXT    NOT NULL,
        holder_key_thumbprint TEXT,
        request_id            TEXT,
        summary               TEXT    NOT NULL,
        event_hash            TEXT    NOT NULL,
        prev_hash             TEXT    NOT NULL,
        hash                  TEXT    NOT NULL
    );
    CREATE INDEX audit_entries_offer ON audit_entries (offer_id, position);
    CREATE INDEX audit_entries_type ON audit_entries (event_type, position);
    CREATE INDEX audit_entries_actor ON audit_entries (actor, position);
    CREATE INDEX audit_entries_time ON audit_entries (occurred_at);",
    ),
    // Issuers at runtime (issue 19): the issuer each entry is filed under, for keys
    // restricted to issuers. Entries from before are offers' (the default issuer's: no
    // other issuer existed) or of no single issuer; the constant default rewrites no row,
    // only entries outside offers are updated. (Appends always name the column.)
    (
        2,
        "ALTER TABLE audit_entries ADD COLUMN issuer_id TEXT DEFAULT 'default';
    UPDATE audit_entries SET issuer_id = NULL WHERE offer_id IS NULL;
    CREATE INDEX audit_entries_issuer ON audit_entries (issuer_id, position);",
    ),
];

/// The SQLite audit store.
#[derive(Clone)]
pub struct SqliteAuditStore {
    store: SqliteReadStore,
}

impl SqliteAuditStore {
    /// The audit store inside `store`'s database, its tables migrated.
    pub fn open(store: SqliteReadStore) -> Result<SqliteAuditStore, ReadStoreError> {
        let mut connection = Connection::open(store.path()).map_err(sql_error)?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(sql_error)?;
        migrate_with(&mut connection, MIGRATIONS, "audit_schema_migrations")?;
        Ok(SqliteAuditStore { store })
    }
}

fn decode(row: &Row<'_>) -> rusqlite::Result<Result<AuditEntry, ReadStoreError>> {
    let position: i64 = row.get(0)?;
    let event_id: String = row.get(3)?;
    let offer_id: Option<String> = row.get(4)?;
    let bad = |what: &str| corrupt(format!("audit entry {position}: bad {what}"));
    let event_id = match Uuid::parse_str(&event_id) {
        Ok(id) => id,
        Err(_) => return Ok(Err(bad("event_id"))),
    };
    let offer_id = match offer_id.map(|id| Uuid::parse_str(&id)).transpose() {
        Ok(id) => id,
        Err(_) => return Ok(Err(bad("offer_id"))),
    };
    Ok(StoredEntry {
        position,
        commit: row.get(1)?,
        prepare: row.get(2)?,
        event_id,
        offer_id,
        event_type: row.get(5)?,
        version: row.get(6)?,
        occurred_at: row.get(7)?,
        actor: row.get(8)?,
        holder_key_thumbprint: row.get(9)?,
        request_id: row.get(10)?,
        summary: row.get(11)?,
        event_hash: row.get(12)?,
        prev_hash: row.get(13)?,
        hash: row.get(14)?,
    }
    .into_entry())
}

fn collect(
    statement: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<AuditEntry>, ReadStoreError> {
    let rows = statement.query_map(params, decode).map_err(sql_error)?;
    let mut entries = Vec::new();
    for row in rows {
        entries.push(row.map_err(sql_error)??);
    }
    Ok(entries)
}

fn tip(connection: &Connection) -> Result<ChainTip, ReadStoreError> {
    let row: Option<(i64, String)> = connection
        .prepare_cached(audit_sql::TIP)
        .and_then(|mut s| {
            s.query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(sql_error)?;
    Ok(match row {
        Some((position, hash)) => ChainTip {
            position: position as u64,
            hash,
        },
        None => ChainTip::genesis(),
    })
}

/// The last entry and the checkpoint in one statement, hence one snapshot.
fn head(connection: &Connection) -> Result<AuditHead, ReadStoreError> {
    connection
        .prepare_cached(&audit_sql::head())
        .and_then(|mut s| {
            s.query_row([], |row| {
                let tip = match (row.get(0)?, row.get(1)?) {
                    (Some(position), Some(hash)) => {
                        Some((position, hash, row.get(2)?, row.get(3)?))
                    }
                    _ => None,
                };
                let checkpoint = match (row.get(4)?, row.get(5)?) {
                    (Some(commit), Some(prepare)) => Some((commit, prepare)),
                    _ => None,
                };
                Ok(HeadRow { tip, checkpoint })
            })
        })
        .map(HeadRow::into_head)
        .map_err(sql_error)
}

fn insert(tx: &rusqlite::Transaction<'_>, records: &[AuditRecord]) -> Result<(), ReadStoreError> {
    let mut statement = tx
        .prepare_cached(&format!(
            "INSERT INTO audit_entries ({INSERT_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))
        .map_err(sql_error)?;
    for AuditRecord { entry, issuer_id } in records {
        statement
            .execute(params![
                entry.position as i64,
                entry.log_position.commit as i64,
                entry.log_position.prepare as i64,
                entry.event_id.to_string(),
                entry.offer_id.map(|id| id.to_string()),
                entry.event_type,
                entry.version,
                entry.occurred_at.timestamp_micros(),
                entry.actor,
                entry.holder_key_thumbprint,
                entry.request_id,
                entry.summary,
                entry.event_hash,
                entry.prev_hash,
                entry.hash,
                issuer_id,
            ])
            .map_err(sql_error)?;
    }
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteAuditStore {
    async fn audit_head(&self) -> Result<AuditHead, ReadStoreError> {
        self.store.read(head).await
    }

    async fn append_audit_entries(
        &self,
        records: Vec<AuditRecord>,
        checkpoint: LogPosition,
    ) -> Result<(), ReadStoreError> {
        self.store
            .write(move |tx| {
                // The single writer connection serialises appends: the tip read here is
                // the one the insert extends.
                audit_sql::check_continues(&records, &tip(tx)?)?;
                insert(tx, &records)?;
                write_checkpoint(tx, AUDIT_VIEW, checkpoint)
            })
            .await
    }

    async fn reset_audit(&self) -> Result<(), ReadStoreError> {
        self.store
            .write(|tx| {
                tx.execute("DELETE FROM audit_entries", [])
                    .map_err(sql_error)?;
                tx.execute(
                    "DELETE FROM checkpoints WHERE projection = ?1",
                    [AUDIT_VIEW],
                )
                .map_err(sql_error)?;
                Ok(())
            })
            .await
    }

    async fn audit_entries(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError> {
        self.store
            .read(move |conn| {
                let (sql, values) = audit_sql::list_entries(&SQLITE, &query);
                let values: Vec<Value> = values.into_iter().map(sqlite_value).collect();
                let mut statement = conn.prepare_cached(&sql).map_err(sql_error)?;
                let entries = collect(&mut statement, params_from_iter(values.iter()))?;
                Ok(audit_sql::page(entries, query.limit))
            })
            .await
    }

    async fn audit_entry(&self, position: u64) -> Result<Option<AuditEntry>, ReadStoreError> {
        self.store
            .read(move |conn| {
                let mut statement = conn
                    .prepare_cached(&audit_sql::entry_at(&SQLITE))
                    .map_err(sql_error)?;
                Ok(collect(&mut statement, [position as i64])?
                    .into_iter()
                    .next())
            })
            .await
    }

    async fn audit_counts_per_minute(
        &self,
        query: AuditQuery,
    ) -> Result<Vec<(i64, u64)>, ReadStoreError> {
        self.store
            .read(move |conn| {
                let (sql, values) = audit_sql::count_per_minute(&SQLITE, &query);
                let values: Vec<Value> = values.into_iter().map(sqlite_value).collect();
                let mut statement = conn.prepare_cached(&sql).map_err(sql_error)?;
                let rows = statement
                    .query_map(params_from_iter(values.iter()), |row| {
                        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
                    })
                    .map_err(sql_error)?;
                rows.map(|row| {
                    let (minute, count) = row.map_err(sql_error)?;
                    Ok((minute, u64::try_from(count).unwrap_or_default()))
                })
                .collect()
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries stored before the issuer column: offers' are the default issuer's (no other
    /// issuer existed), the others of no issuer; nothing else about them changes.
    #[test]
    fn older_entries_are_filed_under_the_default_issuer_or_none() {
        let mut connection = Connection::open_in_memory().unwrap();
        migrate_with(&mut connection, &MIGRATIONS[..1], "audit_schema_migrations").unwrap();
        for (position, offer_id) in [(1, Some("6a1f0e9e-0000-4000-8000-000000000001")), (2, None)] {
            connection
                .execute(
                    "INSERT INTO audit_entries (position, commit_position, prepare_position, \
                     event_id, offer_id, event_type, event_version, occurred_at, actor, summary, \
                     event_hash, prev_hash, hash) \
                     VALUES (?1, ?1, ?1, ?1, ?2, 'T', 1, 0, 'admin', 's', 'e', 'p', 'h')",
                    params![position, offer_id],
                )
                .unwrap();
        }
        migrate_with(&mut connection, MIGRATIONS, "audit_schema_migrations").unwrap();
        let filed: Vec<(i64, Option<String>)> = connection
            .prepare("SELECT position, issuer_id FROM audit_entries ORDER BY position")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(filed, vec![(1, Some("default".into())), (2, None)]);
    }
}
