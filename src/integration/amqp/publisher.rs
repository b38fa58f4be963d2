//! The AMQP relay: publishes every event to the exchange, persistent, with publisher
//! confirms, and stores its checkpoint only after the broker confirmed the whole batch.
//!
//! A batch is published back to back and then its confirms are awaited together (one
//! round trip per batch instead of per event). One channel publishes in log order, so
//! RabbitMQ keeps each offer's messages in sequence order in every queue.

use std::sync::Arc;

use async_trait::async_trait;
use issuance_eventlog::LogPosition;
use lapin::options::BasicPublishOptions;
use lapin::types::ShortString;
use lapin::Confirmation;
use lapin::{BasicProperties, Channel};
use tokio::sync::watch;
use tracing::Instrument;

use super::connection::open;
use super::error::{short, AmqpError};
use super::AmqpContext;
use crate::component_health::HealthRegistry;
use crate::integration::envelope::EventEnvelope;
use crate::integration::relay::{self, Backoff, Outgoing, RelayError, RelaySink};
use crate::integration::store::IntegrationStore;
use crate::store::EventStore;

/// The AMQP relay's checkpoint name.
pub const CHECKPOINT: &str = "amqp_relay";

/// The health component the relay reports as.
pub const HEALTH: &str = "broker";

/// Persistent delivery mode.
const PERSISTENT: u8 = 2;

/// The properties of an event message.
pub fn properties(envelope: &EventEnvelope) -> Result<BasicProperties, AmqpError> {
    message_properties(
        envelope.event_id,
        &envelope.event_type,
        envelope.occurred_at,
    )
}

fn message_properties(
    event_id: uuid::Uuid,
    event_type: &str,
    occurred_at: chrono::DateTime<chrono::Utc>,
) -> Result<BasicProperties, AmqpError> {
    Ok(BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_content_type(ShortString::from("application/json"))
        .with_message_id(short(&event_id.to_string())?)
        .with_type(short(event_type)?)
        .with_timestamp(u64::try_from(occurred_at.timestamp()).unwrap_or(0)))
}

/// The routing key, body and properties of a relayed message.
fn message(outgoing: &Outgoing) -> Result<(String, Vec<u8>, BasicProperties), AmqpError> {
    let invalid = |e: serde_json::Error| AmqpError::Invalid(e.to_string());
    Ok(match outgoing {
        Outgoing::Offer(envelope) => (
            envelope.routing_key(),
            serde_json::to_vec(envelope).map_err(invalid)?,
            properties(envelope)?,
        ),
        Outgoing::Issuer(envelope) => (
            envelope.routing_key(),
            serde_json::to_vec(envelope).map_err(invalid)?,
            message_properties(
                envelope.event_id,
                &envelope.event_type,
                envelope.occurred_at,
            )?,
        ),
    })
}

/// Publishes on a confirm-mode channel and waits for the confirm.
pub async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    body: &[u8],
    properties: BasicProperties,
) -> Result<(), AmqpError> {
    let confirm = channel
        .basic_publish(
            short(exchange)?,
            short(routing_key)?,
            BasicPublishOptions::default(),
            body,
            properties,
        )
        .await?
        .await?;
    check(confirm)
}

fn check(confirm: Confirmation) -> Result<(), AmqpError> {
    match confirm {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) => Err(AmqpError::NotConfirmed(format!(
            "returned: {}",
            returned.reply_text
        ))),
        Confirmation::Nack(_) => Err(AmqpError::NotConfirmed("nack".into())),
        Confirmation::NotRequested => Err(AmqpError::NotConfirmed(
            "confirms not enabled on the channel".into(),
        )),
    }
}

/// The relay's sink: a confirm-mode channel and the checkpoint store.
struct AmqpSink {
    channel: Channel,
    store: Arc<dyn IntegrationStore>,
    exchange: String,
}

#[async_trait]
impl RelaySink for AmqpSink {
    async fn checkpoint(&mut self) -> Result<LogPosition, RelayError> {
        Ok(self.store.checkpoint(CHECKPOINT).await?)
    }

    async fn deliver(&mut self, batch: Vec<Outgoing>, last: LogPosition) -> Result<(), RelayError> {
        let span = tracing::debug_span!("amqp_publish", events = batch.len());
        self.publish(&batch).instrument(span).await?;
        Ok(self.store.save_checkpoint(CHECKPOINT, last).await?)
    }

    async fn check(&mut self) -> Result<(), RelayError> {
        if self.channel.status().connected() {
            Ok(())
        } else {
            Err(RelayError::Sink("the channel to RabbitMQ is closed".into()))
        }
    }
}

impl AmqpSink {
    /// Publishes the batch back to back, then awaits its confirms.
    async fn publish(&self, batch: &[Outgoing]) -> Result<(), AmqpError> {
        let mut confirms = Vec::with_capacity(batch.len());
        for outgoing in batch {
            let (routing_key, body, properties) = message(outgoing)?;
            let confirm = self
                .channel
                .basic_publish(
                    short(&self.exchange)?,
                    short(&routing_key)?,
                    BasicPublishOptions::default(),
                    &body,
                    properties,
                )
                .await?;
            confirms.push(confirm);
        }
        // Confirms arrive in publish order; every one must be a plain ack before the
        // checkpoint may move past the batch.
        for confirm in confirms {
            check(confirm.await?)?;
        }
        Ok(())
    }
}

/// Runs the AMQP relay until `shutdown`, reconnecting with back-off. Reports the broker's
/// reachability as the `broker` health component.
pub async fn run_relay(
    context: AmqpContext,
    events: Arc<dyn EventStore>,
    store: Arc<dyn IntegrationStore>,
    health: HealthRegistry,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    loop {
        match open(&context, "relay").await {
            Ok((connection, channel)) => {
                health.set(HEALTH, true, "connected");
                backoff.reset();
                tracing::info!("event relay connected to RabbitMQ");
                let mut sink = AmqpSink {
                    channel,
                    store: store.clone(),
                    exchange: context.settings.exchange.clone(),
                };
                let result = relay::follow(
                    events.clone(),
                    &mut sink,
                    context.settings.publish_batch,
                    &mut shutdown,
                )
                .await;
                let _ = connection
                    .close(200, ShortString::from("shutting down"))
                    .await;
                match result {
                    Ok(()) => return,
                    Err(error) => {
                        health.set(HEALTH, false, format!("relay interrupted: {error}"));
                        tracing::warn!(%error, "event relay lost RabbitMQ; reconnecting");
                    }
                }
            }
            Err(error) => {
                health.set(HEALTH, false, format!("unreachable: {error}"));
                tracing::warn!(%error, "cannot reach RabbitMQ; retrying");
            }
        }
        if !backoff.wait(&mut shutdown).await {
            return;
        }
    }
}
