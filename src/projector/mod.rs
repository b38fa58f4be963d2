//! Projectors: catch-up readers of the global log that keep read models current.
//!
//! Each projection stores its checkpoint in the same transaction as its rows, so after a
//! crash it resumes exactly where its last committed batch ended: nothing is lost and
//! nothing applied twice. `replay` resets a projection and runs it from position 0.

mod audit;
mod follow;
mod offer_view;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_eventlog::{LogPosition, RecordedEvent};
use tokio::sync::{watch, Notify};

pub use audit::AuditProjection;
pub use follow::{follow_checkpoint, FOLLOW_INTERVAL};
pub use offer_view::OfferViewProjection;

use crate::store::follower::{self, LogSink, Pace};
use crate::store::{advance, EventStore, StoreError};

/// Events read per batch.
pub const BATCH_SIZE: usize = 1000;

/// How often an idle projector looks for events appended by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How much longer a busy projector lingers (see [`follower::BUSY_EVENTS`]).
const BUSY_LINGER_FACTOR: u32 = 4;

/// How a projector gathers its batches: under load, longer lingers and bigger batches mean
/// fewer read-store transactions, each rewriting the index pages it touches once (the
/// per-issuer indexes have as many insertion points as issuers), at the price of a view
/// that trails the log by up to the busy linger, unless a reader waiting for the view
/// hurries it (see [`ProjectionProgress::wait_for`]).
#[derive(Debug, Clone)]
pub struct Pacing {
    /// How long appends accumulate after a wake-up.
    pub linger: Duration,
    /// The linger after a busy pass (see [`follower::BUSY_EVENTS`]).
    pub busy_linger: Duration,
    /// Events read and applied per batch (one transaction).
    pub batch_size: usize,
    /// Notified by readers waiting for the projection: ends a linger at once.
    pub hurry: Option<Arc<Notify>>,
}

impl Pacing {
    /// Lingers `linger` after a wake-up, [`BUSY_LINGER_FACTOR`] times as long when busy,
    /// [`BATCH_SIZE`] events a batch, never hurried.
    pub fn lingering(linger: Duration) -> Pacing {
        Pacing {
            linger,
            busy_linger: linger * BUSY_LINGER_FACTOR,
            batch_size: BATCH_SIZE,
            hurry: None,
        }
    }

    /// A read model's, whose readers wait for it through `progress`: under load it gathers
    /// 400 ms (up to 4,000 events) per transaction, so the pages of its issuer index (one
    /// per issuer with rows in the batch) are written a quarter as often as after 100 ms;
    /// a reader that waits for it ends the linger at once. When `remote_readers` (another
    /// node may wait for the view by polling its checkpoint, and cannot hurry it) it lingers
    /// at most 100 ms.
    pub fn read_model(progress: &ProjectionProgress, remote_readers: bool) -> Pacing {
        let linger = Duration::from_millis(25);
        let pacing = if remote_readers {
            Pacing::lingering(linger)
        } else {
            Pacing {
                linger,
                busy_linger: Duration::from_millis(400),
                batch_size: 4 * BATCH_SIZE,
                hurry: None,
            }
        };
        pacing.hurried_by(progress)
    }

    /// This pacing, its lingers ended at once by readers waiting through `progress`.
    pub fn hurried_by(self, progress: &ProjectionProgress) -> Pacing {
        Pacing {
            hurry: Some(progress.hurry.clone()),
            ..self
        }
    }
}

/// The first pause after a failed batch (doubling up to 10 s).
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

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

/// Observes how far a projection has come, and asks it to hurry when waiting for it.
#[derive(Clone)]
pub struct ProjectionProgress {
    position: watch::Receiver<LogPosition>,
    hurry: Arc<Notify>,
    /// How many [`ProjectionProgress::wait_for`] calls are waiting now.
    waiting: Arc<AtomicUsize>,
}

impl ProjectionProgress {
    /// A progress observer and its publisher, starting at `start`.
    pub fn new(start: LogPosition) -> (watch::Sender<LogPosition>, ProjectionProgress) {
        let (sender, position) = watch::channel(start);
        let progress = ProjectionProgress {
            position,
            hurry: Arc::new(Notify::new()),
            waiting: Arc::new(AtomicUsize::new(0)),
        };
        (sender, progress)
    }

    /// The last applied position.
    pub fn current(&self) -> LogPosition {
        *self.position.borrow()
    }

    /// A receiver notified whenever the projection moves on.
    pub fn subscribe(&self) -> watch::Receiver<LogPosition> {
        self.position.clone()
    }

    /// Waits until the projection has applied `target`, at most `timeout`; a projector
    /// lingering for more events (see [`Pacing::read_model`]) applies what it has at once.
    /// Returns whether it got there.
    pub async fn wait_for(&self, target: LogPosition, timeout: Duration) -> bool {
        let mut receiver = self.position.clone();
        if *receiver.borrow() >= target {
            return true;
        }
        self.hurry.notify_one();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _done = Waiting(&self.waiting);
        tokio::time::timeout(timeout, receiver.wait_for(|p| *p >= target))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Whether a reader is waiting for the projection now.
    pub fn has_waiters(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
    }
}

/// One waiting reader, counted until dropped (also when its wait is cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A projection as a [`LogSink`] of the log follower.
struct ProjectionSink<'a>(&'a dyn Projection);

#[async_trait]
impl LogSink for ProjectionSink<'_> {
    type Error = ProjectionError;

    fn read_failed(&self, error: StoreError) -> ProjectionError {
        ProjectionError {
            projection: self.0.name(),
            detail: error.to_string(),
        }
    }

    async fn checkpoint(&mut self) -> Result<LogPosition, ProjectionError> {
        self.0.checkpoint().await
    }

    async fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        self.0.apply(events).await
    }
}

/// Runs one pass: applies everything after the checkpoint, in batches, reporting each
/// batch's end to `on_batch`. Returns the final position.
pub async fn catch_up(
    store: &dyn EventStore,
    projection: &dyn Projection,
    mut on_batch: impl FnMut(LogPosition, usize) + Send,
) -> Result<LogPosition, ProjectionError> {
    follower::catch_up(
        store,
        &mut ProjectionSink(projection),
        BATCH_SIZE,
        &mut on_batch,
    )
    .await
}

/// Runs a projection until `shutdown` resolves: follows the log (see [`follower::follow`]),
/// retrying with back-off after failures, its batches gathered as `pacing` says.
pub async fn run(
    store: Arc<dyn EventStore>,
    projection: Arc<dyn Projection>,
    progress: watch::Sender<LogPosition>,
    pacing: Pacing,
    mut shutdown: watch::Receiver<bool>,
) {
    let pace = Pace {
        poll: POLL_INTERVAL,
        linger: pacing.linger,
        busy_linger: pacing.busy_linger,
        hurry: pacing.hurry,
    };
    let mut backoff = INITIAL_BACKOFF;
    loop {
        let mut progressed = false;
        let result = follower::follow(
            &store,
            &mut ProjectionSink(projection.as_ref()),
            pacing.batch_size,
            pace.clone(),
            &mut |position, _| {
                progressed = true;
                advance(&progress, position);
            },
            &mut shutdown,
        )
        .await;
        let Err(error) = result else {
            return;
        };
        tracing::error!(%error, "projection batch failed; retrying");
        if progressed {
            backoff = INITIAL_BACKOFF;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod hurry_tests;
