//! Selecting and opening the configured event store, secret store and read store.
//!
//! | `event_store`            | secrets                      | default `read_store`       | leases     |
//! |--------------------------|------------------------------|----------------------------|------------|
//! | `sqlite://path` (default)| in the event store file      | `sqlite://<data>/views.db` | local      |
//! | `postgres://…`           | in the event store database  | the same database          | PostgreSQL |
//! | `esdb://…`               | in the read store            | `sqlite://<data>/views.db` | PostgreSQL if the read store is, else local |
//!
//! With EventStoreDB and a SQLite read store the secrets go to `secrets.db` beside the
//! read store file. The audit view and the integration store (relay checkpoints, callback
//! outbox, dead letters) always live in the read store: in its SQLite file, or in its
//! PostgreSQL database where every node shares them. Opening a store runs its migrations.

use std::path::Path;
use std::sync::Arc;

use deadpool_postgres::Pool;

use crate::cause::{cause, Cause};
use crate::config::redact::redact;
use crate::config::Settings;
use crate::integration::store::postgres::PgIntegrationStore;
use crate::integration::store::sqlite::SqliteIntegrationStore;
use crate::integration::store::IntegrationStore;
use crate::readstore::postgres::PgReadStore;
use crate::readstore::postgres_audit::PgAuditStore;
use crate::readstore::sqlite::SqliteReadStore;
use crate::readstore::sqlite_audit::SqliteAuditStore;
use crate::readstore::{AuditStore, OfferViewStore};
use crate::store::esdb::EsdbEventStore;
use crate::store::layered::Layered;
use crate::store::lease::Leases;
use crate::store::pg::PgTarget;
use crate::store::postgres::{PgEventStore, PgSecretStore};
use crate::store::separate_secrets::SeparateSecrets;
use crate::store::sqlite::{Durability, SqliteStore};
use crate::store::{EventStore, SecretStore};

/// Every store the service uses.
#[derive(Clone)]
pub struct OpenedStores {
    /// The event log.
    pub events: Arc<dyn EventStore>,
    /// Data keys and nonces.
    pub secrets: Arc<dyn SecretStore>,
    /// The offer view.
    pub views: Arc<dyn OfferViewStore>,
    /// The audit view.
    pub audit: Arc<dyn AuditStore>,
    /// Relay checkpoints, the callback outbox and dead letters.
    pub integration: Arc<dyn IntegrationStore>,
    /// Leases for singleton tasks (shared when the stores are shared by several nodes).
    pub leases: Leases,
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("{store}: {detail}")]
pub struct OpenError {
    /// Which store.
    pub store: &'static str,
    /// What failed.
    pub detail: String,
    /// The underlying error, if any.
    #[source]
    pub source: Option<Cause>,
}

/// An [`OpenError`] of `store` caused by an error.
fn failed<E: std::error::Error + Send + Sync + 'static>(
    store: &'static str,
) -> impl Fn(E) -> OpenError {
    move |error| OpenError {
        store,
        detail: error.to_string(),
        source: Some(cause(error)),
    }
}

/// An [`OpenError`] of `store` without an underlying error.
fn refused(store: &'static str, detail: String) -> OpenError {
    OpenError {
        store,
        detail,
        source: None,
    }
}

/// The event store URL in force (default: `sqlite://<data dir>/events.db`).
pub fn event_store_url(settings: &Settings) -> String {
    settings
        .event_store
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", settings.data_dir.join("events.db").display()))
}

/// The read store URL in force: the configured one; else the event store's database when
/// that is PostgreSQL; else `sqlite://<data dir>/views.db`.
pub fn read_store_url(settings: &Settings) -> String {
    if let Some(url) = &settings.read_store {
        return url.clone();
    }
    let events = event_store_url(settings);
    if is_postgres(&events) {
        events
    } else {
        format!("sqlite://{}", settings.data_dir.join("views.db").display())
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A PostgreSQL database opened once and shared by the stores that live in it.
struct Postgres {
    url: String,
    target: PgTarget,
    pool: Pool,
}

impl Postgres {
    fn open(url: &str, store: &'static str) -> Result<Postgres, OpenError> {
        let target = PgTarget::parse(url).map_err(|e| failed(store)(e))?;
        let pool = target.pool().map_err(|e| failed(store)(e))?;
        Ok(Postgres {
            url: url.to_string(),
            target,
            pool,
        })
    }
}

/// Opens the configured stores, running their migrations.
pub async fn open(settings: &Settings) -> Result<OpenedStores, OpenError> {
    let events_url = event_store_url(settings);
    let read_url = read_store_url(settings);
    tracing::info!(
        event_store = %redact(&events_url),
        read_store = %redact(&read_url),
        "opening the stores"
    );

    // The read store first: with EventStoreDB it also keeps the secrets.
    let mut read_pg = None;
    let read = if let Some(path) = read_url.strip_prefix("sqlite://") {
        open_sqlite_read(Path::new(path))?
    } else if is_postgres(&read_url) {
        let pg = Postgres::open(&read_url, "read store")?;
        let read = open_postgres_read(&pg).await?;
        read_pg = Some(pg);
        read
    } else {
        return Err(refused(
            "read store",
            format!(
                "unsupported URL scheme in `{}` (use sqlite:// or postgres://)",
                redact(&read_url)
            ),
        ));
    };

    let (events, secrets, leases): (Arc<dyn EventStore>, Arc<dyn SecretStore>, Leases) =
        if events_url.starts_with("sqlite://") {
            let (path, durability) =
                SqliteStore::parse_url(&events_url).map_err(|e| refused("event store", e))?;
            let store =
                SqliteStore::open(&path, durability).map_err(|e| failed("event store")(e))?;
            (Arc::new(store.clone()), Arc::new(store), Leases::local())
        } else if is_postgres(&events_url) {
            // The same database as the read store shares its pool.
            let pg = match read_pg.take() {
                Some(pg) if pg.url == events_url => pg,
                _ => Postgres::open(&events_url, "event store")?,
            };
            let events = PgEventStore::open(&pg.target, pg.pool.clone())
                .await
                .map_err(|e| failed("event store")(e))?;
            let secrets = PgSecretStore::open(&pg.target, pg.pool.clone())
                .await
                .map_err(|e| failed("secret store")(e))?;
            (
                Arc::new(events),
                Arc::new(secrets),
                Leases::postgres(pg.target),
            )
        } else if EsdbEventStore::accepts(&events_url) {
            let events = EsdbEventStore::open(&events_url)
                .await
                .map_err(|e| failed("event store")(e))?;
            let (secrets, leases): (Arc<dyn SecretStore>, Leases) = match read_pg.take() {
                Some(pg) => (
                    Arc::new(
                        PgSecretStore::open(&pg.target, pg.pool.clone())
                            .await
                            .map_err(|e| failed("secret store")(e))?,
                    ),
                    Leases::postgres(pg.target),
                ),
                None => {
                    let read_file = Path::new(read_url.trim_start_matches("sqlite://"));
                    let path = read_file
                        .parent()
                        .unwrap_or_else(|| Path::new("."))
                        .join("secrets.db");
                    let store = SqliteStore::open(&path, Durability::Full)
                        .map_err(|e| failed("secret store")(e))?;
                    (Arc::new(store), Leases::local())
                }
            };
            // The log's transactions do not reach the secrets: effects in a fixed order.
            let events: Arc<dyn EventStore> = Arc::new(Layered::new(
                Arc::new(events),
                SeparateSecrets::new(secrets.clone()),
            ));
            (events, secrets, leases)
        } else {
            return Err(refused(
                "event store",
                format!(
                    "unsupported URL scheme in `{}` (use sqlite://, postgres:// or esdb://)",
                    redact(&events_url)
                ),
            ));
        };
    Ok(OpenedStores {
        events,
        secrets,
        views: read.views,
        audit: read.audit,
        integration: read.integration,
        leases,
    })
}

/// Fails unless the configured stores exist: for the commands that only read or repair
/// existing stores (`audit verify`, `replay`, `keys`), which must never create an empty
/// store where the operator pointed them at the wrong place (and then report on it). Only
/// `serve` and `migrate` create stores. An EventStoreDB server is not checked (it is
/// remote and holds no schema of ours); its local secret store is.
pub async fn require_existing(settings: &Settings) -> Result<(), OpenError> {
    let events_url = event_store_url(settings);
    let read_url = read_store_url(settings);
    let absent = |store: &'static str, url: &str| {
        refused(
            store,
            format!(
                "there is none at {}: this command works on existing stores and creates none. \
                 Check ISSUANCE_DATA_DIR, ISSUANCE_EVENT_STORE and ISSUANCE_READ_STORE (or the \
                 configuration file); `issuance serve` or `issuance migrate` create the stores",
                redact(url)
            ),
        )
    };
    if events_url.starts_with("sqlite://") {
        let (path, _) =
            SqliteStore::parse_url(&events_url).map_err(|e| refused("event store", e))?;
        if !path.is_file() {
            return Err(absent("event store", &events_url));
        }
    } else if is_postgres(&events_url) && !postgres_has(&events_url, "events").await? {
        return Err(absent("event store", &events_url));
    }
    if let Some(path) = read_url.strip_prefix("sqlite://") {
        let path = Path::new(path);
        if !path.is_file() {
            return Err(absent("read store", &read_url));
        }
        if EsdbEventStore::accepts(&events_url) {
            let secrets = path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join("secrets.db");
            if !secrets.is_file() {
                return Err(absent(
                    "secret store",
                    &format!("sqlite://{}", secrets.display()),
                ));
            }
        }
    } else if is_postgres(&read_url) && !postgres_has(&read_url, "offer_views").await? {
        return Err(absent("read store", &read_url));
    }
    Ok(())
}

/// Whether the database (and schema) of `url` holds `table`; creates nothing.
async fn postgres_has(url: &str, table: &str) -> Result<bool, OpenError> {
    let target = PgTarget::parse(url).map_err(|e| failed("store")(e))?;
    let (client, _ended) = target.connect().await.map_err(|e| failed("store")(e))?;
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() AND tablename = $1)",
            &[&table],
        )
        .await
        .map_err(|e| failed("store")(crate::store::pg::PgError::from(e)))?;
    row.try_get(0)
        .map_err(|e| failed("store")(crate::store::pg::PgError::from(e)))
}

/// What lives in the read store: the views and the integration side's state.
struct ReadSide {
    views: Arc<dyn OfferViewStore>,
    audit: Arc<dyn AuditStore>,
    integration: Arc<dyn IntegrationStore>,
}

/// The read side in one SQLite file. The audit view and the integration store open their
/// own connections and migration tracks, so each evolves independently of the offer view.
fn open_sqlite_read(path: &Path) -> Result<ReadSide, OpenError> {
    let views = SqliteReadStore::open(path).map_err(|e| failed("read store")(e))?;
    let audit = SqliteAuditStore::open(views.clone()).map_err(|e| failed("audit store")(e))?;
    let integration =
        SqliteIntegrationStore::open(path).map_err(|e| failed("integration store")(e))?;
    Ok(ReadSide {
        views: Arc::new(views),
        audit: Arc::new(audit),
        integration: Arc::new(integration),
    })
}

/// The read side in one PostgreSQL database (schema), on one pool, shared by every node.
async fn open_postgres_read(pg: &Postgres) -> Result<ReadSide, OpenError> {
    let views = PgReadStore::open(&pg.target, pg.pool.clone())
        .await
        .map_err(|e| failed("read store")(e))?;
    let audit = PgAuditStore::open(&views, &pg.target)
        .await
        .map_err(|e| failed("audit store")(e))?;
    let integration = PgIntegrationStore::open(&views, &pg.target)
        .await
        .map_err(|e| failed("integration store")(e))?;
    Ok(ReadSide {
        views: Arc::new(views),
        audit: Arc::new(audit),
        integration: Arc::new(integration),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_schemes_are_refused_without_showing_the_password() {
        for (event_store, read_store) in [
            (Some("mysql://app:s3cret@db/issuer"), None),
            (None, Some("redis://app:s3cret@cache/0")),
        ] {
            let data_dir = std::env::temp_dir().join(format!("stores-{}", uuid::Uuid::new_v4()));
            let settings = Settings {
                data_dir: data_dir.clone(),
                event_store: event_store.map(str::to_string),
                read_store: read_store.map(str::to_string),
                ..Settings::default()
            };
            let error = match open(&settings).await {
                Ok(_) => panic!("{event_store:?} {read_store:?} must be refused"),
                Err(error) => error.to_string(),
            };
            assert!(error.contains("unsupported URL scheme"), "{error}");
            assert!(!error.contains("s3cret"), "{error}");
            let _ = std::fs::remove_dir_all(data_dir);
        }
    }

    #[test]
    fn postgres_read_models_default_to_the_event_database() {
        let mut settings = Settings {
            event_store: Some("postgres://db/issuer".into()),
            ..Settings::default()
        };
        assert_eq!(read_store_url(&settings), "postgres://db/issuer");
        settings.event_store = Some("esdb://es:2113?tls=false".into());
        assert!(read_store_url(&settings).starts_with("sqlite://"));
        settings.read_store = Some("postgres://db/views".into());
        assert_eq!(read_store_url(&settings), "postgres://db/views");
    }
}
