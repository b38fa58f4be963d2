//! The PostgreSQL read store: offer views and projection checkpoints in the same database
//! as the PostgreSQL event store (or beside EventStoreDB), shared by every service node.
//!
//! Columns mirror the SQLite read store (see [`super::sql`]); rows and checkpoint are
//! written in one transaction, so a projector resumes exactly where its last committed
//! batch ended.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use issuance_domain::offer::OfferStatus;
use issuance_eventlog::LogPosition;
use issuance_projections::OfferView;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::sql::{self, SqlValue, POSTGRES};
use super::{OfferPage, OfferQuery, OfferViewStore, ReadStoreError, OFFER_VIEW};
use crate::store::pg::{self, Migration, PgError, PgTarget};

/// Migration track of the read store.
const TRACK: &str = "read_store_migrations";

/// Read store migrations; add, never edit one that shipped.
const MIGRATIONS: &[Migration] = &[
    (
        1,
        "CREATE TABLE checkpoints (
        projection       text   PRIMARY KEY,
        commit_position  bigint NOT NULL,
        prepare_position bigint NOT NULL
    );
    CREATE TABLE offer_views (
        offer_id          uuid    PRIMARY KEY,
        status            text    NOT NULL,
        subject           text,
        configuration_ids text    NOT NULL,
        created_at        bigint  NOT NULL,
        deadline          bigint  NOT NULL,
        terminal_at       bigint,
        claims_erased     boolean NOT NULL,
        view              jsonb   NOT NULL
    );
    CREATE INDEX offer_views_created ON offer_views (created_at DESC, offer_id DESC);
    CREATE INDEX offer_views_status ON offer_views (status, created_at DESC, offer_id DESC);
    CREATE INDEX offer_views_subject ON offer_views (subject, created_at DESC, offer_id DESC);
    CREATE INDEX offer_views_live ON offer_views (deadline) WHERE status IN ('CREATED', 'REDEEMED', 'ISSUING');
    CREATE INDEX offer_views_erasable ON offer_views (terminal_at) WHERE claims_erased = FALSE AND terminal_at IS NOT NULL;",
    ),
    // Personal data sealed (issue 16): the view is rebuilt from the log with sealed values
    // and the subject's keyed pseudonym.
    (
        2,
        "DELETE FROM offer_views;
    DELETE FROM checkpoints WHERE projection = 'offer_view';
    DROP INDEX offer_views_subject;
    ALTER TABLE offer_views RENAME COLUMN subject TO subject_pseudonym;
    CREATE INDEX offer_views_subject_pseudonym ON offer_views (subject_pseudonym, created_at DESC, offer_id DESC);",
    ),
    // Issuers at runtime (issue 19): each offer's issuer, for keys restricted to issuers
    // and `GET /offers?issuer_id=`. Rows from before read `default` (every offer made
    // before issuers existed is the default issuer's); a constant default rewrites no row.
    (
        3,
        "ALTER TABLE offer_views ADD COLUMN issuer_id text NOT NULL DEFAULT 'default';
    CREATE INDEX offer_views_issuer ON offer_views (issuer_id, created_at DESC, offer_id DESC);",
    ),
];

/// Upserts a batch of offer views from parallel arrays. A row is only replaced by a view
/// of a higher version (see [`OfferViewStore::save_offer_views`]).
const UPSERT_VIEWS: &str = "INSERT INTO offer_views \
     (offer_id, status, subject_pseudonym, configuration_ids, created_at, deadline, terminal_at, claims_erased, view, \
      issuer_id) \
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], \
                          $7::bigint[], $8::boolean[], $9::jsonb[], $10::text[]) \
     ON CONFLICT (offer_id) DO UPDATE SET status = excluded.status, \
     subject_pseudonym = excluded.subject_pseudonym, deadline = excluded.deadline, \
     terminal_at = excluded.terminal_at, claims_erased = excluded.claims_erased, view = excluded.view \
     WHERE (offer_views.view->>'version')::bigint < (excluded.view->>'version')::bigint";

/// The PostgreSQL read store.
#[derive(Clone)]
pub struct PgReadStore {
    pool: Pool,
}

pub(super) fn pg_error(error: PgError) -> ReadStoreError {
    ReadStoreError::Backend {
        backend: "postgres",
        source: crate::cause::cause(error),
    }
}

impl From<tokio_postgres::Error> for ReadStoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        pg_error(error.into())
    }
}

impl From<deadpool_postgres::PoolError> for ReadStoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        pg_error(error.into())
    }
}

/// A generated query's parameters as PostgreSQL values (see [`borrowed`]).
pub(super) fn pg_params(values: Vec<SqlValue>) -> Vec<Box<dyn ToSql + Sync + Send>> {
    values
        .into_iter()
        .map(|value| -> Box<dyn ToSql + Sync + Send> {
            match value {
                SqlValue::Text(text) => Box::new(text),
                SqlValue::Int(int) => Box::new(int),
                SqlValue::Uuid(id) => Box::new(id),
            }
        })
        .collect()
}

/// The parameter slice a query takes.
pub(super) fn borrowed(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

pub(super) fn corrupt(error: impl std::fmt::Display) -> ReadStoreError {
    ReadStoreError::Corrupt(error.to_string())
}

fn parse_view(text: &str) -> Result<OfferView, ReadStoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

pub(super) fn to_i64(value: u64) -> Result<i64, ReadStoreError> {
    i64::try_from(value).map_err(|_| corrupt(format!("position {value} is out of range")))
}

impl PgReadStore {
    /// Migrates the read-store tables on `pool` (of `target`).
    pub async fn open(target: &PgTarget, pool: Pool) -> Result<PgReadStore, ReadStoreError> {
        let mut client = pool.get().await?;
        pg::migrate(target, &mut client, TRACK, MIGRATIONS)
            .await
            .map_err(pg_error)?;
        Ok(PgReadStore { pool })
    }

    /// The connection pool (the audit and integration stores share it).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Applies another migration track (a store living beside the read models, e.g. the
    /// audit view) in this database; returns the shared pool.
    pub async fn migrate_beside(
        &self,
        target: &PgTarget,
        track: &'static str,
        migrations: &[Migration],
    ) -> Result<Pool, ReadStoreError> {
        let mut client = self.pool.get().await?;
        pg::migrate(target, &mut client, track, migrations)
            .await
            .map_err(pg_error)?;
        Ok(self.pool.clone())
    }

    async fn views_where(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<OfferView>, ReadStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        let rows = client.query(&statement, params).await?;
        rows.iter().map(|row| parse_view(row.try_get(0)?)).collect()
    }

    async fn ids_due(
        &self,
        sql: &str,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(&statement, &[&at.timestamp_micros(), &limit])
            .await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }
}

#[async_trait]
impl OfferViewStore for PgReadStore {
    async fn checkpoint(&self, projection: &str) -> Result<LogPosition, ReadStoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(&sql::select_checkpoint(&POSTGRES))
            .await?;
        Ok(match client.query_opt(&statement, &[&projection]).await? {
            Some(row) => LogPosition {
                commit: row.try_get::<_, i64>(0)? as u64,
                prepare: row.try_get::<_, i64>(1)? as u64,
            },
            None => LogPosition::START,
        })
    }

    async fn reset_offer_views(&self) -> Result<(), ReadStoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("DELETE FROM offer_views", &[]).await?;
        tx.execute(
            "DELETE FROM checkpoints WHERE projection = $1",
            &[&OFFER_VIEW],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn offer_views(&self, ids: &[Uuid]) -> Result<Vec<OfferView>, ReadStoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.views_where(
            "SELECT view::text FROM offer_views WHERE offer_id = ANY($1)",
            &[&ids],
        )
        .await
    }

    async fn save_offer_views(
        &self,
        views: Vec<OfferView>,
        checkpoint: LogPosition,
    ) -> Result<(), ReadStoreError> {
        let mut ids = Vec::with_capacity(views.len());
        let mut statuses = Vec::with_capacity(views.len());
        let mut subjects = Vec::with_capacity(views.len());
        let mut configuration_ids = Vec::with_capacity(views.len());
        let mut created = Vec::with_capacity(views.len());
        let mut deadlines = Vec::with_capacity(views.len());
        let mut terminal = Vec::with_capacity(views.len());
        let mut erased = Vec::with_capacity(views.len());
        let mut documents = Vec::with_capacity(views.len());
        let mut issuers = Vec::with_capacity(views.len());
        for view in &views {
            ids.push(view.offer_id);
            statuses.push(view.status.as_str());
            subjects.push(view.subject_pseudonym.map(|p| p.to_b64()));
            configuration_ids.push(sql::configuration_ids(view));
            created.push(view.created_at.timestamp_micros());
            deadlines.push(view.deadline.timestamp_micros());
            terminal.push(view.terminal_at.map(|t| t.timestamp_micros()));
            erased.push(view.claims_erased);
            documents.push(serde_json::to_value(view).map_err(corrupt)?);
            issuers.push(view.issuer_id.as_str());
        }
        let commit = to_i64(checkpoint.commit)?;
        let prepare = to_i64(checkpoint.prepare)?;
        let mut client = self.pool.get().await?;
        let upsert_views = client.prepare_cached(UPSERT_VIEWS).await?;
        let upsert_checkpoint = client
            .prepare_cached(&sql::upsert_checkpoint(&POSTGRES))
            .await?;
        let tx = client.transaction().await?;
        if !views.is_empty() {
            tx.execute(
                &upsert_views,
                &[
                    &ids,
                    &statuses,
                    &subjects,
                    &configuration_ids,
                    &created,
                    &deadlines,
                    &terminal,
                    &erased,
                    &documents,
                    &issuers,
                ],
            )
            .await?;
        }
        tx.execute(&upsert_checkpoint, &[&OFFER_VIEW, &commit, &prepare])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn offer_view(&self, id: Uuid) -> Result<Option<OfferView>, ReadStoreError> {
        Ok(self
            .views_where(
                "SELECT view::text FROM offer_views WHERE offer_id = $1",
                &[&id],
            )
            .await?
            .pop())
    }

    async fn list_offer_views(&self, query: OfferQuery) -> Result<OfferPage, ReadStoreError> {
        let (text, values) = sql::list_offers(&POSTGRES, "view::text", &query);
        let params = pg_params(values);
        let items = self.views_where(&text, &borrowed(&params)).await?;
        Ok(sql::page(items, query.limit))
    }

    async fn count_offers_by_status(
        &self,
        issuers: Option<Vec<String>>,
    ) -> Result<Vec<(OfferStatus, u64)>, ReadStoreError> {
        let (text, values) = sql::count_by_status(&POSTGRES, issuers.as_deref());
        let params = pg_params(values);
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(&text).await?;
        let rows = client.query(&statement, &borrowed(&params)).await?;
        rows.iter()
            .map(|row| super::status_count(row.try_get(0)?, row.try_get(1)?))
            .collect()
    }

    async fn offers_due_for_expiry(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError> {
        self.ids_due(&sql::due_for_expiry(&POSTGRES), now, limit)
            .await
    }

    async fn offers_due_for_erasure(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError> {
        self.ids_due(&sql::due_for_erasure(&POSTGRES), cutoff, limit)
            .await
    }

    async fn ping(&self) -> Result<(), ReadStoreError> {
        let client = self.pool.get().await?;
        client.execute("SELECT 1", &[]).await?;
        Ok(())
    }
}
