//! The middleware that records every request in the [`Metrics`].

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::IntGauge;

use crate::http::route_label;
use crate::metrics::Metrics;

/// Which listener a request arrived on.
#[derive(Clone, Copy)]
pub struct ApiName(pub &'static str);

/// Middleware: counts and times every request by its route pattern (never the raw path,
/// which would carry ids and blow up cardinality; see [`route_label`]).
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = request.app_data::<web::Data<Metrics>>().cloned();
    let api = request.app_data::<ApiName>().map_or("unknown", |a| a.0);
    // Decremented on drop, so a request cut mid-way is not counted forever.
    let _in_flight = metrics
        .as_ref()
        .map(|m| InFlight::enter(m.in_flight.with_label_values(&[api])));
    let response = next.call(request).await?;
    if let Some(metrics) = metrics {
        let route = route_label::of(response.request());
        let route = route.as_str();
        let status = response.status();
        let status = status.as_str();
        metrics
            .requests
            .with_label_values(&[api, route, status])
            .inc();
        metrics
            .latency
            .with_label_values(&[api, route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// One request counted in `http_requests_in_flight` while it lives.
struct InFlight(IntGauge);

impl InFlight {
    fn enter(gauge: IntGauge) -> InFlight {
        gauge.inc();
        InFlight(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}
