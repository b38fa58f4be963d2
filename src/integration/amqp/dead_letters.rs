//! The dead-letter pump: drains `<dead_letter_queue>` into the integration store's
//! dead-letter table (acknowledging each message only after it is stored), where the
//! management API lists them, and re-publishes the dead letters an admin re-queued to the
//! callback queue (deleting each only after the broker confirmed it).
//!
//! Keeping dead letters in a table rather than browsing the queue gives stable ids,
//! paging and re-queueing of single messages without the reordering and redelivery counts
//! that peeking into a queue (get + reject) causes.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::BasicAckOptions;
use lapin::Channel;
use tokio::sync::{watch, Notify};

use super::connection::{close, open_consumer};
use super::error::AmqpError;
use super::headers::{self, HeaderValue};
use super::publisher::{properties, publish_confirmed};
use super::AmqpContext;
use crate::clock::Clock;
use crate::integration::envelope::EventEnvelope;
use crate::integration::relay::Backoff;
use crate::integration::store::{DeadLetter, IntegrationStore};

/// How often re-queue requests are looked for without being woken.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Re-queued dead letters re-published per round.
const REQUEUE_BATCH: usize = 100;

/// Runs the pump until `shutdown`, reconnecting with back-off. `wake` is notified when an
/// admin re-queues dead letters.
pub async fn run(
    context: AmqpContext,
    store: Arc<dyn IntegrationStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    loop {
        let pump = Pump {
            context: &context,
            store: store.as_ref(),
            clock: clock.as_ref(),
        };
        match pump.run(&wake, &mut shutdown).await {
            Ok(()) => return,
            Err(error) => tracing::warn!(%error, "dead-letter pump lost RabbitMQ; reconnecting"),
        }
        if !backoff.wait(&mut shutdown).await {
            return;
        }
    }
}

struct Pump<'a> {
    context: &'a AmqpContext,
    store: &'a dyn IntegrationStore,
    clock: &'a dyn Clock,
}

/// A pump failure: the broker, or the store (then the connection is rebuilt too, which
/// hands unacknowledged messages back).
#[derive(Debug, thiserror::Error)]
enum PumpError {
    #[error(transparent)]
    Broker(#[from] AmqpError),
    #[error(transparent)]
    Store(#[from] crate::integration::store::IntegrationStoreError),
}

impl From<lapin::Error> for PumpError {
    fn from(error: lapin::Error) -> Self {
        PumpError::Broker(error.into())
    }
}

impl Pump<'_> {
    async fn run(
        &self,
        wake: &Notify,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), PumpError> {
        let (connection, publisher, mut consumer) = open_consumer(
            self.context,
            "dead-letters",
            &self.context.settings.dead_letter_queue,
            64,
        )
        .await?;
        let result = loop {
            tokio::select! {
                next = consumer.next() => match next {
                    Some(Ok(delivery)) => {
                        if let Err(error) = self.record(delivery).await {
                            break Err(error);
                        }
                    }
                    Some(Err(error)) => break Err(error.into()),
                    None => break Err(AmqpError::Closed("consumer cancelled".into()).into()),
                },
                _ = wake.notified() => {
                    if let Err(error) = self.requeue(&publisher).await {
                        break Err(error);
                    }
                }
                _ = tokio::time::sleep(POLL_INTERVAL) => {
                    if let Err(error) = self.requeue(&publisher).await {
                        break Err(error);
                    }
                }
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break Ok(());
                    }
                }
            }
        };
        close(&connection).await;
        result
    }

    /// Stores one dead-lettered message, then acknowledges it.
    async fn record(&self, delivery: Delivery) -> Result<(), PumpError> {
        match serde_json::from_slice::<EventEnvelope>(&delivery.data) {
            Ok(event) => {
                let properties = &delivery.properties;
                let reason = headers::text(properties, headers::REASON)
                    .or_else(|| {
                        headers::broker_death_reason(properties)
                            .map(|r| format!("dead-lettered by RabbitMQ: {r}"))
                    })
                    .unwrap_or_else(|| "dead-lettered".into());
                let dead = DeadLetter {
                    id: event.event_id,
                    offer_id: event.offer_id,
                    status: headers::text(properties, headers::STATUS),
                    attempts: headers::attempt(properties),
                    reason,
                    dead_at: self.clock.now(),
                    requeue_requested: false,
                    event,
                };
                self.store.record_dead_letter(dead).await?;
            }
            // Not an envelope: nothing could ever deliver it; keep a trace, drop it.
            Err(error) => tracing::error!(%error, "dropping an unreadable dead letter"),
        }
        if !delivery.ack(BasicAckOptions::default()).await? {
            return Err(AmqpError::Closed("acknowledgement not delivered".into()).into());
        }
        Ok(())
    }

    /// Re-publishes re-queued dead letters as fresh first attempts.
    async fn requeue(&self, publisher: &Channel) -> Result<(), PumpError> {
        for dead in self.store.requeue_requests(REQUEUE_BATCH).await? {
            let body =
                serde_json::to_vec(&dead.event).map_err(|e| AmqpError::Invalid(e.to_string()))?;
            let props = properties(&dead.event)?
                .with_headers(headers::table(&[(headers::ATTEMPT, HeaderValue::Int(1))]));
            publish_confirmed(
                publisher,
                "",
                &self.context.settings.callback_queue,
                &body,
                props,
            )
            .await?;
            self.store.remove_dead_letter(dead.id).await?;
            tracing::info!(offer_id = %dead.offer_id, delivery = %dead.id, "dead letter re-queued");
        }
        Ok(())
    }
}
