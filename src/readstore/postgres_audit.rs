//! The audit view in the PostgreSQL read store, beside the offer view and shared by every
//! service node.
//!
//! One row per entry, one column per field (an auditor can read the table directly), with
//! its own migration track so that it evolves independently of the offer view's. The SQL
//! that reads it is shared with the SQLite store ([`super::audit_sql`]).
//!
//! Appends are serialised by a transaction-level advisory lock: the tip an append checks is
//! the tip it extends, even when two projectors overlap for a moment (a lease holder that
//! has not yet noticed its loss). Without the lock the primary key on `position` would
//! still refuse the second writer; the lock turns that race into the same clean
//! [`ReadStoreError::Conflict`] the continuation check gives.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use deadpool_postgres::Pool;
use issuance_eventlog::LogPosition;
use issuance_projections::audit::ChainTip;
use issuance_projections::AuditEntry;
use tokio_postgres::Row;

use super::audit::{AuditHead, AuditPage, AuditQuery, AuditRecord, AuditStore, AUDIT_VIEW};
use super::audit_sql::{self, HeadRow, StoredEntry};
use super::postgres::{borrowed, pg_params, to_i64, PgReadStore};
use super::sql::{self, POSTGRES};
use super::ReadStoreError;
use crate::store::pg::{self, lock_key, Migration, PgTarget};

/// Migration track of the audit view.
const TRACK: &str = "audit_store_migrations";

/// Audit view migrations; add, never edit one that shipped. Same columns as SQLite's,
/// with ids as `uuid`.
const MIGRATIONS: &[Migration] = &[
    (
        1,
        "CREATE TABLE audit_entries (
        position              bigint PRIMARY KEY,
        commit_position       bigint NOT NULL,
        prepare_position      bigint NOT NULL,
        event_id              uuid   NOT NULL UNIQUE,
        offer_id              uuid,
        event_type            text   NOT NULL,
        event_version         bigint NOT NULL,
        occurred_at           bigint NOT NULL,
        actor                 text   NOT NULL,
        holder_key_thumbprint text,
        request_id            text,
        summary               text   NOT NULL,
        event_hash            text   NOT NULL,
        prev_hash             text   NOT NULL,
        hash                  text   NOT NULL
    );
    CREATE INDEX audit_entries_offer ON audit_entries (offer_id, position);
    CREATE INDEX audit_entries_type ON audit_entries (event_type, position);
    CREATE INDEX audit_entries_actor ON audit_entries (actor, position);
    CREATE INDEX audit_entries_time ON audit_entries (occurred_at);",
    ),
    // Issuers at runtime (issue 19): the issuer each entry is filed under, for keys
    // restricted to issuers. Entries from before are offers' (the default issuer's: no
    // other issuer existed) or of no single issuer; the constant default rewrites no row,
    // only entries outside offers are updated.
    (
        2,
        "ALTER TABLE audit_entries ADD COLUMN issuer_id text DEFAULT 'default';
    UPDATE audit_entries SET issuer_id = NULL WHERE offer_id IS NULL;
    ALTER TABLE audit_entries ALTER COLUMN issuer_id DROP DEFAULT;
    CREATE INDEX audit_entries_issuer ON audit_entries (issuer_id, position);",
    ),
];

/// Inserts a batch of entries from parallel arrays (one round trip per batch).
const INSERT: &str = "INSERT INTO audit_entries (position, commit_position, prepare_position, \
     event_id, offer_id, event_type, event_version, occurred_at, actor, holder_key_thumbprint, \
     request_id, summary, event_hash, prev_hash, hash, issuer_id) \
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::uuid[], $5::uuid[], \
                          $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::text[], \
                          $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], \
                          $16::text[])";

/// The PostgreSQL audit store.
#[derive(Clone)]
pub struct PgAuditStore {
    pool: Pool,
    /// Advisory lock key serialising appends within this database schema.
    append_lock: i64,
}

impl PgAuditStore {
    /// The audit store in `store`'s database (of `target`), its tables migrated. The read
    /// store must be open first: the audit checkpoint lives in its `checkpoints` table.
    pub async fn open(
        store: &PgReadStore,
        target: &PgTarget,
    ) -> Result<PgAuditStore, ReadStoreError> {
        Ok(PgAuditStore {
            pool: store.migrate_beside(target, TRACK, MIGRATIONS).await?,
            append_lock: lock_key(&format!("{}:append:{AUDIT_VIEW}", target.scope())),
        })
    }
}

fn decode(row: &Row) -> Result<AuditEntry, ReadStoreError> {
    StoredEntry {
        position: row.try_get(0)?,
        commit: row.try_get(1)?,
        prepare: row.try_get(2)?,
        event_id: row.try_get(3)?,
        offer_id: row.try_get(4)?,
        event_type: row.try_get(5)?,
        version: row.try_get(6)?,
        occurred_at: row.try_get(7)?,
        actor: row.try_get(8)?,
        holder_key_thumbprint: row.try_get(9)?,
        request_id: row.try_get(10)?,
        summary: row.try_get(11)?,
        event_hash: row.try_get(12)?,
        prev_hash: row.try_get(13)?,
        hash: row.try_get(14)?,
    }
    .into_entry()
}

async fn tip(client: &impl GenericClient) -> Result<ChainTip, ReadStoreError> {
    Ok(match client.query_opt(audit_sql::TIP, &[]).await? {
        Some(row) => ChainTip {
            position: row.try_get::<_, i64>(0)? as u64,
            hash: row.try_get(1)?,
        },
        None => ChainTip::genesis(),
    })
}

/// Writes `records` in one statement; a duplicate position or event id (another writer
/// got there first) is a conflict.
async fn insert(
    client: &impl GenericClient,
    records: &[AuditRecord],
) -> Result<(), ReadStoreError> {
    let entries: Vec<&AuditEntry> = records.iter().map(|record| &record.entry).collect();
    let issuers: Vec<Option<&str>> = records.iter().map(|r| r.issuer_id.as_deref()).collect();
    let mut positions = Vec::with_capacity(entries.len());
    let mut commits = Vec::with_capacity(entries.len());
    let mut prepares = Vec::with_capacity(entries.len());
    let mut event_ids = Vec::with_capacity(entries.len());
    let mut offer_ids = Vec::with_capacity(entries.len());
    let mut versions = Vec::with_capacity(entries.len());
    let mut occurred = Vec::with_capacity(entries.len());
    for entry in &entries {
        positions.push(to_i64(entry.position)?);
        commits.push(to_i64(entry.log_position.commit)?);
        prepares.push(to_i64(entry.log_position.prepare)?);
        event_ids.push(entry.event_id);
        offer_ids.push(entry.offer_id);
        versions.push(i64::from(entry.version));
        occurred.push(entry.occurred_at.timestamp_micros());
    }
    let text = |field: fn(&AuditEntry) -> &str| -> Vec<&str> {
        entries.iter().map(|e| field(e)).collect()
    };
    let optional = |field: fn(&AuditEntry) -> Option<&str>| -> Vec<Option<&str>> {
        entries.iter().map(|e| field(e)).collect()
    };
    let statement = client.prepare_cached(INSERT).await?;
    let result = client
        .execute(
            &statement,
            &[
                &positions,
                &commits,
                &prepares,
                &event_ids,
                &offer_ids,
                &text(|e| &e.event_type),
                &versions,
                &occurred,
                &text(|e| &e.actor),
                &optional(|e| e.holder_key_thumbprint.as_deref()),
                &optional(|e| e.request_id.as_deref()),
                &text(|e| &e.summary),
                &text(|e| &e.event_hash),
                &text(|e| &e.prev_hash),
                &text(|e| &e.hash),
                &issuers,
            ],
        )
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) if pg::is_unique_violation(&error) => Err(ReadStoreError::Conflict(format!(
            "audit entries from {} were written by another projector",
            positions.first().copied().unwrap_or_default()
        ))),
        Err(error) => Err(error.into()),
    }
}

#[async_trait]
impl AuditStore for PgAuditStore {
    async fn audit_head(&self) -> Result<AuditHead, ReadStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(&audit_sql::head()).await?;
        let row = client.query_one(&statement, &[]).await?;
        let tip = match (row.try_get(0)?, row.try_get(1)?) {
            (Some(position), Some(hash)) => {
                Some((position, hash, row.try_get(2)?, row.try_get(3)?))
            }
            _ => None,
        };
        let checkpoint = match (row.try_get(4)?, row.try_get(5)?) {
            (Some(commit), Some(prepare)) => Some((commit, prepare)),
            _ => None,
        };
        Ok(HeadRow { tip, checkpoint }.into_head())
    }

    async fn append_audit_entries(
        &self,
        records: Vec<AuditRecord>,
        checkpoint: LogPosition,
    ) -> Result<(), ReadStoreError> {
        let commit = to_i64(checkpoint.commit)?;
        let prepare = to_i64(checkpoint.prepare)?;
        let mut client = self.pool.get().await?;
        let upsert_checkpoint = client
            .prepare_cached(&sql::upsert_checkpoint(&POSTGRES))
            .await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&self.append_lock])
            .await?;
        audit_sql::check_continues(&records, &tip(&tx).await?)?;
        if !records.is_empty() {
            insert(&tx, &records).await?;
        }
        tx.execute(&upsert_checkpoint, &[&AUDIT_VIEW, &commit, &prepare])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reset_audit(&self) -> Result<(), ReadStoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&self.append_lock])
            .await?;
        tx.execute("DELETE FROM audit_entries", &[]).await?;
        tx.execute(
            "DELETE FROM checkpoints WHERE projection = $1",
            &[&AUDIT_VIEW],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_entries(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError> {
        let (text, values) = audit_sql::list_entries(&POSTGRES, &query);
        let params = pg_params(values);
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(&text).await?;
        let rows = client.query(&statement, &borrowed(&params)).await?;
        let entries = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        Ok(audit_sql::page(entries, query.limit))
    }

    async fn audit_entry(&self, position: u64) -> Result<Option<AuditEntry>, ReadStoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(&audit_sql::entry_at(&POSTGRES))
            .await?;
        client
            .query_opt(&statement, &[&to_i64(position)?])
            .await?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn audit_counts_per_minute(
        &self,
        query: AuditQuery,
    ) -> Result<Vec<(i64, u64)>, ReadStoreError> {
        let (text, values) = audit_sql::count_per_minute(&POSTGRES, &query);
        let params = pg_params(values);
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(&text).await?;
        let rows = client.query(&statement, &borrowed(&params)).await?;
        rows.iter()
            .map(|row| {
                let count: i64 = row.try_get(1)?;
                Ok((row.try_get(0)?, u64::try_from(count).unwrap_or_default()))
            })
            .collect()
    }
}
