//! Durable state of the integration side: the relays' checkpoints, the in-process
//! callback outbox, and the dead letters (of both transports).
//!
//! The embedded relay writes outbox rows and its checkpoint in one transaction, so a crash
//! can neither lose a callback nor enqueue one twice. The store lives beside the read
//! models: in the read store's SQLite file ([`sqlite`]), or in its PostgreSQL database
//! ([`postgres`]), where every node shares it so that a relay lease can move between nodes
//! without re-sending or losing anything. Both share their SQL ([`sql`]).

pub mod postgres;
pub mod sql;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use issuance_eventlog::LogPosition;
use serde::Serialize;
use uuid::Uuid;

use super::envelope::EventEnvelope;

/// Integration store failures.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntegrationStoreError {
    /// The store cannot be reached or failed.
    #[error("integration store unavailable: {0}")]
    Unavailable(String),
    /// The backend (database, pool) failed.
    #[error("integration store unavailable ({backend}): {source}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// Its error.
        #[source]
        source: crate::cause::Cause,
    },
    /// Stored data cannot be read back.
    #[error("integration store data corrupt: {0}")]
    Corrupt(String),
}

impl From<crate::readstore::ReadStoreError> for IntegrationStoreError {
    fn from(error: crate::readstore::ReadStoreError) -> Self {
        match error {
            crate::readstore::ReadStoreError::Unavailable(e) => Self::Unavailable(e),
            crate::readstore::ReadStoreError::Backend { backend, source } => {
                Self::Backend { backend, source }
            }
            crate::readstore::ReadStoreError::Corrupt(e) => Self::Corrupt(e),
            crate::readstore::ReadStoreError::Conflict(e) => Self::Unavailable(e),
        }
    }
}

/// A callback the relay puts into the in-process outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCallback {
    /// The event.
    pub envelope: EventEnvelope,
    /// Where the callback goes (`scheme://host:port`), when the relay knew.
    pub destination: Option<String>,
}

/// A callback waiting in the in-process outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Row id (insertion order, which is log order).
    pub id: i64,
    /// The event.
    pub envelope: EventEnvelope,
    /// Attempts made so far.
    pub attempts: u32,
    /// Where the callback goes, when known (rows enqueued before destinations were
    /// recorded, and re-queued dead letters, learn theirs on their first attempt).
    pub destination: Option<String>,
}

/// What [`IntegrationStore::due_callbacks`] leaves out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DueFilter {
    /// Rows being worked on.
    pub in_flight: Vec<i64>,
    /// Destinations that cannot take another callback now.
    pub saturated: Vec<String>,
}

/// What became of an outbox row; [`IntegrationStore::settle_callbacks`] records many at
/// once.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// Finished (delivered, or nothing to send): the row goes.
    Finished(i64),
    /// A failed attempt: try again at `next_attempt_at`.
    Retry {
        /// The row.
        id: i64,
        /// Attempts made so far.
        attempts: u32,
        /// When to try again.
        next_attempt_at: DateTime<Utc>,
        /// Why the attempt failed.
        error: String,
    },
    /// Given up: the row moves to the dead letters.
    Dead(i64, Box<DeadLetter>),
    /// The row's destination, learnt on an attempt that could not be made (its destination
    /// was saturated): nothing else changes.
    Destination(i64, String),
}

/// The outbox's backlog of one destination.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationBacklog {
    /// `scheme://host:port`, or empty for rows whose destination is not known yet.
    pub destination: String,
    /// Undelivered callbacks.
    pub depth: u64,
    /// When the event of the oldest of them happened.
    pub oldest: Option<DateTime<Utc>>,
}

/// A callback that could not be delivered.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DeadLetter {
    /// The delivery id (`X-Issuance-Delivery`, the source event's id).
    pub id: Uuid,
    /// The offer.
    pub offer_id: Uuid,
    /// The status the callback reports, when known.
    pub status: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Why it was given up (HTTP status or transport error; never a URL or secret).
    pub reason: String,
    /// When it was given up.
    pub dead_at: DateTime<Utc>,
    /// Whether an admin asked to re-queue it (it leaves the list once re-queued).
    pub requeue_requested: bool,
    /// The event it was made from (public data only).
    pub event: EventEnvelope,
}

/// Position in the dead-letter list (oldest first): `(dead_at, id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterCursor {
    /// `dead_at` in microseconds.
    pub dead_at_micros: i64,
    /// The id.
    pub id: Uuid,
}

/// One page of dead letters.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterPage {
    /// Oldest first.
    pub items: Vec<DeadLetter>,
    /// Where the next page starts.
    pub next_cursor: Option<DeadLetterCursor>,
}

/// What re-queueing selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequeueSelection {
    /// One dead letter.
    One(Uuid),
    /// Every dead letter.
    All,
}

/// Storage of checkpoints, outbox and dead letters.
#[async_trait]
pub trait IntegrationStore: Send + Sync + 'static {
    /// A relay's checkpoint (START if it never ran).
    async fn checkpoint(&self, name: &str) -> Result<LogPosition, IntegrationStoreError>;

    /// Stores a relay's checkpoint (the AMQP relay: after the broker confirmed).
    async fn save_checkpoint(
        &self,
        name: &str,
        position: LogPosition,
    ) -> Result<(), IntegrationStoreError>;

    /// Adds callbacks to the outbox (due at `now`) and moves the checkpoint, atomically.
    async fn enqueue_callbacks(
        &self,
        name: &str,
        callbacks: Vec<NewCallback>,
        checkpoint: LogPosition,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError>;

    /// Up to `limit` outbox items due at `now`, oldest first, at most one per offer: the
    /// offer's oldest, so one offer's callbacks are delivered strictly in log order. Rows
    /// in `filter.in_flight` and rows of `filter.saturated` destinations are left out.
    async fn due_callbacks(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        filter: &DueFilter,
    ) -> Result<Vec<OutboxItem>, IntegrationStoreError>;

    /// Records what became of outbox rows, in one transaction.
    async fn settle_callbacks(
        &self,
        settlements: Vec<Settlement>,
    ) -> Result<(), IntegrationStoreError>;

    /// The outbox's backlog per destination.
    async fn outbox_backlog(&self) -> Result<Vec<DestinationBacklog>, IntegrationStoreError>;

    /// Records a dead letter (the AMQP dead-letter queue's drain); a repeated id replaces
    /// the older record.
    async fn record_dead_letter(&self, dead: DeadLetter) -> Result<(), IntegrationStoreError>;

    /// A page of dead letters, oldest first.
    async fn dead_letters(
        &self,
        limit: usize,
        after: Option<DeadLetterCursor>,
    ) -> Result<DeadLetterPage, IntegrationStoreError>;

    /// Marks dead letters for re-queueing; returns how many it marked.
    async fn request_requeue(
        &self,
        selection: RequeueSelection,
    ) -> Result<u64, IntegrationStoreError>;

    /// Dead letters marked for re-queueing (for a transport that re-publishes them).
    async fn requeue_requests(
        &self,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, IntegrationStoreError>;

    /// Removes a dead letter (after it was re-published).
    async fn remove_dead_letter(&self, id: Uuid) -> Result<(), IntegrationStoreError>;

    /// Moves every dead letter marked for re-queueing into the outbox with fresh attempts,
    /// atomically (the in-process transport's re-queue). Returns how many.
    async fn requeue_into_outbox(&self, now: DateTime<Utc>) -> Result<u64, IntegrationStoreError>;
}
