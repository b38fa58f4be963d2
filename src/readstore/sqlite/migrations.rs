//! Schema migrations and projection checkpoints of the SQLite read store.

use super::*;

/// Applies pending migrations, recording them in `schema_migrations`.
pub fn migrate_with(
    connection: &mut Connection,
    migrations: &[(i64, &str)],
    table: &str,
) -> Result<(), ReadStoreError> {
    connection
        .execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))"
        ))
        .map_err(sql_error)?;
    let current: i64 = connection
        .query_row(
            &format!("SELECT COALESCE(MAX(version), 0) FROM {table}"),
            [],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    for (version, sql) in migrations.iter().filter(|(v, _)| *v > current) {
        let tx = connection.transaction().map_err(sql_error)?;
        tx.execute_batch(sql).map_err(sql_error)?;
        tx.execute(
            &format!("INSERT INTO {table} (version) VALUES (?1)"),
            [version],
        )
        .map_err(sql_error)?;
        tx.commit().map_err(sql_error)?;
    }
    Ok(())
}

pub(super) fn migrate(connection: &mut Connection) -> Result<(), ReadStoreError> {
    migrate_with(connection, MIGRATIONS, "schema_migrations")
}

/// Reads a checkpoint inside any connection or transaction.
pub fn read_checkpoint(
    connection: &Connection,
    projection: &str,
) -> Result<LogPosition, ReadStoreError> {
    let row: Option<(i64, i64)> = connection
        .prepare_cached(&sql::select_checkpoint(&sql::SQLITE))
        .and_then(|mut s| {
            s.query_row([projection], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(sql_error)?;
    Ok(row.map_or(LogPosition::START, |(c, p)| LogPosition {
        commit: c as u64,
        prepare: p as u64,
    }))
}

/// Writes a checkpoint inside a transaction (it never moves backwards; see
/// [`sql::upsert_checkpoint`]).
pub fn write_checkpoint(
    tx: &rusqlite::Transaction<'_>,
    projection: &str,
    position: LogPosition,
) -> Result<(), ReadStoreError> {
    tx.prepare_cached(&sql::upsert_checkpoint(&sql::SQLITE))
        .and_then(|mut s| {
            s.execute(params![
                projection,
                position.commit as i64,
                position.prepare as i64
            ])
        })
        .map_err(sql_error)?;
    Ok(())
}
