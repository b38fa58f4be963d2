//! Callback lag is visible (issue 17 §3): `/health/ready` and `/metrics` report the
//! undelivered callbacks and the age of the oldest one per destination (scheme, host and
//! port only), and a destination past `callbacks.degraded_after_ms` marks the service
//! `degraded` (still 200: it does not leave the load balancer) until it catches up.

use std::time::Duration;

use serde_json::json;

use crate::support::integration::*;
use crate::support::*;

/// Offers whose callbacks go to the stalled receiver.
const STALLED_OFFERS: usize = 6;

/// `scheme://host:port` of a receiver.
fn destination(receiver: &CallbackReceiver) -> String {
    receiver.url.trim_end_matches("/callbacks").to_string()
}

async fn lag_is_reported_and_marks_readiness_degraded(transport: Transport, backend: Backend) {
    let healthy = CallbackReceiver::start();
    let stalled = CallbackReceiver::start();
    stalled.stall();
    let options = transport
        .options(backend, &healthy)
        .keeping_claims()
        .set("callbacks.per_destination_concurrency", json!(2))
        .set("callbacks.timeout_ms", json!(60_000))
        .set("callbacks.max_attempts", json!(50))
        .set("callbacks.degraded_after_ms", json!(300));
    let app = spawn_app_with(options).await;
    let body = eventually("readiness", Duration::from_secs(30), || async {
        let (status, body) = readiness(&app).await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["checks"]["callbacks"]["depth"], 0, "{body}");

    let mut own = plain_offer();
    own["callback_url"] = json!(format!("{}?token=secret-in-query", stalled.url));
    for _ in 0..STALLED_OFFERS {
        app.create_offer(&own).await;
    }
    let healthy_offer = offer_id(&app.create_offer(&plain_offer()).await).to_string();
    healthy.delivered(&healthy_offer, "OFFER_CREATED").await;

    // The stalled destination lags past the threshold: degraded, still 200.
    let stalled_destination = destination(&stalled);
    let body = eventually("a degraded readiness", Duration::from_secs(30), || async {
        let (status, body) = readiness(&app).await;
        assert_eq!(status, 200, "degraded is not unready: {body}");
        (body["status"] == "degraded").then_some(body)
    })
    .await;
    let callbacks = &body["checks"]["callbacks"];
    assert_eq!(callbacks["degraded"], true, "{callbacks}");
    let listed = callbacks["destinations"].as_array().unwrap();
    let lagging = listed
        .iter()
        .find(|d| d["destination"] == stalled_destination.as_str())
        .unwrap_or_else(|| panic!("{stalled_destination} in {callbacks}"));
    assert_eq!(lagging["degraded"], true);
    assert_eq!(lagging["default"], false);
    assert!(lagging["depth"].as_u64().unwrap() >= 1, "{lagging}");
    assert!(
        lagging["oldest_age_seconds"].as_f64().unwrap() > 0.3,
        "{lagging}"
    );
    if matches!(transport, Transport::InProcess) {
        // The outbox knows every undelivered callback.
        assert_eq!(callbacks["scope"], "outbox");
        assert_eq!(lagging["depth"], STALLED_OFFERS as u64, "{lagging}");
    } else {
        assert_eq!(callbacks["scope"], "node");
    }
    // The healthy default destination got everything: not listed as lagging.
    assert!(
        listed
            .iter()
            .all(|d| d["destination"] != destination(&healthy).as_str() || d["degraded"] == false),
        "{callbacks}"
    );
    // Neither the path nor the query of a callback URL is shown.
    assert!(!body.to_string().contains("/callbacks"), "{body}");
    assert!(!body.to_string().contains("secret-in-query"), "{body}");

    let text = app.metrics().await;
    let label = format!("destination=\"{stalled_destination}\"");
    assert!(
        text.lines()
            .any(|l| l.starts_with("issuance_callback_backlog{") && l.contains(&label)),
        "{text}"
    );
    assert!(text
        .lines()
        .any(|l| l.starts_with("issuance_callback_oldest_age_seconds{") && l.contains(&label)));
    assert!(text.contains("issuance_callbacks_degraded 1"), "{text}");
    assert!(!text.contains("secret-in-query") && !text.contains("/callbacks\""));

    // Recovered and caught up: ready again, and the gauges of the drained destination go.
    stalled.recover();
    eventually("readiness without lag", Duration::from_secs(30), || async {
        let (status, body) = readiness(&app).await;
        let caught_up =
            status == 200 && body["status"] == "ready" && body["checks"]["callbacks"]["depth"] == 0;
        caught_up.then_some(())
    })
    .await;
    let text = app.metrics().await;
    assert!(text.contains("issuance_callbacks_degraded 0"), "{text}");
    assert!(!text.contains(&label), "{text}");
    transport.finish(app).await;
}

backend_test! {
    async fn callback_lag_is_visible_in_process(backend) {
        lag_is_reported_and_marks_readiness_degraded(Transport::InProcess, backend).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn callback_lag_is_visible_over_rabbitmq() {
    lag_is_reported_and_marks_readiness_degraded(Transport::rabbitmq(), Backend::Sqlite).await;
}
