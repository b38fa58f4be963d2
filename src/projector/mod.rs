//! Projectors: catch-up readers of the global log that keep read models current.
//!
//! Each projection stores its checkpoint in the same transaction as its rows, so after a
//! crash it resumes exactly where its last committed batch ended: nothing is lost and
//! nothing applied twice. `replay` resets a projection and runs it from position 0.

mod audit;
mod follow;
mod offer_view;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_domain::{LogPosition, RecordedEvent};
use tokio::sync::watch;

pub use audit::AuditProjection;
pub use follow::{follow_checkpoint, FOLLOW_INTERVAL};
pub use offer_view::OfferViewProjection;

use crate::store::{advance, EventStore};

/// Events read per batch.
pub const BATCH_SIZE: usize = 1000;

/// How often an idle projector looks for events appended by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A pass that applied at least this many events means the log is busy: the projector
/// then lingers [`BUSY_LINGER_FACTOR`] times longer before its next pass.
const BUSY_EVENTS: usize = 64;

/// How much longer a busy projector lingers (see [`BUSY_EVENTS`]).
const BUSY_LINGER_FACTOR: u32 = 4;

/// Why a projection batch failed.
#[derive(Debug, thiserror::Error)]
#[error("projection {projection}: {detail}")]
pub struct ProjectionError {
    /// The projection.
    pub projection: &'static str,
    /// What failed.
    pub detail: String,
}

/// A read model fed from the log.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Its name (checkpoint key, CLI name).
    fn name(&self) -> &'static str;

    /// Where it stopped.
    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError>;

    /// Applies a batch and stores the checkpoint of its last event, atomically.
    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError>;

    /// Forgets everything (before a replay from position 0).
    async fn reset(&self) -> Result<(), ProjectionError>;
}

/// Observes how far a projection has come.
#[derive(Clone)]
pub struct ProjectionProgress {
    position: watch::Receiver<LogPosition>,
}

impl ProjectionProgress {
    /// A progress observer and its publisher, starting at `start`.
    pub fn new(start: LogPosition) -> (watch::Sender<LogPosition>, ProjectionProgress) {
        let (sender, position) = watch::channel(start);
        (sender, ProjectionProgress { position })
    }

    /// The last applied position.
    pub fn current(&self) -> LogPosition {
        *self.position.borrow()
    }

    /// A receiver notified whenever the projection moves on.
    pub fn subscribe(&self) -> watch::Receiver<LogPosition> {
        self.position.clone()
    }

    /// Waits until the projection has applied `target`, at most `timeout`.
    /// Returns whether it got there.
    pub async fn wait_for(&self, target: LogPosition, timeout: Duration) -> bool {
        let mut receiver = self.position.clone();
        tokio::time::timeout(timeout, receiver.wait_for(|p| *p >= target))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// Runs one pass: applies everything after the checkpoint, in batches, reporting each
/// batch's end to `on_batch`. Returns the final position.
pub async fn catch_up(
    store: &dyn EventStore,
    projection: &dyn Projection,
    mut on_batch: impl FnMut(LogPosition, usize),
) -> Result<LogPosition, ProjectionError> {
    let mut position = projection.checkpoint().await?;
    loop {
        let events = store
            .read_all(position, BATCH_SIZE)
            .await
            .map_err(|e| ProjectionError {
                projection: projection.name(),
                detail: e.to_string(),
            })?;
        let Some(last) = events.last() else {
            return Ok(position);
        };
        let last = last.position;
        projection.apply(&events).await?;
        position = last;
        on_batch(position, events.len());
    }
}

/// Runs a projection until `shutdown` resolves: catches up, then waits for appends
/// (or polls), retrying with back-off after failures.
pub async fn run(
    store: Arc<dyn EventStore>,
    projection: Arc<dyn Projection>,
    progress: watch::Sender<LogPosition>,
    linger: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut appended = store.appended();
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut applied = 0;
        let result = catch_up(store.as_ref(), projection.as_ref(), |position, events| {
            applied += events;
            advance(&progress, position);
        })
        .await;
        // Under load a longer wait gathers bigger batches: each read-store transaction
        // rewrites the pages of the offers in flight once however many of their events
        // it applies, so the write volume per event falls. Idle, the view stays fresh.
        let linger = if applied >= BUSY_EVENTS {
            linger * BUSY_LINGER_FACTOR
        } else {
            linger
        };
        let wait = match result {
            Ok(_) => {
                backoff = Duration::from_millis(100);
                POLL_INTERVAL
            }
            Err(error) => {
                tracing::error!(%error, "projection batch failed; retrying");
                backoff = (backoff * 2).min(Duration::from_secs(10));
                backoff
            }
        };
        tokio::select! {
            _ = appended.changed() => linger_for_more(linger).await,
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// After a wake-up, lets more appends arrive before reading them: under load one batch
/// (one read-store transaction) then covers many events instead of a handful, which cuts
/// the write-ahead log traffic of the read store by an order of magnitude. Costs at most
/// `linger` of projection latency.
pub async fn linger_for_more(linger: Duration) {
    if !linger.is_zero() {
        tokio::time::sleep(linger).await;
    }
}
