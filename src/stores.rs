//! Selecting and opening the configured event store and read store.

use std::path::Path;
use std::sync::Arc;

use crate::config::Settings;
use crate::readstore::sqlite::SqliteReadStore;
use crate::readstore::sqlite_audit::SqliteAuditStore;
use crate::readstore::{AuditStore, OfferViewStore};
use crate::store::sqlite::SqliteStore;
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
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("{store}: {detail}")]
pub struct OpenError {
    /// Which store.
    pub store: &'static str,
    /// What failed.
    pub detail: String,
}

/// The event store URL in force (default: `sqlite://<data dir>/events.db`).
pub fn event_store_url(settings: &Settings) -> String {
    settings
        .event_store
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", settings.data_dir.join("events.db").display()))
}

/// The read store URL in force (default: `sqlite://<data dir>/views.db`).
pub fn read_store_url(settings: &Settings) -> String {
    settings
        .read_store
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", settings.data_dir.join("views.db").display()))
}

/// Opens the configured stores, running their migrations.
pub async fn open(settings: &Settings) -> Result<OpenedStores, OpenError> {
    let events_url = event_store_url(settings);
    let (events, secrets): (Arc<dyn EventStore>, Arc<dyn SecretStore>) =
        if events_url.starts_with("sqlite://") {
            let (path, durability) =
                SqliteStore::parse_url(&events_url).map_err(|detail| OpenError {
                    store: "event store",
                    detail,
                })?;
            let store = SqliteStore::open(&path, durability).map_err(|e| OpenError {
                store: "event store",
                detail: e.to_string(),
            })?;
            (Arc::new(store.clone()), Arc::new(store))
        } else {
            return Err(OpenError {
                store: "event store",
                detail: format!("unsupported URL scheme in `{}`", redact(&events_url)),
            });
        };
    let read_url = read_store_url(settings);
    let views: Arc<dyn OfferViewStore> = if let Some(path) = read_url.strip_prefix("sqlite://") {
        Arc::new(
            SqliteReadStore::open(Path::new(path)).map_err(|e| OpenError {
                store: "read store",
                detail: e.to_string(),
            })?,
        )
    } else {
        return Err(OpenError {
            store: "read store",
            detail: format!("unsupported URL scheme in `{}`", redact(&read_url)),
        });
    };
    let audit = open_audit(&read_url)?;
    Ok(OpenedStores {
        events,
        secrets,
        views,
        audit,
    })
}

/// Opens the audit view in the read store at `read_url` (its own connection and
/// migrations, so it evolves independently of the offer view).
fn open_audit(read_url: &str) -> Result<Arc<dyn AuditStore>, OpenError> {
    let error = |detail: String| OpenError {
        store: "audit store",
        detail,
    };
    match read_url.strip_prefix("sqlite://") {
        Some(path) => {
            let store = SqliteReadStore::open(Path::new(path)).map_err(|e| error(e.to_string()))?;
            let audit = SqliteAuditStore::open(store).map_err(|e| error(e.to_string()))?;
            Ok(Arc::new(audit))
        }
        None => Err(error(format!(
            "unsupported URL scheme in `{}`",
            redact(read_url)
        ))),
    }
}

/// A URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
