//! The service's Prometheus metrics, registered once and shared by every layer. HTTP
//! requests are recorded by [`crate::http::metrics`], appended events by the event store's
//! [`Metered`](crate::store::metered::Metered) layer, callback lag by
//! [`crate::integration::lag`].

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The service's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Requests by listener, route and status.
    pub requests: IntCounterVec,
    /// Latency by listener and route.
    pub latency: HistogramVec,
    /// Requests being served now, by listener (what a graceful shutdown drains).
    pub in_flight: IntGaugeVec,
    /// Events appended by type.
    pub events_appended: IntCounterVec,
    /// Offer view projection lag in events.
    pub projection_lag: IntGauge,
    /// Status callbacks by outcome.
    pub callbacks: IntCounterVec,
    /// Undelivered callbacks by destination (refreshed on each scrape).
    pub callback_backlog: IntGaugeVec,
    /// Age of the oldest undelivered callback by destination, seconds.
    pub callback_oldest_age: GaugeVec,
    /// 1 while some destination's oldest callback is past `callbacks.degraded_after_ms`.
    pub callbacks_degraded: IntGauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("issuance".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by listener, route and status",
            ),
            &["api", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            ),
            &["api", "route"],
        )?;
        let in_flight = IntGaugeVec::new(
            Opts::new(
                "http_requests_in_flight",
                "HTTP requests being served, by listener",
            ),
            &["api"],
        )?;
        let events_appended = IntCounterVec::new(
            Opts::new("events_appended_total", "Events appended by type"),
            &["type"],
        )?;
        let projection_lag = IntGauge::new(
            "projection_lag_events",
            "Events not yet applied to the offer view",
        )?;
        let callbacks = IntCounterVec::new(
            Opts::new("callbacks_total", "Status callbacks by outcome"),
            &["outcome"],
        )?;
        let callback_backlog = IntGaugeVec::new(
            Opts::new(
                "callback_backlog",
                "Undelivered status callbacks by destination (scheme://host:port)",
            ),
            &["destination"],
        )?;
        let callback_oldest_age = GaugeVec::new(
            Opts::new(
                "callback_oldest_age_seconds",
                "Age of the oldest undelivered status callback by destination",
            ),
            &["destination"],
        )?;
        let callbacks_degraded = IntGauge::new(
            "callbacks_degraded",
            "1 while a destination's oldest callback is older than callbacks.degraded_after_ms",
        )?;
        registry.register(Box::new(callback_backlog.clone()))?;
        registry.register(Box::new(callback_oldest_age.clone()))?;
        registry.register(Box::new(callbacks_degraded.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(events_appended.clone()))?;
        registry.register(Box::new(projection_lag.clone()))?;
        registry.register(Box::new(callbacks.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            in_flight,
            events_appended,
            projection_lag,
            callbacks,
            callback_backlog,
            callback_oldest_age,
            callbacks_degraded,
        })
    }

    /// Counts appended events by type (called once per append, by
    /// [`Metered`](crate::store::metered::Metered)).
    pub fn record_appended<'a>(&self, event_types: impl IntoIterator<Item = &'a str>) {
        for event_type in event_types {
            self.events_appended.with_label_values(&[event_type]).inc();
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}
