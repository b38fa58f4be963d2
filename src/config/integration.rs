//! Settings of the integration side: RabbitMQ names (`[amqp]`), the status-callback retry
//! policy (`[callbacks]`) and the expiry scheduler (`[scheduler]`).
//!
//! The names default to the contract in api.md; they are configurable so that several
//! deployments (or parallel tests) can share one broker without seeing each other's
//! messages.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// RabbitMQ topology and client behaviour. Only used when `amqp_url` is set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AmqpSettings {
    /// The durable topic exchange every event is published to.
    pub exchange: String,
    /// The callback consumer's durable (quorum) queue.
    pub callback_queue: String,
    /// Where undeliverable callbacks end up.
    pub dead_letter_queue: String,
    /// Prefix of the delay queues that hold callbacks between attempts
    /// (`<prefix>.<delay ms>`; one queue per delay, so a policy change never conflicts
    /// with the arguments of an existing queue).
    pub retry_queue_prefix: String,
    /// Unacknowledged callback deliveries per consumer.
    pub prefetch: u16,
    /// Events published per batch before waiting for the broker's confirms.
    pub publish_batch: usize,
    /// Connection name shown by RabbitMQ (`rabbitmqctl list_connections name`); each of
    /// the service's connections appends its role (`/relay`, `/callbacks`, `/dead-letters`).
    pub connection_name: String,
    /// How long start-up waits for the broker when `require_broker` is set, milliseconds.
    pub connect_timeout_ms: u64,
}

impl Default for AmqpSettings {
    fn default() -> Self {
        AmqpSettings {
            exchange: "issuance.events".into(),
            callback_queue: "issuance.callbacks".into(),
            dead_letter_queue: "issuance.callbacks.dead".into(),
            retry_queue_prefix: "issuance.callbacks.retry".into(),
            prefetch: 32,
            publish_batch: 256,
            connection_name: "issuance".into(),
            connect_timeout_ms: 10_000,
        }
    }
}

/// How status callbacks are retried.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CallbackPolicy {
    /// Attempts in total (the first one included) before a callback is dead-lettered.
    pub max_attempts: u32,
    /// Delay after the first failed attempt, milliseconds; doubled after each further one.
    pub base_delay_ms: u64,
    /// Longest delay between two attempts, milliseconds.
    pub max_delay_ms: u64,
    /// Timeout of one HTTP attempt (connect + response), milliseconds.
    pub timeout_ms: u64,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        CallbackPolicy {
            // 1 s, 2 s, 4 s, … 64 s, then 5-minute steps: about 11 minutes in all.
            max_attempts: 10,
            base_delay_ms: 1_000,
            max_delay_ms: 300_000,
            timeout_ms: 10_000,
        }
    }
}

impl CallbackPolicy {
    /// The timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Background schedulers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSettings {
    /// How often the expiry scheduler looks for offers past their deadline, milliseconds.
    pub expiry_interval_ms: u64,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            expiry_interval_ms: 1_000,
        }
    }
}

/// Problems with these sections, as `(field, problem)`.
pub(super) fn validate(
    amqp: &AmqpSettings,
    callbacks: &CallbackPolicy,
    scheduler: &SchedulerSettings,
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    for (field, name) in [
        ("amqp.exchange", &amqp.exchange),
        ("amqp.callback_queue", &amqp.callback_queue),
        ("amqp.dead_letter_queue", &amqp.dead_letter_queue),
        ("amqp.retry_queue_prefix", &amqp.retry_queue_prefix),
        ("amqp.connection_name", &amqp.connection_name),
    ] {
        // AMQP short strings hold 255 bytes; leave room for suffixes.
        if name.is_empty() || name.len() > 200 || name.starts_with("amq.") {
            problems.push((
                field,
                format!("`{name}` must be 1 to 200 bytes and not start with `amq.`"),
            ));
        }
    }
    if amqp.prefetch == 0 {
        problems.push(("amqp.prefetch", "must be at least 1".into()));
    }
    if amqp.publish_batch == 0 || amqp.publish_batch > 10_000 {
        problems.push(("amqp.publish_batch", "must be within 1..=10000".into()));
    }
    if callbacks.max_attempts == 0 || callbacks.max_attempts > 100 {
        problems.push(("callbacks.max_attempts", "must be within 1..=100".into()));
    }
    if callbacks.base_delay_ms == 0 || callbacks.base_delay_ms > callbacks.max_delay_ms {
        problems.push((
            "callbacks.base_delay_ms",
            "must be at least 1 and at most callbacks.max_delay_ms".into(),
        ));
    }
    if callbacks.max_delay_ms > 86_400_000 {
        problems.push(("callbacks.max_delay_ms", "must be at most one day".into()));
    }
    if callbacks.timeout_ms < 100 || callbacks.timeout_ms > 300_000 {
        problems.push(("callbacks.timeout_ms", "must be within 100..=300000".into()));
    }
    if scheduler.expiry_interval_ms < 10 || scheduler.expiry_interval_ms > 3_600_000 {
        problems.push((
            "scheduler.expiry_interval_ms",
            "must be within 10..=3600000".into(),
        ));
    }
    problems
}
