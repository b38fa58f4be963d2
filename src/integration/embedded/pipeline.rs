//! The in-process callback consumer: a pipeline, not rounds. Up to `callbacks.concurrency`
//! outbox rows are worked on at once, and a free place is refilled as soon as a request
//! finishes, so one slow receiver never holds up a batch. Each offer's callbacks still go
//! out strictly in order: only an offer's oldest row is ever due, and the next one becomes
//! due when the previous one's outcome is stored.
//!
//! Rows of a destination that has no free slot are not even picked up (the query leaves
//! them out), so a slow receiver's backlog waits in the outbox, not in workers; rows of a
//! destination whose circuit is open fail at once, on their own retry schedule. Outcomes
//! are stored in batches: one read-store transaction for every request that finished
//! meanwhile.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::{Id, JoinError, JoinSet};

use crate::clock::Clock;
use crate::integration::callbacks::{Admission, CallbackProcessor, Disposition};
use crate::integration::relay::Backoff;
use crate::integration::store::{
    DeadLetter, DueFilter, IntegrationStore, IntegrationStoreError, OutboxItem, Settlement,
};

/// How often the consumer looks for due retries without being woken.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// How long a row waits when the service could not work on it.
const DEFER_DELAY: Duration = Duration::from_secs(1);

/// How long a stopping consumer waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How a row's work starts: with a slot of its recorded destination, failing at once (its
/// circuit is open), or with the destination still to be found.
enum Start {
    Slot(crate::integration::callbacks::destination::DestinationPermit),
    CircuitOpen,
    Unknown,
}

/// The consumer's state between turns.
struct Pipeline {
    store: Arc<dyn IntegrationStore>,
    processor: Arc<CallbackProcessor>,
    clock: Arc<dyn Clock>,
    concurrency: usize,
    tasks: JoinSet<Settlement>,
    /// The row each task works on.
    rows: HashMap<Id, i64>,
    /// Rows being worked on or whose outcome is not stored yet.
    in_flight: HashSet<i64>,
    /// Outcomes not stored yet.
    finished: Vec<Settlement>,
}

/// Runs the in-process callback consumer until `shutdown`, with at most `concurrency`
/// callbacks in flight. `wake` is notified by the relay (new rows) and by the management
/// API (re-queued dead letters).
pub async fn run_consumer(
    store: Arc<dyn IntegrationStore>,
    processor: Arc<CallbackProcessor>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    concurrency: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut pipeline = Pipeline {
        store,
        processor,
        clock,
        concurrency: concurrency.max(1),
        tasks: JoinSet::new(),
        rows: HashMap::new(),
        in_flight: HashSet::new(),
        finished: Vec::new(),
    };
    let mut backoff = Backoff::default();
    let mut last_requeue: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Re-queue requests are rare (an admin's action): look for them at most once per
        // poll interval rather than in every turn, which would cost a write each time.
        let requeue = last_requeue.is_none_or(|t| t.elapsed() >= POLL_INTERVAL);
        if requeue {
            last_requeue = Some(std::time::Instant::now());
        }
        if let Err(error) = pipeline.turn(requeue).await {
            tracing::error!(%error, "callback outbox failed; retrying");
            if !backoff.wait(&mut shutdown).await {
                break;
            }
            continue;
        }
        backoff.reset();
        tokio::select! {
            Some(joined) = pipeline.tasks.join_next_with_id(), if !pipeline.tasks.is_empty() => {
                pipeline.collect(joined);
            }
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            changed = shutdown.changed() => if changed.is_err() { break },
        }
    }
    pipeline.drain().await;
}

impl Pipeline {
    /// Stores finished outcomes, then fills every free place with a due row.
    async fn turn(&mut self, requeue: bool) -> Result<(), IntegrationStoreError> {
        while let Some(joined) = self.tasks.try_join_next_with_id() {
            self.collect(joined);
        }
        self.store_finished().await?;
        if requeue {
            self.store.requeue_into_outbox(self.clock.now()).await?;
        }
        let mut skipped = Vec::new();
        loop {
            let free = self.concurrency.saturating_sub(self.tasks.len());
            if free == 0 {
                return Ok(());
            }
            let mut saturated = self.processor.destinations().saturated();
            saturated.extend(skipped.iter().cloned());
            let filter = DueFilter {
                in_flight: self.in_flight.iter().copied().collect(),
                saturated,
            };
            let due = self
                .store
                .due_callbacks(self.clock.now(), free, &filter)
                .await?;
            let fetched = due.len();
            for item in due {
                let start = match item.destination.as_deref() {
                    None | Some("") => Start::Unknown,
                    Some(destination) => {
                        match self.processor.destinations().try_acquire(destination) {
                            Admission::Permit(permit) => Start::Slot(permit),
                            Admission::Open => Start::CircuitOpen,
                            Admission::Saturated => {
                                skipped.push(destination.to_string());
                                continue;
                            }
                        }
                    }
                };
                self.in_flight.insert(item.id);
                let (processor, clock) = (self.processor.clone(), self.clock.clone());
                let row = item.id;
                let task = self.tasks.spawn(work(processor, clock, item, start));
                self.rows.insert(task.id(), row);
            }
            // Fewer rows than places: nothing else is due. Otherwise rows were skipped (their
            // destination filled up) or every place is taken: look again.
            if fetched < free {
                return Ok(());
            }
        }
    }

    fn collect(&mut self, joined: Result<(Id, Settlement), JoinError>) {
        match joined {
            Ok((task, settlement)) => {
                self.rows.remove(&task);
                self.finished.push(settlement);
            }
            // A failed task's row is picked up again (at-least-once).
            Err(error) => {
                tracing::error!(%error, "callback task failed");
                if let Some(row) = self.rows.remove(&error.id()) {
                    self.in_flight.remove(&row);
                }
            }
        }
    }

    /// Stores every finished outcome in one transaction and frees their rows.
    async fn store_finished(&mut self) -> Result<(), IntegrationStoreError> {
        if !self.finished.is_empty() {
            let finished = std::mem::take(&mut self.finished);
            if let Err(error) = self.store.settle_callbacks(finished.clone()).await {
                self.finished = finished;
                return Err(error);
            }
            for settlement in &finished {
                self.in_flight.remove(&row_of(settlement));
            }
        }
        Ok(())
    }

    /// On shutdown: lets requests in flight finish (bounded) and stores their outcomes.
    /// Rows of requests cut off stay in the outbox and are sent again after the restart
    /// (at-least-once).
    async fn drain(mut self) {
        let drain = async {
            while let Some(joined) = self.tasks.join_next_with_id().await {
                self.collect(joined);
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
        self.tasks.abort_all();
        if let Err(error) = self.store_finished().await {
            tracing::warn!(%error, "outcomes of the last callbacks not stored; they will be sent again");
        }
    }
}

fn row_of(settlement: &Settlement) -> i64 {
    match settlement {
        Settlement::Finished(id)
        | Settlement::Retry { id, .. }
        | Settlement::Dead(id, _)
        | Settlement::Destination(id, _) => *id,
    }
}

/// One row's attempt: prepare the callback, take a slot of its destination, send.
async fn work(
    processor: Arc<CallbackProcessor>,
    clock: Arc<dyn Clock>,
    item: OutboxItem,
    start: Start,
) -> Settlement {
    let attempt = item.attempts + 1;
    let prepared = match processor.prepare(&item.envelope).await {
        Ok(prepared) => prepared,
        Err(disposition) => return settlement(clock.as_ref(), item, disposition),
    };
    let permit = match start {
        Start::Slot(permit) if item.destination.as_deref() == Some(&prepared.destination) => permit,
        Start::CircuitOpen if item.destination.as_deref() == Some(&prepared.destination) => {
            let disposition = processor.circuit_open(&prepared, attempt);
            return settlement(clock.as_ref(), item, disposition);
        }
        // Unknown, or recorded before the callback URL changed (a new default URL).
        start => {
            drop(start);
            match processor.destinations().try_acquire(&prepared.destination) {
                Admission::Permit(permit) => permit,
                Admission::Open => {
                    let disposition = processor.circuit_open(&prepared, attempt);
                    return settlement(clock.as_ref(), item, disposition);
                }
                // Recorded, the row waits with the rest of its destination's backlog.
                Admission::Saturated => {
                    return Settlement::Destination(item.id, prepared.destination);
                }
            }
        }
    };
    let disposition = processor.send(&prepared, permit, attempt).await;
    settlement(clock.as_ref(), item, disposition)
}

/// What to store for a row's attempt.
fn settlement(clock: &dyn Clock, item: OutboxItem, disposition: Disposition) -> Settlement {
    let attempts = item.attempts + 1;
    match disposition {
        Disposition::Done => Settlement::Finished(item.id),
        Disposition::Retry { reason, delay } => Settlement::Retry {
            id: item.id,
            attempts,
            next_attempt_at: clock.now() + chrono::Duration::from_std(delay).unwrap_or_default(),
            error: reason,
        },
        Disposition::Dead { reason, status } => Settlement::Dead(
            item.id,
            Box::new(DeadLetter {
                id: item.envelope.event_id,
                offer_id: item.envelope.offer_id,
                status: status.map(|s| s.as_str().to_string()),
                attempts,
                reason,
                dead_at: clock.now(),
                requeue_requested: false,
                event: item.envelope,
            }),
        ),
        // Not an attempt: the count stays.
        Disposition::Defer(reason) => Settlement::Retry {
            id: item.id,
            attempts: item.attempts,
            next_attempt_at: clock.now()
                + chrono::Duration::from_std(DEFER_DELAY).unwrap_or_default(),
            error: reason,
        },
    }
}
