//! Versioned schema migrations, safe when several nodes start at once.

use super::{PgError, PgTarget};

/// One migration: a version and the SQL that brings the schema to it.
pub type Migration = (i64, &'static str);

/// Applies the pending `migrations` of one track (`table` records the versions applied),
/// creating the URL's schema first if it names one.
///
/// Everything runs in one transaction under a transaction-level advisory lock keyed by the
/// database schema, so nodes starting together migrate one after the other and the second
/// finds nothing left to do; PostgreSQL DDL is transactional, so a failed migration leaves
/// no half-built schema behind.
pub async fn migrate(
    target: &PgTarget,
    client: &mut tokio_postgres::Client,
    table: &'static str,
    migrations: &[Migration],
) -> Result<(), PgError> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&lock_key(&format!("{}:migrations", target.scope()))],
    )
    .await?;
    if let Some(schema) = target.schema() {
        // Created only when missing: `CREATE SCHEMA IF NOT EXISTS` demands the CREATE
        // privilege on the database even when the schema exists, which a least-privilege
        // service account given a prepared schema does not have.
        let exists = tx
            .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
            .await?
            .is_some();
        if !exists {
            // The name was validated (lower-case letters, digits, `_`): safe to splice.
            tx.batch_execute(&format!("CREATE SCHEMA {schema}")).await?;
        }
    }
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    ))
    .await?;
    let current: i64 = tx
        .query_one(
            &format!("SELECT COALESCE(MAX(version), 0) FROM {table}"),
            &[],
        )
        .await?
        .get(0);
    for (version, sql) in migrations.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await.map_err(|e| {
            let error = PgError::from(e);
            PgError::Database(format!("{table} migration {version}: {error}"))
        })?;
        tx.execute(
            &format!("INSERT INTO {table} (version) VALUES ($1)"),
            &[version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A stable 64-bit advisory-lock key for a name (the first 8 bytes of its SHA-256; stable
/// across builds and nodes, unlike `std`'s hasher).
pub fn lock_key(name: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
