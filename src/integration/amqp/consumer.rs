//! The AMQP callback consumer: works `<callback_queue>` with manual acks and a prefetch
//! window. Each delivery is acknowledged only after its effect is safe: the callback was
//! delivered (or needs none), or its next attempt / dead letter was published and
//! confirmed. A failed attempt travels through a delay queue and comes back with its
//! attempt count in the `x-issuance-attempt` header, so the schedule survives restarts of
//! the service (the messages live in RabbitMQ meanwhile).
//!
//! Deliveries of different offers are processed concurrently; deliveries of one offer run
//! one after another in queue order (which is log order). A retried callback can be
//! overtaken by a later one of the same offer: receivers order by `sequence`.
//!
//! Each callback takes a slot of its destination first (see
//! [`crate::integration::callbacks::destination`]). When the destination has none free,
//! the message is parked: re-published to the shortest delay queue with its attempt count
//! unchanged, and acknowledged, so a slow receiver never holds more than its own slots of
//! the prefetch window. The offer's next message is parked behind it, keeping their order.
//! When the destination's circuit is open, the attempt fails at once (no request) and
//! takes the usual retry path.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::types::ShortString;
use lapin::Channel;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::connection::{close, open_consumer};
use super::error::short;
use super::error::AmqpError;
use super::headers::{self, HeaderValue};
use super::publisher::{properties, publish_confirmed};
use super::AmqpContext;
use crate::component_health::HealthRegistry;
use crate::integration::callbacks::{Admission, CallbackProcessor, Disposition};
use crate::integration::envelope::EventEnvelope;
use crate::integration::relay::Backoff;

/// The health component the consumer reports as.
pub const HEALTH: &str = "callback_consumer";

/// How long a message the service could not work on waits before it is handed back.
const DEFER_DELAY: Duration = Duration::from_secs(1);

/// How long a stopping consumer waits for callbacks in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the consumer until `shutdown`, reconnecting with back-off.
pub async fn run(
    context: AmqpContext,
    processor: Arc<CallbackProcessor>,
    health: HealthRegistry,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    loop {
        match consume(&context, &processor, &health, &mut shutdown).await {
            Ok(()) => return,
            Err(error) => {
                health.set(HEALTH, false, format!("interrupted: {error}"));
                tracing::warn!(%error, "callback consumer lost RabbitMQ; reconnecting");
            }
        }
        if !backoff.wait(&mut shutdown).await {
            return;
        }
    }
}

/// One connection's life: consume until shutdown (`Ok`) or failure (`Err`).
async fn consume(
    context: &AmqpContext,
    processor: &Arc<CallbackProcessor>,
    health: &HealthRegistry,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), AmqpError> {
    // One channel publishes (confirm mode: next attempts, dead letters), one consumes.
    let (connection, publisher, mut consumer) = open_consumer(
        context,
        "callbacks",
        &context.settings.callback_queue,
        context.settings.prefetch,
    )
    .await?;
    health.set(HEALTH, true, "consuming");
    let mut chains = OfferChains::default();
    let mut in_flight = JoinSet::new();
    let result = loop {
        tokio::select! {
            next = consumer.next() => match next {
                Some(Ok(delivery)) => {
                    let offer = offer_of(&delivery);
                    let previous = chains.enqueue(offer);
                    let (done_tx, done_rx) = oneshot::channel::<Option<u64>>();
                    chains.finish_with(offer, done_rx);
                    let task = Handler {
                        context: context.clone(),
                        processor: processor.clone(),
                        publisher: publisher.clone(),
                    };
                    while in_flight.try_join_next().is_some() {}
                    in_flight.spawn(async move {
                        let previous_parked = match previous {
                            Some(previous) => previous.await.ok().flatten(),
                            None => None,
                        };
                        let parked = task.handle(delivery, previous_parked).await;
                        let _ = done_tx.send(parked);
                    });
                }
                Some(Err(error)) => break Err(error.into()),
                None => break Err(AmqpError::Closed("consumer cancelled".into())),
            },
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break Ok(());
                }
            }
        }
    };
    // Let in-flight callbacks finish and settle (bounded), so a graceful stop does not
    // make the broker redeliver what was just delivered.
    let drain = async { while in_flight.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
    close(&connection).await;
    result
}

fn offer_of(delivery: &Delivery) -> Option<Uuid> {
    serde_json::from_slice::<serde_json::Value>(&delivery.data)
        .ok()
        .and_then(|v| {
            v.get("offer_id")?
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
        })
}

/// Serialises the handling of one offer's deliveries: each waits for the previous one of
/// the same offer to finish.
#[derive(Default)]
struct OfferChains {
    tails: HashMap<Uuid, oneshot::Receiver<Option<u64>>>,
}

impl OfferChains {
    /// The completion signal of the offer's latest delivery, if one is still in flight.
    fn enqueue(&mut self, offer: Option<Uuid>) -> Option<oneshot::Receiver<Option<u64>>> {
        if self.tails.len() > 1024 {
            // Forget finished chains (their sender was dropped).
            self.tails
                .retain(|_, rx| matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty)));
        }
        self.tails.remove(&offer?)
    }

    fn finish_with(&mut self, offer: Option<Uuid>, done: oneshot::Receiver<Option<u64>>) {
        if let Some(offer) = offer {
            self.tails.insert(offer, done);
        }
    }
}

/// Handles one delivery.
struct Handler {
    context: AmqpContext,
    processor: Arc<CallbackProcessor>,
    publisher: Channel,
}

impl Handler {
    /// Handles one delivery; returns its sequence if it was parked. `previous_parked`: the
    /// sequence of the offer's previous delivery if that was parked; an earlier callback
    /// of the offer waiting in the delay queue is not overtaken.
    async fn handle(self, delivery: Delivery, previous_parked: Option<u64>) -> Option<u64> {
        let Ok(envelope) = serde_json::from_slice::<EventEnvelope>(&delivery.data) else {
            tracing::error!("callback queue message is not an event envelope; dead-lettering it");
            settle(
                delivery
                    .nack(BasicNackOptions {
                        requeue: false,
                        multiple: false,
                    })
                    .await,
            );
            return None;
        };
        let attempt = headers::attempt(&delivery.properties);
        if previous_parked.is_some_and(|sequence| sequence < envelope.sequence) {
            return self.park(&delivery, &envelope, attempt).await;
        }
        let disposition = match self.processor.prepare(&envelope).await {
            Err(disposition) => disposition,
            Ok(prepared) => match self
                .processor
                .destinations()
                .try_acquire(&prepared.destination)
            {
                Admission::Permit(permit) => self.processor.send(&prepared, permit, attempt).await,
                Admission::Open => self.processor.circuit_open(&prepared, attempt),
                Admission::Saturated => return self.park(&delivery, &envelope, attempt).await,
            },
        };
        let forwarded = match disposition {
            Disposition::Done => Ok(()),
            Disposition::Retry { reason, delay } => {
                self.forward_retry(&envelope, attempt, &reason, delay).await
            }
            Disposition::Dead { reason, status } => {
                let status = status.map(|s| s.as_str().to_string());
                self.forward_dead(&envelope, attempt, &reason, status).await
            }
            Disposition::Defer(reason) => {
                tracing::warn!(%reason, "cannot process callback now; handing it back");
                tokio::time::sleep(DEFER_DELAY).await;
                hand_back(&delivery).await;
                return None;
            }
        };
        self.acknowledge(&delivery, forwarded).await;
        None
    }

    /// Parks a delivery whose destination has no free slot: into the shortest delay queue
    /// (the queue's own TTL, so parked messages come back in the order they left), attempt
    /// count unchanged. Returns its sequence if it was parked (else it was handed back).
    async fn park(
        &self,
        delivery: &Delivery,
        envelope: &EventEnvelope,
        attempt: u32,
    ) -> Option<u64> {
        let queue = self.context.retry_queue(self.processor.policy().delay(1));
        let entries = [
            (headers::ATTEMPT, HeaderValue::Int(i64::from(attempt))),
            (
                headers::REASON,
                HeaderValue::Text("destination busy; parked".into()),
            ),
        ];
        let forwarded = self.forward(&queue, envelope, &entries, None).await;
        let parked = forwarded.is_ok().then_some(envelope.sequence);
        self.acknowledge(delivery, forwarded).await;
        parked
    }

    /// Acknowledges a delivery whose effect is safe, or hands it back.
    async fn acknowledge(&self, delivery: &Delivery, forwarded: Result<(), AmqpError>) {
        match forwarded {
            Ok(()) => settle(delivery.ack(BasicAckOptions::default()).await),
            Err(error) => {
                // Not acknowledged: the broker hands it out again (now, or after the
                // reconnection if the channel is gone).
                tracing::warn!(%error, "cannot forward callback message; handing it back");
                hand_back(delivery).await;
            }
        }
    }

    /// Publishes the next attempt to the delay queue of the nominal delay, with the
    /// jittered delay as the message's own TTL (never longer than the queue's).
    async fn forward_retry(
        &self,
        envelope: &EventEnvelope,
        attempt: u32,
        reason: &str,
        delay: Duration,
    ) -> Result<(), AmqpError> {
        let queue = self
            .context
            .retry_queue(self.processor.policy().delay(attempt));
        let entries = [
            (headers::ATTEMPT, HeaderValue::Int(i64::from(attempt) + 1)),
            (headers::REASON, HeaderValue::Text(reason.to_string())),
        ];
        let expiration = short(&delay.as_millis().to_string())?;
        self.forward(&queue, envelope, &entries, Some(expiration))
            .await
    }

    /// Publishes the callback to the dead-letter queue with why it died.
    async fn forward_dead(
        &self,
        envelope: &EventEnvelope,
        attempt: u32,
        reason: &str,
        status: Option<String>,
    ) -> Result<(), AmqpError> {
        let mut entries = vec![
            (headers::ATTEMPT, HeaderValue::Int(i64::from(attempt))),
            (headers::REASON, HeaderValue::Text(reason.to_string())),
        ];
        if let Some(status) = status {
            entries.push((headers::STATUS, HeaderValue::Text(status)));
        }
        let queue = &self.context.settings.dead_letter_queue;
        self.forward(queue, envelope, &entries, None).await
    }

    /// Publishes the envelope straight to `queue` (default exchange) and waits for the
    /// broker's confirm.
    async fn forward(
        &self,
        queue: &str,
        envelope: &EventEnvelope,
        entries: &[(&str, HeaderValue)],
        expiration: Option<ShortString>,
    ) -> Result<(), AmqpError> {
        let body = serde_json::to_vec(envelope).map_err(|e| AmqpError::Invalid(e.to_string()))?;
        let mut props = properties(envelope)?.with_headers(headers::table(entries));
        if let Some(expiration) = expiration {
            props = props.with_expiration(expiration);
        }
        publish_confirmed(&self.publisher, "", queue, &body, props).await
    }
}

/// Returns a delivery to the queue without counting an attempt.
async fn hand_back(delivery: &Delivery) {
    let options = BasicNackOptions {
        requeue: true,
        multiple: false,
    };
    settle(delivery.nack(options).await);
}

/// Logs an acknowledgement that did not reach the broker (lapin answers `Ok(false)` on a
/// dead channel): the broker redelivers such a message, which is harmless.
fn settle(result: Result<bool, lapin::Error>) {
    match result {
        Ok(true) => {}
        Ok(false) => tracing::debug!("acknowledgement not sent: the channel is gone"),
        Err(error) => tracing::debug!(%error, "acknowledgement failed"),
    }
}
