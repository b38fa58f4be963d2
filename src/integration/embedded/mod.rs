//! In-process delivery (no `amqp_url`): the relay writes callback-relevant events into a
//! durable outbox (rows, each with its destination, and the checkpoint in one
//! transaction) and wakes the consumer ([`pipeline`]), which delivers each offer's
//! callbacks strictly in order, with the same processor, retry schedule and dead letters as
//! the AMQP transport. Nothing is lost across a restart: an undelivered row stays in the
//! outbox until it is delivered or dead-lettered.

pub mod pipeline;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_domain::offer::OfferEvent;
use issuance_eventlog::LogPosition;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

pub use self::pipeline::run_consumer;
use super::callbacks::destination::destination_of;
use super::callbacks::CallbackProcessor;
use super::envelope::EventEnvelope;
use super::relay::{self, Backoff, Outgoing, RelayError, RelaySink};
use super::store::{IntegrationStore, NewCallback};
use crate::app::offers::OfferRepository;
use crate::clock::Clock;
use crate::store::EventStore;

/// The embedded relay's checkpoint name.
pub const CHECKPOINT: &str = "callback_outbox";

/// Events read per relay batch.
const BATCH: usize = 500;

/// Decides whether an offer's callbacks go anywhere at all.
#[derive(Clone)]
pub struct CallbackTargets {
    /// The configured default callback URL.
    pub default_url: Option<String>,
    /// Offers (their own `callback_url`), read through the repository's state cache.
    pub offers: OfferRepository,
}

/// Where an offer's callbacks go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// Nowhere: no URL of its own and no default.
    Nowhere,
    /// To this destination (`None`: not known, the consumer finds out).
    To(Option<String>),
}

impl CallbackTargets {
    /// Where callbacks of an offer with callback URL `own` go.
    fn target_of(&self, own: Option<&str>) -> Target {
        match own.or(self.default_url.as_deref()) {
            Some(url) => Target::To(Some(destination_of(url))),
            None => Target::Nowhere,
        }
    }

    /// Where callbacks of `offer_id` go. Offers without a destination are kept out of the
    /// outbox (two read-store writes per event saved). When in doubt (store error), into
    /// the outbox with the destination left for the consumer to find.
    async fn target(&self, offer_id: Uuid) -> Target {
        // An offer's callback URL never changes: a cached state, even an old one, tells.
        match self.offers.load_accepting(offer_id, |_| true).await {
            Ok(offer) => match offer.definition {
                Some(definition) => self.target_of(definition.callback_url.as_deref()),
                None => Target::To(None),
            },
            Err(_) => Target::To(None),
        }
    }
}

/// The relay's sink: the outbox.
struct OutboxSink {
    store: Arc<dyn IntegrationStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    targets: CallbackTargets,
    /// Recent answers of [`CallbackTargets::target`] (or `OfferCreated` events): an offer's
    /// events follow each other closely, so one lookup serves them all (and a replay of
    /// history does one per offer).
    recent: HashMap<Uuid, Target>,
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
    fn remember(&mut self, offer_id: Uuid, target: Target) {
        if self.recent.len() >= RECENT_DECISIONS {
            self.recent.clear();
        }
        self.recent.insert(offer_id, target);
    }

    /// Stores the held checkpoint (with nothing else).
    async fn store_held(&mut self) -> Result<(), RelayError> {
        if let Some(last) = self.held {
            self.store
                .enqueue_callbacks(CHECKPOINT, Vec::new(), last, self.clock.now())
                .await?;
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
            .map_err(RelayError::from)
    }

    async fn deliver(&mut self, batch: Vec<Outgoing>, last: LogPosition) -> Result<(), RelayError> {
        let mut relevant = Vec::new();
        // Callbacks come from offer events only; the in-process transport has no use for
        // the others.
        let offers = batch.into_iter().filter_map(|outgoing| match outgoing {
            Outgoing::Offer(envelope) => Some(envelope),
            Outgoing::Issuer(_) => None,
        });
        for envelope in offers.filter(CallbackProcessor::is_relevant) {
            let target = match self.recent.get(&envelope.offer_id) {
                Some(target) => target.clone(),
                None => {
                    let target = self.targets.target(envelope.offer_id).await;
                    self.remember(envelope.offer_id, target.clone());
                    target
                }
            };
            if let Target::To(destination) = target {
                relevant.push(NewCallback {
                    envelope,
                    destination,
                });
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
            .await?;
        self.held = None;
        self.stored_at = std::time::Instant::now();
        self.wake.notify_one();
        Ok(())
    }

    fn observe(&mut self, envelope: &EventEnvelope, event: &OfferEvent) {
        if let OfferEvent::OfferCreated(created) = event {
            let target = self.targets.target_of(created.callback_url.as_deref());
            self.remember(envelope.offer_id, target);
        }
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
