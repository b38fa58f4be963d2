//! The exchange and queues, declared (idempotently) by every task before it publishes or
//! consumes, so that no event reaches the exchange before the callback queue is bound.
//!
//! ```text
//! relay ──▶ <exchange> (topic, durable) ──offer.created|credential_issued|completed|
//!                                          failed|expired|revoked──▶ <callback_queue> (quorum)
//! consumer: transient failure ──▶ <retry_prefix>.<delay>ms (TTL = delay) ──expired──▶ <callback_queue>
//!           permanent / exhausted ──▶ <dead_letter_queue> (quorum) ──pump──▶ dead_letters table
//! <callback_queue> rejects and delivery-limit overruns are dead-lettered to <dead_letter_queue>.
//! ```
//!
//! The delay queues are classic queues with a per-queue TTL: every message in one queue
//! expires in arrival order, so the head never blocks a shorter delay behind a longer one.
//! Each delay has its own queue (the delay is in the name), so changing the retry policy
//! creates new queues instead of conflicting with the arguments of existing ones.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

use super::error::{short, AmqpError};
use super::AmqpContext;
use issuance_domain::offer::{causes_callback, EVENT_TYPES};

use crate::integration::envelope::routing_key;

/// Redeliveries of one callback message before the broker dead-letters it (a message
/// that crashes the consumer again and again must not block the queue forever).
const DELIVERY_LIMIT: i32 = 20;

fn arg(table: &mut FieldTable, key: &str, value: AMQPValue) {
    table.insert(ShortString::from(key), value);
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value.to_string()))
}

/// Declares the exchange, the callback queue and its bindings, the dead-letter queue and
/// the delay queues.
pub async fn declare(channel: &Channel, context: &AmqpContext) -> Result<(), AmqpError> {
    let names = &context.settings;
    channel
        .exchange_declare(
            short(&names.exchange)?,
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;

    let mut dead_args = FieldTable::default();
    arg(&mut dead_args, "x-queue-type", text("quorum"));
    channel
        .queue_declare(
            short(&names.dead_letter_queue)?,
            QueueDeclareOptions::durable(),
            dead_args,
        )
        .await?;

    let mut callback_args = FieldTable::default();
    arg(&mut callback_args, "x-queue-type", text("quorum"));
    arg(&mut callback_args, "x-dead-letter-exchange", text(""));
    arg(
        &mut callback_args,
        "x-dead-letter-routing-key",
        text(&names.dead_letter_queue),
    );
    arg(
        &mut callback_args,
        "x-delivery-limit",
        AMQPValue::LongInt(DELIVERY_LIMIT),
    );
    channel
        .queue_declare(
            short(&names.callback_queue)?,
            QueueDeclareOptions::durable(),
            callback_args,
        )
        .await?;
    for event_type in EVENT_TYPES.into_iter().filter(|t| causes_callback(t)) {
        channel
            .queue_bind(
                short(&names.callback_queue)?,
                short(&names.exchange)?,
                short(&routing_key(event_type))?,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }

    for delay in context.policy.delays() {
        let mut retry_args = FieldTable::default();
        let ttl = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        arg(
            &mut retry_args,
            "x-message-ttl",
            AMQPValue::LongLongInt(ttl),
        );
        arg(&mut retry_args, "x-dead-letter-exchange", text(""));
        arg(
            &mut retry_args,
            "x-dead-letter-routing-key",
            text(&names.callback_queue),
        );
        channel
            .queue_declare(
                short(&context.retry_queue(delay))?,
                QueueDeclareOptions::durable(),
                retry_args,
            )
            .await?;
    }
    Ok(())
}
