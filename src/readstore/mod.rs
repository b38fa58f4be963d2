//! Read models' storage: the offer view and the audit view with the projectors'
//! checkpoints. A projector's rows and its checkpoint are always written in one
//! transaction, so a crash never leaves them disagreeing.

pub mod audit;
pub mod audit_sql;
#[cfg(test)]
mod cursor_properties;
pub mod postgres;
pub mod postgres_audit;
pub mod sql;
pub mod sqlite;
pub mod sqlite_audit;
mod sqlite_migrations;

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use issuance_domain::offer::OfferStatus;
use issuance_domain::Digest;
use issuance_eventlog::LogPosition;
use issuance_projections::OfferView;
use uuid::Uuid;

pub use audit::{
    AuditCursor, AuditHead, AuditPage, AuditQuery, AuditRecord, AuditStore, AUDIT_VIEW,
};

/// Read store failures.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadStoreError {
    /// The store cannot be reached or failed.
    #[error("read store unavailable: {0}")]
    Unavailable(String),
    /// The backend (database, pool) failed.
    #[error("read store unavailable ({backend}): {source}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// Its error.
        #[source]
        source: crate::cause::Cause,
    },
    /// Stored data cannot be read back.
    #[error("read store data corrupt: {0}")]
    Corrupt(String),
    /// Another writer moved the read model first (e.g. a second projector); retrying from
    /// the stored checkpoint resolves it.
    #[error("read store conflict: {0}")]
    Conflict(String),
}

/// Name of the offer view projection (its checkpoint key).
pub const OFFER_VIEW: &str = "offer_view";

/// Filters and page of `GET /offers`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferQuery {
    /// Only offers of these issuers (`default` for the default issuer); `None`: every
    /// issuer, an empty list: none.
    pub issuers: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<OfferStatus>,
    /// Only offers of this configuration.
    pub credential_configuration_id: Option<String>,
    /// Only offers for the subject with this keyed pseudonym
    /// ([`crate::crypto::codes::subject_pseudonym`]).
    pub subject_pseudonym: Option<Digest>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: usize,
    /// Continue after this offer.
    pub cursor: Option<OfferCursor>,
}

/// Position in the newest-first order of offers: `(created_at, offer_id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferCursor {
    /// Creation time of the last offer of the previous page, microseconds.
    pub created_at_micros: i64,
    /// Its id.
    pub offer_id: Uuid,
}

impl OfferCursor {
    /// The opaque text form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.created_at_micros, self.offer_id))
    }

    /// Parses the opaque text form.
    pub fn decode(text: &str) -> Option<OfferCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once('|')?;
        Some(OfferCursor {
            created_at_micros: micros.parse().ok()?,
            offer_id: Uuid::parse_str(id).ok()?,
        })
    }

    /// The cursor after `view`.
    pub fn after(view: &OfferView) -> OfferCursor {
        OfferCursor {
            created_at_micros: view.created_at.timestamp_micros(),
            offer_id: view.offer_id,
        }
    }
}

/// One page of offers.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferPage {
    /// The offers, newest first.
    pub items: Vec<OfferView>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<OfferCursor>,
}

/// Storage of the offer view.
#[async_trait]
pub trait OfferViewStore: Send + Sync + 'static {
    /// The projection's checkpoint (START if it never ran).
    async fn checkpoint(&self, projection: &str) -> Result<LogPosition, ReadStoreError>;

    /// Deletes the offer view rows and its checkpoint (before a replay).
    async fn reset_offer_views(&self) -> Result<(), ReadStoreError>;

    /// The current rows of these offers.
    async fn offer_views(&self, ids: &[Uuid]) -> Result<Vec<OfferView>, ReadStoreError>;

    /// Upserts rows and moves the checkpoint, atomically. Neither goes backwards: a row is
    /// replaced only by a view of a higher `version`, the checkpoint only by a later
    /// position — so a projector that overlaps its successor for a moment (a lease holder
    /// that has not yet noticed its loss) cannot undo the successor's work.
    async fn save_offer_views(
        &self,
        views: Vec<OfferView>,
        checkpoint: LogPosition,
    ) -> Result<(), ReadStoreError>;

    /// One offer.
    async fn offer_view(&self, id: Uuid) -> Result<Option<OfferView>, ReadStoreError>;

    /// A filtered page, newest first.
    async fn list_offer_views(&self, query: OfferQuery) -> Result<OfferPage, ReadStoreError>;

    /// How many offers of `issuers` (`None`: every issuer) are in each status; statuses
    /// without an offer are left out.
    async fn count_offers_by_status(
        &self,
        issuers: Option<Vec<String>>,
    ) -> Result<Vec<(OfferStatus, u64)>, ReadStoreError>;

    /// Live offers whose deadline is at or before `now`.
    async fn offers_due_for_expiry(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError>;

    /// Terminal offers with claims, terminal since at or before `cutoff`.
    async fn offers_due_for_erasure(
        &self,
        cutoff: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Uuid>, ReadStoreError>;

    /// Whether the store answers (readiness).
    async fn ping(&self) -> Result<(), ReadStoreError>;
}

/// A `(status, count)` row of [`OfferViewStore::count_offers_by_status`].
fn status_count(status: &str, count: i64) -> Result<(OfferStatus, u64), ReadStoreError> {
    let status = OfferStatus::parse(status)
        .ok_or_else(|| ReadStoreError::Corrupt(format!("unknown offer status `{status}`")))?;
    Ok((status, u64::try_from(count).unwrap_or_default()))
}
