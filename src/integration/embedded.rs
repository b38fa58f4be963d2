//! In-process delivery (no `amqp_url`): the relay writes callback-relevant events into a
//! durable outbox (rows and checkpoint in one transaction) and wakes the consumer, which
//! delivers each offer's callbacks strictly in order, with the same processor, retry
//! schedule and dead letters as the AMQP transport. Nothing is lost across a restart: an
//! undelivered row stays in the outbox until it is delivered or dead-lettered.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use issuance_domain::LogPosition;
use tokio::sync::{watch, Notify};

use super::callbacks::{CallbackProcessor, Disposition};
use super::envelope::EventEnvelope;
use super::relay::{self, Backoff, RelayError, RelaySink};
use super::store::{DeadLetter, IntegrationStore, OutboxItem};
use crate::clock::Clock;
use crate::offers::OfferRepository;
use crate::store::EventStore;

/// The embedded relay's checkpoint name.
pub const CHECKPOINT: &str = "callback_outbox";

/// Events read per relay batch.
const BATCH: usize = 500;

/// Outbox rows worked on concurrently (each of a different offer).
const CONCURRENCY: usize = 32;

/// How often the consumer looks for due retries without being woken.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// How long a message waits when the service could not work on it.
const DEFER_DELAY: Duration = Duration::from_secs(1);

/// Decides whether an offer's callbacks go anywhere at all.
#[derive(Clone)]
pub struct CallbackTargets {
    /// The configured default callback URL.
    pub default_url: Option<String>,
    /// Offers (their own `callback_url`), read through the repository's state cache.
    pub offers: OfferRepository,
}

impl CallbackTargets {
    /// Whether callbacks of `offer_id` have a destination. Without a default URL only
    /// offers created with their own `callback_url` do; keeping the others out of the
    /// outbox saves two read-store writes per event. When in doubt (store error), yes.
    async fn wanted(&self, offer_id: uuid::Uuid) -> bool {
        if self.default_url.is_some() {
            return true;
        }
        // An offer's callback URL never changes: a cached state, even an old one, tells.
        match self.offers.load_cached(offer_id).await {
            Ok((offer, _)) => offer
                .definition
                .as_ref()
                .is_none_or(|d| d.callback_url.is_some()),
            Err(_) => true,
        }
    }
}

/// The relay's sink: the outbox.
struct OutboxSink {
    store: Arc<dyn IntegrationStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    targets: CallbackTargets,
    /// Recent decisions of [`CallbackTargets::wanted`]: an offer's events follow each other
    /// closely, so one lookup serves them all (and a replay of history does one per offer).
    recent: std::collections::HashMap<uuid::Uuid, bool>,
    /// A checkpoint not yet stored: batches that put nothing in the outbox move it only in
    /// memory (see [`CHECKPOINT_EVERY`]).
    held: Option<LogPosition>,
    /// When the checkpoint was last stored.
    stored_at: std::time::Instant,
}

/// How long a checkpoint that only passed over events without a callback destination may
/// stay in memory. Storing it after every batch would cost a read-store commit per batch
/// for nothing; after a crash the relay merely looks at those events again (and again
/// finds nothing to enqueue). A batch with outbox rows always stores rows and checkpoint
/// together.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

impl OutboxSink {
    /// Stores the held checkpoint (with nothing else).
    async fn store_held(&mut self) -> Result<(), RelayError> {
        if let Some(last) = self.held {
            self.store
                .enqueue_callbacks(CHECKPOINT, Vec::new(), last, self.clock.now())
                .await
                .map_err(|e| RelayError::Sink(e.to_string()))?;
            self.held = None;
            self.stored_at = std::time::Instant::now();
        }
        Ok(())
    }
}

/// Decisions remembered by the relay before it starts over.
const RECENT_DECISIONS: usize = 65_536;

#[async_trait]
impl RelaySink for OutboxSink {
    async fn checkpoint(&mut self) -> Result<LogPosition, RelayError> {
        if let Some(held) = self.held {
            return Ok(held);
        }
        self.store
            .checkpoint(CHECKPOINT)
            .await
            .map_err(|e| RelayError::Sink(e.to_string()))
    }

    async fn deliver(
        &mut self,
        batch: Vec<EventEnvelope>,
        last: LogPosition,
    ) -> Result<(), RelayError> {
        let mut relevant = Vec::new();
        for envelope in batch.into_iter().filter(CallbackProcessor::is_relevant) {
            let wanted = match self.recent.get(&envelope.offer_id) {
                Some(wanted) => *wanted,
                None => {
                    let wanted = self.targets.wanted(envelope.offer_id).await;
                    if self.recent.len() >= RECENT_DECISIONS {
                        self.recent.clear();
                    }
                    self.recent.insert(envelope.offer_id, wanted);
                    wanted
                }
            };
            if wanted {
                relevant.push(envelope);
            }
        }
        if relevant.is_empty() {
            self.held = Some(last);
            if self.stored_at.elapsed() >= CHECKPOINT_EVERY {
                self.store_held().await?;
            }
            return Ok(());
        }
        self.store
            .enqueue_callbacks(CHECKPOINT, relevant, last, self.clock.now())
            .await
            .map_err(|e| RelayError::Sink(e.to_string()))?;
        self.held = None;
        self.stored_at = std::time::Instant::now();
        self.wake.notify_one();
        Ok(())
    }

    async fn check(&mut self) -> Result<(), RelayError> {
        // Idle: a held checkpoint is stored once it is due, so the stored one (which
        // `/health/ready` reports) catches up within about a second.
        if self.stored_at.elapsed() >= CHECKPOINT_EVERY {
            self.store_held().await?;
        }
        Ok(())
    }
}

/// Runs the in-process relay until `shutdown`.
pub async fn run_relay(
    events: Arc<dyn EventStore>,
    store: Arc<dyn IntegrationStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    targets: CallbackTargets,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut sink = OutboxSink {
        store,
        clock,
        wake,
        targets,
        recent: Default::default(),
        held: None,
        stored_at: std::time::Instant::now(),
    };
    let mut backoff = Backoff::default();
    loop {
        match relay::follow(events.clone(), &mut sink, BATCH, &mut shutdown).await {
            Ok(()) => return,
            Err(error) => tracing::error!(%error, "callback outbox relay failed; retrying"),
        }
        if !backoff.wait(&mut shutdown).await {
            return;
        }
    }
}

/// Runs the in-process callback consumer until `shutdown`. `wake` is notified by the relay
/// (new rows) and by the management API (re-queued dead letters).
pub async fn run_consumer(
    store: Arc<dyn IntegrationStore>,
    processor: Arc<CallbackProcessor>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    let mut last_requeue: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Re-queue requests are rare (an admin's action): look for them at most once per
        // poll interval rather than in every round, which would cost a write each time.
        let requeue = last_requeue.is_none_or(|t| t.elapsed() >= POLL_INTERVAL);
        if requeue {
            last_requeue = Some(std::time::Instant::now());
        }
        // Dropping the round on shutdown abandons in-flight requests; their rows stay in
        // the outbox and are sent again after the restart (at-least-once).
        let round = tokio::select! {
            round = deliver_due(store.as_ref(), &processor, clock.as_ref(), requeue) => round,
            _ = shutdown.changed() => return,
        };
        match round {
            Ok(full) if full => continue,
            Ok(_) => backoff.reset(),
            Err(error) => {
                tracing::error!(%error, "callback outbox failed; retrying");
                if !backoff.wait(&mut shutdown).await {
                    return;
                }
                continue;
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            changed = shutdown.changed() => if changed.is_err() { return },
        }
    }
}

/// One round: re-queued dead letters into the outbox, then every due row (at most one per
/// offer) processed concurrently. Returns whether the round was full (more may be due).
async fn deliver_due(
    store: &dyn IntegrationStore,
    processor: &CallbackProcessor,
    clock: &dyn Clock,
    requeue: bool,
) -> Result<bool, super::store::IntegrationStoreError> {
    if requeue {
        store.requeue_into_outbox(clock.now()).await?;
    }
    let due = store.due_callbacks(clock.now(), CONCURRENCY).await?;
    let full = due.len() == CONCURRENCY;
    let outcomes = join_all(due.into_iter().map(|item| async move {
        let disposition = processor.process(&item.envelope, item.attempts + 1).await;
        settle(store, clock, item, disposition).await
    }))
    .await;
    outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(full)
}

/// Records what happened to one row.
async fn settle(
    store: &dyn IntegrationStore,
    clock: &dyn Clock,
    item: OutboxItem,
    disposition: Disposition,
) -> Result<(), super::store::IntegrationStoreError> {
    let attempts = item.attempts + 1;
    match disposition {
        Disposition::Done => store.finish_callback(item.id).await,
        Disposition::Retry { reason, delay } => {
            let next = clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
            store.retry_callback(item.id, attempts, next, &reason).await
        }
        Disposition::Dead { reason, status } => {
            let dead = DeadLetter {
                id: item.envelope.event_id,
                offer_id: item.envelope.offer_id,
                status: status.map(|s| s.as_str().to_string()),
                attempts,
                reason,
                dead_at: clock.now(),
                requeue_requested: false,
                event: item.envelope,
            };
            store.bury_callback(item.id, dead).await
        }
        Disposition::Defer(reason) => {
            let next = clock.now() + chrono::Duration::from_std(DEFER_DELAY).unwrap_or_default();
            store
                .retry_callback(item.id, item.attempts, next, &reason)
                .await
        }
    }
}
