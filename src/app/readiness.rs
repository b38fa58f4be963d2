//! Readiness and the metrics scrape: what `/health/ready` and `/metrics` report about the
//! node's components (the event log, the views and their lag, the integration side, leases).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::app::log_head::LogHead;
use crate::clock::Clock;
use crate::component_health::HealthRegistry;
use crate::integration::Integration;
use crate::metrics::Metrics;
use crate::projector::ProjectionProgress;
use crate::readstore::OfferViewStore;
use crate::store::lease::Leases;

/// Readiness fails when the projection is further behind than this many events.
const MAX_READY_LAG: u64 = 10_000;

/// A readiness report: whether the node takes traffic, and the checks behind it.
pub struct Report {
    /// Every gating check passed.
    pub ready: bool,
    /// `{"status": "ready" | "degraded" | "not_ready", "checks": {...}}`.
    pub body: Value,
}

/// What readiness looks at.
#[derive(Clone)]
pub struct Readiness {
    /// The log's head.
    pub log: LogHead,
    /// The offer view (pinged).
    pub views: Arc<dyn OfferViewStore>,
    /// Progress of the offer view projection.
    pub offer_view_progress: ProjectionProgress,
    /// Progress of the audit view projection.
    pub audit_progress: ProjectionProgress,
    /// The integration side (relay lag, callback backlog).
    pub integration: Integration,
    /// The leases this node competes for.
    pub leases: Leases,
    /// Component health.
    pub health: HealthRegistry,
    /// Metrics.
    pub metrics: Metrics,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl Readiness {
    /// Checks every component.
    pub async fn report(&self) -> Report {
        let mut checks = Map::new();
        let mut ready = true;
        match self.log.head().await {
            Ok(head) => {
                let projected = self.offer_view_progress.current();
                // `prepare` counts events on SQL backends (for PostgreSQL `commit` is a
                // transaction id); EventStoreDB's byte positions are not judged.
                let lag = head.prepare.saturating_sub(projected.prepare);
                let lag_ok = lag <= MAX_READY_LAG || self.log.backend() == "esdb";
                ready &= lag_ok;
                checks.insert(
                    "event_store".into(),
                    json!({"ready": true, "backend": self.log.backend()}),
                );
                checks.insert("offer_view".into(), json!({"ready": lag_ok, "lag": lag}));
                // Reported, not gating: a stalled audit projection (e.g. one that stopped on a
                // tampered view) must be visible without taking issuance down.
                let audit_lag = head
                    .commit
                    .saturating_sub(self.audit_progress.current().commit);
                checks.insert("audit_view".into(), json!({"lag": audit_lag}));
                // Reported, not gating: callbacks and AMQP messages trail issuance by this much.
                if let Ok(relayed) = self.integration.relay_checkpoint().await {
                    let relay_lag = head.prepare.saturating_sub(relayed.prepare);
                    checks.insert("relay".into(), json!({"lag": relay_lag}));
                }
                self.metrics
                    .projection_lag
                    .set(i64::try_from(lag).unwrap_or(i64::MAX));
            }
            Err(e) => {
                ready = false;
                checks.insert(
                    "event_store".into(),
                    json!({"ready": false, "detail": e.to_string()}),
                );
            }
        }
        match self.views.ping().await {
            Ok(()) => checks.insert("read_store".into(), json!({"ready": true})),
            Err(e) => {
                ready = false;
                checks.insert(
                    "read_store".into(),
                    json!({"ready": false, "detail": e.to_string()}),
                )
            }
        };
        let leases: Map<String, Value> = self
            .leases
            .snapshot()
            .into_iter()
            .map(|(name, held)| {
                (
                    name.to_string(),
                    json!(if held { "held" } else { "standby" }),
                )
            })
            .collect();
        checks.insert("leases".into(), Value::Object(leases));
        // Reported, not gating (see `integration::lag`): a lagging receiver marks the service
        // `degraded`, it does not take the node out of a load balancer.
        let degraded = match self.integration.callback_lag(self.clock.now()).await {
            Ok(lag) => {
                lag.record(&self.metrics);
                checks.insert("callbacks".into(), lag.to_json());
                lag.degraded
            }
            Err(e) => {
                checks.insert("callbacks".into(), json!({"detail": e.to_string()}));
                false
            }
        };
        for (name, component) in self.health.snapshot() {
            ready &= component.ready;
            checks.insert(
                name.into(),
                json!({"ready": component.ready, "detail": component.detail}),
            );
        }
        let status = match (ready, degraded) {
            (false, _) => "not_ready",
            (true, true) => "degraded",
            (true, false) => "ready",
        };
        let body = json!({"status": status, "checks": Value::Object(checks)});
        Report { ready, body }
    }

    /// The metrics in Prometheus' text format, with the callback backlog measured now.
    pub async fn scrape(&self) -> String {
        match self.integration.callback_lag(self.clock.now()).await {
            Ok(lag) => lag.record(&self.metrics),
            Err(error) => tracing::warn!(%error, "callback backlog not measured"),
        }
        self.metrics.render()
    }
}
