//! How far behind status callbacks are (issue 17 §3): the undelivered callbacks and the
//! age of the oldest one, per destination (`scheme://host:port`: never a path or query,
//! which may carry secrets), as `/health/ready` and `/metrics` report them.
//!
//! In process, the outbox holds every undelivered callback, on every node alike. Over
//! RabbitMQ, messages still queued in the broker are not visible to the service (the
//! broker's queue metrics show them); the report covers the callbacks this node has taken
//! up and not finished: in flight, parked behind a busy destination, or waiting for a retry.
//!
//! A destination whose oldest undelivered callback is older than
//! `callbacks.degraded_after_ms` is *degraded*. Readiness stays 200 then, with status
//! `degraded`: every node shares the same backlog, so taking nodes out of a load balancer
//! would stop issuance everywhere without delivering a callback sooner.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::callbacks::destination::DestinationState;
use super::store::DestinationBacklog;
use crate::metrics::Metrics;

/// Destinations listed by name before the rest are summed up as `other`.
pub const LISTED: usize = 20;

/// One destination's backlog.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationLag {
    /// `scheme://host:port`, `unknown` (not resolved yet) or `other` (the rest, summed).
    pub destination: String,
    /// Undelivered callbacks.
    pub depth: u64,
    /// Age of the oldest of them (from its event's time), seconds.
    pub oldest_age_seconds: f64,
    /// Older than the threshold.
    pub degraded: bool,
    /// Whether it is the configured default callback URL's destination.
    pub default: bool,
    /// Callbacks in flight to it on this node.
    pub in_flight: usize,
    /// Its circuit on this node: `closed`, `open` or `half_open`.
    pub circuit: &'static str,
}

/// The callback backlog of the whole service (in process) or of this node (RabbitMQ).
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackLag {
    /// `outbox` or `node`.
    pub scope: &'static str,
    /// Undelivered callbacks in all.
    pub depth: u64,
    /// Age of the oldest, seconds (0 when there is none).
    pub oldest_age_seconds: f64,
    /// The threshold (`None`: never degraded).
    pub degraded_after: Option<Duration>,
    /// Some destination is past the threshold.
    pub degraded: bool,
    /// The oldest first, at most [`LISTED`] and then `other`.
    pub destinations: Vec<DestinationLag>,
}

/// What [`CallbackLag::measure`] works from.
pub struct LagInputs<'a> {
    /// `outbox` or `node`.
    pub scope: &'static str,
    /// The backlog per destination.
    pub backlog: Vec<DestinationBacklog>,
    /// The destinations' slots and circuits on this node.
    pub states: Vec<DestinationState>,
    /// The configured default callback URL's destination.
    pub default_destination: Option<&'a str>,
    /// The threshold.
    pub degraded_after: Option<Duration>,
    /// Now.
    pub now: DateTime<Utc>,
}

impl CallbackLag {
    /// Sets the callback backlog gauges of `metrics` (destinations that drained disappear).
    pub fn record(&self, metrics: &Metrics) {
        metrics.callback_backlog.reset();
        metrics.callback_oldest_age.reset();
        for destination in &self.destinations {
            let label = [destination.destination.as_str()];
            metrics
                .callback_backlog
                .with_label_values(&label)
                .set(i64::try_from(destination.depth).unwrap_or(i64::MAX));
            metrics
                .callback_oldest_age
                .with_label_values(&label)
                .set(destination.oldest_age_seconds);
        }
        metrics.callbacks_degraded.set(i64::from(self.degraded));
    }

    /// Ages, thresholds and the listing from a backlog.
    pub fn measure(inputs: LagInputs<'_>) -> CallbackLag {
        let age = |oldest: Option<DateTime<Utc>>| {
            oldest.map_or(0.0, |o| {
                (inputs.now - o).num_milliseconds().max(0) as f64 / 1000.0
            })
        };
        let past = |seconds: f64| {
            inputs
                .degraded_after
                .is_some_and(|limit| seconds > limit.as_secs_f64())
        };
        let mut destinations: Vec<DestinationLag> = inputs
            .backlog
            .into_iter()
            .filter(|b| b.depth > 0)
            .map(|b| {
                let oldest_age_seconds = age(b.oldest);
                let state = inputs
                    .states
                    .iter()
                    .find(|s| s.destination == b.destination);
                DestinationLag {
                    default: inputs.default_destination == Some(b.destination.as_str()),
                    destination: match b.destination.as_str() {
                        "" => "unknown".into(),
                        _ => b.destination,
                    },
                    depth: b.depth,
                    oldest_age_seconds,
                    degraded: past(oldest_age_seconds),
                    in_flight: state.map_or(0, |s| s.in_flight),
                    circuit: state.map_or("closed", |s| s.circuit),
                }
            })
            .collect();
        destinations.sort_by(|a, b| {
            b.oldest_age_seconds
                .total_cmp(&a.oldest_age_seconds)
                .then(a.destination.cmp(&b.destination))
        });
        let depth = destinations.iter().map(|d| d.depth).sum();
        let oldest_age_seconds = destinations.first().map_or(0.0, |d| d.oldest_age_seconds);
        let degraded = destinations.iter().any(|d| d.degraded);
        if destinations.len() > LISTED {
            let rest = destinations.split_off(LISTED);
            destinations.push(DestinationLag {
                destination: "other".into(),
                depth: rest.iter().map(|d| d.depth).sum(),
                oldest_age_seconds: rest.first().map_or(0.0, |d| d.oldest_age_seconds),
                degraded: rest.iter().any(|d| d.degraded),
                default: rest.iter().any(|d| d.default),
                in_flight: rest.iter().map(|d| d.in_flight).sum(),
                circuit: "closed",
            });
        }
        CallbackLag {
            scope: inputs.scope,
            depth,
            oldest_age_seconds,
            degraded_after: inputs.degraded_after,
            degraded,
            destinations,
        }
    }

    /// The `callbacks` check of `/health/ready`.
    pub fn to_json(&self) -> Value {
        let destinations: Vec<Value> = self
            .destinations
            .iter()
            .map(|d| {
                json!({
                    "destination": d.destination,
                    "depth": d.depth,
                    "oldest_age_seconds": d.oldest_age_seconds,
                    "degraded": d.degraded,
                    "default": d.default,
                    "in_flight": d.in_flight,
                    "circuit": d.circuit,
                })
            })
            .collect();
        json!({
            "degraded": self.degraded,
            "scope": self.scope,
            "depth": self.depth,
            "oldest_age_seconds": self.oldest_age_seconds,
            "degraded_after_seconds": self.degraded_after.map(|d| d.as_secs_f64()),
            "destinations": destinations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backlog(
        destination: &str,
        depth: u64,
        age_seconds: i64,
        now: DateTime<Utc>,
    ) -> DestinationBacklog {
        DestinationBacklog {
            destination: destination.into(),
            depth,
            oldest: Some(now - chrono::Duration::seconds(age_seconds)),
        }
    }

    fn measure(backlog: Vec<DestinationBacklog>, now: DateTime<Utc>) -> CallbackLag {
        CallbackLag::measure(LagInputs {
            scope: "outbox",
            backlog,
            states: vec![DestinationState {
                destination: "http://slow:80".into(),
                in_flight: 4,
                circuit: "open",
            }],
            default_destination: Some("http://backend:443"),
            degraded_after: Some(Duration::from_secs(60)),
            now,
        })
    }

    #[test]
    fn the_oldest_destination_comes_first_and_past_the_threshold_is_degraded() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let lag = measure(
            vec![
                backlog("http://backend:443", 3, 2, now),
                backlog("http://slow:80", 10, 120, now),
                backlog("", 1, 1, now),
                backlog("http://drained:80", 0, 0, now),
            ],
            now,
        );
        assert!(lag.degraded);
        assert_eq!((lag.depth, lag.oldest_age_seconds), (14, 120.0));
        let names: Vec<&str> = lag
            .destinations
            .iter()
            .map(|d| d.destination.as_str())
            .collect();
        assert_eq!(names, ["http://slow:80", "http://backend:443", "unknown"]);
        let slow = &lag.destinations[0];
        assert!(slow.degraded && !slow.default);
        assert_eq!((slow.in_flight, slow.circuit), (4, "open"));
        assert!(lag.destinations[1].default && !lag.destinations[1].degraded);
        assert_eq!(
            lag.to_json()["destinations"][0]["destination"],
            "http://slow:80"
        );
    }

    #[test]
    fn an_empty_backlog_is_not_degraded() {
        let lag = measure(
            Vec::new(),
            DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        );
        assert!(!lag.degraded);
        assert_eq!((lag.depth, lag.oldest_age_seconds), (0, 0.0));
    }

    #[test]
    fn many_destinations_are_summed_up_beyond_the_listed_ones() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let many = (0..30)
            .map(|i| backlog(&format!("http://d{i}:80"), 1, i, now))
            .collect();
        let lag = measure(many, now);
        assert_eq!(lag.destinations.len(), LISTED + 1);
        let other = &lag.destinations[LISTED];
        assert_eq!((other.destination.as_str(), other.depth), ("other", 10));
        assert_eq!(other.oldest_age_seconds, 9.0);
        assert_eq!(lag.depth, 30);
    }
}
