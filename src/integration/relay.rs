//! The relay: reads the global log from its own durable checkpoint and hands every event,
//! in log order, to a [`RelaySink`] (RabbitMQ, or the in-process outbox). The sink stores
//! the checkpoint only once the batch is safe on the other side, so a crash or a lost
//! connection at any point re-sends, and never skips (at-least-once; consumers
//! deduplicate on the event id).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_domain::offer::OfferEvent;
use issuance_eventlog::{LogPosition, RecordedEvent};
use tokio::sync::watch;

use super::envelope::{EnvelopeError, EventEnvelope};
use super::issuer_envelope::IssuerEnvelope;
use super::store::IntegrationStoreError;
use crate::store::follower::{self, LogSink, Pace};
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

/// One message of a relayed batch, in log order.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// An Offer event (`offer.<event>`; callbacks come from these).
    Offer(EventEnvelope),
    /// An Issuer event (`issuer.<event>`).
    Issuer(IssuerEnvelope),
}

/// Where the relay hands events.
#[async_trait]
pub trait RelaySink: Send {
    /// The last position safely handed over.
    async fn checkpoint(&mut self) -> Result<LogPosition, RelayError>;

    /// Hands `batch` (in log order) over durably, then records `last` as the checkpoint.
    async fn deliver(&mut self, batch: Vec<Outgoing>, last: LogPosition) -> Result<(), RelayError>;

    /// Sees each event of the next batch, decoded, before [`RelaySink::deliver`] gets its
    /// envelope (the in-process outbox learns offers' callback URLs from `OfferCreated`).
    fn observe(&mut self, _envelope: &EventEnvelope, _event: &OfferEvent) {}

    /// Called while idle: fails when the sink noticed it can no longer deliver (a closed
    /// connection), so the relay reconnects before the next event rather than at it.
    async fn check(&mut self) -> Result<(), RelayError> {
        Ok(())
    }
}

/// A relay sink as a [`LogSink`] of the log follower: each batch becomes envelopes.
struct EnvelopeSink<'a, S: ?Sized>(&'a mut S);

#[async_trait]
impl<S: RelaySink + ?Sized> LogSink for EnvelopeSink<'_, S> {
    type Error = RelayError;

    fn read_failed(&self, error: StoreError) -> RelayError {
        RelayError::Log(error)
    }

    async fn checkpoint(&mut self) -> Result<LogPosition, RelayError> {
        self.0.checkpoint().await
    }

    async fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), RelayError> {
        let mut batch = Vec::with_capacity(events.len());
        for recorded in events {
            match EventEnvelope::from_recorded(recorded) {
                Ok((envelope, event)) => {
                    self.0.observe(&envelope, &event);
                    batch.push(Outgoing::Offer(envelope));
                }
                // Offer and Issuer events are published. Authorization sessions (`authz-…`,
                // the authorization-code flow's own records) and status lists stay in the
                // log and the audit view; what they lead to is on the offer's stream.
                Err(EnvelopeError::NotAnOffer(_)) => {
                    if let Some(issuer) = IssuerEnvelope::from_recorded(recorded)? {
                        batch.push(Outgoing::Issuer(issuer));
                    }
                }
                // Skipping would break "nothing is lost"; stopping keeps the relay on this
                // event until an operator fixes the code (e.g. deploys the upcaster).
                Err(e) => return Err(e.into()),
            }
        }
        // A batch of no published events still moves the checkpoint.
        let last = events.last().map_or(LogPosition::START, |e| e.position);
        self.0.deliver(batch, last).await
    }

    async fn check(&mut self) -> Result<(), RelayError> {
        self.0.check().await
    }
}

/// How the relay paces itself: it lets appends accumulate briefly after a wake-up.
const PACE: Pace = Pace {
    poll: POLL_INTERVAL,
    linger: Duration::from_millis(10),
    busy_linger: Duration::from_millis(10),
    hurry: None,
};

/// Relays until `shutdown`: catches up, then waits for local appends (or polls for other
/// nodes' appends). Returns `Ok` on shutdown and the first error otherwise, for the caller
/// to reconnect and back off.
pub async fn follow(
    store: Arc<dyn EventStore>,
    sink: &mut dyn RelaySink,
    batch_size: usize,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), RelayError> {
    let mut sink = EnvelopeSink(sink);
    follower::follow(
        &store,
        &mut sink,
        batch_size,
        PACE,
        &mut |_, _| {},
        shutdown,
    )
    .await
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
