//! The relay: reads the global log from its own durable checkpoint and hands every event,
//! in log order, to a [`RelaySink`] (RabbitMQ, or the in-process outbox). The sink stores
//! the checkpoint only once the batch is safe on the other side, so a crash or a lost
//! connection at any point re-sends, and never skips (at-least-once; consumers
//! deduplicate on the event id).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_domain::offer::OfferEvent;
use issuance_domain::LogPosition;
use tokio::sync::watch;

use super::envelope::{EnvelopeError, EventEnvelope};
use super::store::IntegrationStoreError;
use crate::store::{EventStore, StoreError};

/// How often an idle relay looks for events appended by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Why a relay pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading the log failed.
    #[error("reading the event log: {0}")]
    Log(#[from] StoreError),
    /// An event in the log cannot be turned into its message.
    #[error("reading the event log: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The sink failed (broker unreachable, confirm missing, store failure).
    #[error("{0}")]
    Sink(String),
    /// The sink's store failed.
    #[error("{0}")]
    SinkStore(#[from] IntegrationStoreError),
    /// The broker failed or refused.
    #[error("{0}")]
    Broker(#[from] super::amqp::error::AmqpError),
}

/// Where the relay hands events.
#[async_trait]
pub trait RelaySink: Send {
    /// The last position safely handed over.
    async fn checkpoint(&mut self) -> Result<LogPosition, RelayError>;

    /// Hands `batch` (in log order) over durably, then records `last` as the checkpoint.
    async fn deliver(
        &mut self,
        batch: Vec<EventEnvelope>,
        last: LogPosition,
    ) -> Result<(), RelayError>;

    /// Sees each event of the next batch, decoded, before [`RelaySink::deliver`] gets its
    /// envelope (the in-process outbox learns offers' callback URLs from `OfferCreated`).
    fn observe(&mut self, _envelope: &EventEnvelope, _event: &OfferEvent) {}

    /// Called while idle: fails when the sink noticed it can no longer deliver (a closed
    /// connection), so the relay reconnects before the next event rather than at it.
    async fn check(&mut self) -> Result<(), RelayError> {
        Ok(())
    }
}

/// Relays everything after the sink's checkpoint, `batch_size` events at a time.
/// Returns the final position.
pub async fn catch_up(
    store: &dyn EventStore,
    sink: &mut dyn RelaySink,
    batch_size: usize,
) -> Result<LogPosition, RelayError> {
    let mut position = sink.checkpoint().await?;
    loop {
        let events = store.read_all(position, batch_size).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(position);
        };
        let mut batch = Vec::with_capacity(events.len());
        for recorded in &events {
            match EventEnvelope::from_recorded(recorded) {
                Ok((envelope, event)) => {
                    sink.observe(&envelope, &event);
                    batch.push(envelope);
                }
                // Only offer lifecycle events are published. Authorization sessions
                // (`authz-…`, the authorization-code flow's own records) stay in the log and
                // the audit view; what they lead to is on the offer's stream.
                Err(EnvelopeError::NotAnOffer(_)) => continue,
                // Skipping would break "nothing is lost"; stopping keeps the relay on this
                // event until an operator fixes the code (e.g. deploys the upcaster).
                Err(e) => return Err(e.into()),
            }
        }
        sink.deliver(batch, last).await?;
        position = last;
    }
}

/// Relays until `shutdown`: catches up, then waits for local appends (or polls for other
/// nodes' appends). Returns `Ok` on shutdown and the first error otherwise, for the caller
/// to reconnect and back off.
/// How long the relay lets appends accumulate after a wake-up (see
/// [`crate::projector::linger_for_more`]).
const LINGER: Duration = Duration::from_millis(10);

pub async fn follow(
    store: Arc<dyn EventStore>,
    sink: &mut dyn RelaySink,
    batch_size: usize,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), RelayError> {
    let mut appended = store.appended();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        catch_up(store.as_ref(), sink, batch_size).await?;
        sink.check().await?;
        tokio::select! {
            _ = appended.changed() => crate::projector::linger_for_more(LINGER).await,
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            changed = shutdown.changed() => if changed.is_err() { return Ok(()) },
        }
    }
}

/// Exponential back-off between reconnection attempts: 100 ms doubling to 10 s.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(100),
        }
    }
}

impl Backoff {
    /// Forgets past failures.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }

    /// Sleeps the current delay (or until shutdown) and doubles it. Returns `false` when
    /// shutting down.
    pub async fn wait(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        let delay = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(10));
        if *shutdown.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => !*shutdown.borrow(),
            _ = shutdown.changed() => false,
        }
    }
}
