//! `/health/live`, `/health/ready` and `/metrics` (no authentication).

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use crate::http::state::AppState;

/// Readiness fails when the projection is further behind than this many events.
const MAX_READY_LAG: u64 = 10_000;

/// Registers the health and metrics routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health/live", web::get().to(live))
        .route("/health/ready", web::get().to(ready))
        .route("/metrics", web::get().to(metrics));
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let mut checks = Map::new();
    let mut ready = true;
    match state.events.head().await {
        Ok(head) => {
            let projected = state.offer_view_progress.current();
            // `prepare` counts events on SQL backends (for PostgreSQL `commit` is a
            // transaction id); EventStoreDB's byte positions are not judged.
            let lag = head.prepare.saturating_sub(projected.prepare);
            let lag_ok = lag <= MAX_READY_LAG || state.events.backend() == "esdb";
            ready &= lag_ok;
            checks.insert(
                "event_store".into(),
                json!({"ready": true, "backend": state.events.backend()}),
            );
            checks.insert("offer_view".into(), json!({"ready": lag_ok, "lag": lag}));
            // Reported, not gating: a stalled audit projection (e.g. one that stopped on a
            // tampered view) must be visible without taking issuance down.
            let audit_lag = head
                .commit
                .saturating_sub(state.audit_progress.current().commit);
            checks.insert("audit_view".into(), json!({"lag": audit_lag}));
            // Reported, not gating: callbacks and AMQP messages trail issuance by this much.
            if let Ok(relayed) = state.integration.relay_checkpoint().await {
                let relay_lag = head.prepare.saturating_sub(relayed.prepare);
                checks.insert("relay".into(), json!({"lag": relay_lag}));
            }
            state
                .metrics
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
    match state.views.ping().await {
        Ok(()) => checks.insert("read_store".into(), json!({"ready": true})),
        Err(e) => {
            ready = false;
            checks.insert(
                "read_store".into(),
                json!({"ready": false, "detail": e.to_string()}),
            )
        }
    };
    let leases: Map<String, Value> = state
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
    let degraded = match state.integration.callback_lag(state.clock.now()).await {
        Ok(lag) => {
            lag.record(&state.metrics);
            checks.insert("callbacks".into(), lag.to_json());
            lag.degraded
        }
        Err(e) => {
            checks.insert("callbacks".into(), json!({"detail": e.to_string()}));
            false
        }
    };
    for (name, component) in state.health.snapshot() {
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
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    match state.integration.callback_lag(state.clock.now()).await {
        Ok(lag) => lag.record(&state.metrics),
        Err(error) => tracing::warn!(%error, "callback backlog not measured"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
