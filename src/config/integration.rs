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
            prefetch: 512,
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
    /// In-process delivery: callbacks in flight at once, over all destinations.
    pub concurrency: usize,
    /// Callbacks in flight at once to one destination (scheme, host and port), in either
    /// transport; further callbacks for it wait without holding a shared worker.
    pub per_destination_concurrency: usize,
    /// Consecutive failed attempts (timeouts, connection errors, 408, 429, 5xx) after which
    /// a destination's circuit opens: its callbacks then fail at once, without a request,
    /// until a probe succeeds.
    pub breaker_failures: u32,
    /// How long an open circuit stays open before one probe is let through, milliseconds.
    pub breaker_open_ms: u64,
    /// Networks (CIDR, e.g. `10.20.0.0/16`) that an offer's own `callback_url` may resolve
    /// to although they are loopback, private, link-local or otherwise not public. Empty:
    /// per-offer callbacks go to public addresses only. The configured default
    /// `callback_url` is trusted and not checked.
    pub allowed_networks: Vec<String>,
    /// `/health/ready` reports the callbacks as degraded when the oldest undelivered
    /// callback is older than this, milliseconds (0: never).
    pub degraded_after_ms: u64,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        CallbackPolicy {
            // 1 s, 2 s, 4 s, … 64 s, then 5-minute steps: about 11 minutes in all.
            max_attempts: 10,
            base_delay_ms: 1_000,
            max_delay_ms: 300_000,
            timeout_ms: 10_000,
            // 64 in flight to one receiver sustain about twice the callbacks of the maximum
            // issuance rate (BENCHMARKS.md); eight stalled receivers fill the 512 places.
            concurrency: 512,
            per_destination_concurrency: 128,
            breaker_failures: 5,
            breaker_open_ms: 10_000,
            allowed_networks: Vec::new(),
            degraded_after_ms: 300_000,
        }
    }
}

impl CallbackPolicy {
    /// The timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The parsed [`CallbackPolicy::allowed_networks`] (validated at start-up; an entry
    /// that does not parse is left out).
    pub fn allowed_networks(&self) -> Vec<ipnet::IpNet> {
        self.allowed_networks
            .iter()
            .filter_map(|n| parse_network(n))
            .collect()
    }
}

/// A network in CIDR notation, or a single address (`127.0.0.1` = `127.0.0.1/32`).
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
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
/// Prefetch places per callback slot of one destination (see [`validate`]).
const PREFETCH_PER_DESTINATION_SLOT: usize = 4;

pub(super) fn validate(
    (amqp, broker): (&AmqpSettings, bool),
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
    // A slow receiver holds up to twice its slots of the window (its requests, and its
    // offers' next messages waiting behind them); at least half must stay for the others.
    let window_for_others = PREFETCH_PER_DESTINATION_SLOT * callbacks.per_destination_concurrency;
    if broker && usize::from(amqp.prefetch) < window_for_others {
        problems.push((
            "amqp.prefetch",
            format!(
                "must be at least {PREFETCH_PER_DESTINATION_SLOT} x callbacks.per_destination_concurrency \
                 ({window_for_others}), so that one slow receiver cannot fill the prefetch window"
            ),
        ));
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
    if callbacks.concurrency == 0 || callbacks.concurrency > 10_000 {
        problems.push(("callbacks.concurrency", "must be within 1..=10000".into()));
    }
    if callbacks.per_destination_concurrency == 0 || callbacks.per_destination_concurrency > 1_000 {
        problems.push((
            "callbacks.per_destination_concurrency",
            "must be within 1..=1000".into(),
        ));
    }
    if callbacks.breaker_failures == 0 {
        problems.push(("callbacks.breaker_failures", "must be at least 1".into()));
    }
    if callbacks.breaker_open_ms < 10 || callbacks.breaker_open_ms > 3_600_000 {
        problems.push((
            "callbacks.breaker_open_ms",
            "must be within 10..=3600000".into(),
        ));
    }
    for network in &callbacks.allowed_networks {
        if parse_network(network).is_none() {
            problems.push((
                "callbacks.allowed_networks",
                format!("`{network}` is not a network like 10.0.0.0/8 or an IP address"),
            ));
        }
    }
    if scheduler.expiry_interval_ms < 10 || scheduler.expiry_interval_ms > 3_600_000 {
        problems.push((
            "scheduler.expiry_interval_ms",
            "must be within 10..=3600000".into(),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(prefetch: u16, per_destination: usize, broker: bool) -> Vec<&'static str> {
        let amqp = AmqpSettings {
            prefetch,
            ..AmqpSettings::default()
        };
        let callbacks = CallbackPolicy {
            per_destination_concurrency: per_destination,
            ..CallbackPolicy::default()
        };
        validate((&amqp, broker), &callbacks, &SchedulerSettings::default())
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[test]
    fn the_defaults_leave_half_the_prefetch_window_to_other_receivers() {
        assert!(problems(512, 128, true).is_empty());
        assert!(problems(512, 129, false).is_empty(), "no broker, no window");
    }

    #[test]
    fn a_window_one_slow_receiver_could_fill_is_refused_with_a_broker() {
        assert_eq!(problems(128, 64, true), ["amqp.prefetch"]);
        assert_eq!(problems(511, 128, true), ["amqp.prefetch"]);
        assert!(problems(128, 32, true).is_empty());
    }
}
