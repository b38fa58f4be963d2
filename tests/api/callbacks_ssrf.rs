//! Offers' own callback URLs cannot reach internal addresses (issue 16 §3, SSRF): refused at
//! creation unless inside `callbacks.allowed_networks`, and refused again on every delivery
//! (after resolving the name), where the refusal becomes a dead letter. The operator's
//! default callback URL is trusted.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::integration::*;
use crate::support::*;

/// Offer bodies calling back to `url`.
fn offer_to(url: &str) -> Value {
    let mut body = plain_offer();
    body["callback_url"] = json!(url);
    body
}

/// Internal URLs an offer names, and the kind of address each is refused as.
const INTERNAL: [(&str, &str); 7] = [
    ("http://127.0.0.1:8081/offers", "loopback"),
    ("http://10.1.2.3/cb", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[::1]:9000/cb", "loopback"),
    ("http://[fd00:ec2::254]/", "cloud metadata"),
    ("http://100.64.0.7/cb", "shared (CGNAT)"),
    ("http://localhost:8081/cb", "loopback"),
];

backend_test! {
    /// Every internal URL is refused with `400 callback_url_refused`, and nothing is
    /// written; the trusted default URL, on loopback, still gets its callbacks.
    async fn offers_naming_internal_callback_urls_are_refused(backend) {
        let receiver = CallbackReceiver::start();
        let app = spawn_app_with(
            TestOptions::on(backend)
                .set("callback_url", json!(receiver.url))
                .set("callback_secret", json!(CALLBACK_SECRET)),
        )
        .await;
        for (url, kind) in INTERNAL {
            let (status, body) = app.post_offer(&offer_to(url)).await;
            assert_eq!(status, 400, "{url}: {body}");
            assert_eq!(body["error"], "callback_url_refused", "{url}: {body}");
            assert_eq!(body["details"][0]["field"], "callback_url");
            assert_eq!(
                body["details"][0]["problem"],
                format!("resolves to a {kind} address"),
                "{url}"
            );
            assert!(!body.to_string().contains(url), "the URL is not echoed: {body}");
        }
        assert_eq!(app.event_count().await, 0, "nothing written");

        // The operator's default URL is on loopback, and trusted.
        let created = app.create_offer(&plain_offer()).await;
        let id = offer_id(&created).to_string();
        receiver.delivered(&id, "OFFER_CREATED").await;
        app.stop().await;
    }
}

backend_test! {
    /// `callbacks.allowed_networks` lets its networks through, and only those.
    async fn allowed_networks_let_internal_receivers_through(backend) {
        let receiver = CallbackReceiver::start();
        let app = spawn_app_with(
            TestOptions::on(backend)
                .set("callback_secret", json!(CALLBACK_SECRET))
                .set("callbacks.allowed_networks", json!(["127.0.0.0/8", "::1", "10.1.0.0/16"])),
        )
        .await;
        let port = receiver.url.split(':').nth(2).unwrap().split('/').next().unwrap();
        let by_name = format!("http://localhost:{port}/callbacks");
        for url in [receiver.url.as_str(), by_name.as_str(), "http://10.1.2.3/cb", "http://[::1]:9/"] {
            let (status, body) = app.post_offer(&offer_to(url)).await;
            assert_eq!(status, 201, "{url}: {body}");
        }
        for url in ["http://10.2.0.1/cb", "http://169.254.169.254/", "http://192.168.0.1/"] {
            let (status, body) = app.post_offer(&offer_to(url)).await;
            assert_eq!((status, body["error"].as_str()), (400, Some("callback_url_refused")), "{url}");
        }
        let created = app.create_offer(&offer_to(&by_name)).await;
        let delivered = receiver.delivered(&offer_id(&created).to_string(), "OFFER_CREATED").await;
        assert!(delivered.signature_is_valid(CALLBACK_SECRET));
        app.stop().await;
    }
}

/// Offers created while loopback was allowed, one by address and one by name, whose
/// callbacks are still pending when the service restarts without that permission: each
/// delivery checks again, so both become dead letters naming the refusal, and the receiver
/// gets nothing more.
async fn refused_again_on_delivery(transport: Transport, backend: Backend) {
    let receiver = CallbackReceiver::start();
    receiver.answer(503);
    let options = |options: TestOptions, receiver: &CallbackReceiver| {
        transport
            .configure(options, receiver)
            .set("callbacks.max_attempts", json!(50))
    };
    let app = spawn_app_with(options(TestOptions::on(backend), &receiver)).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let mut offers = Vec::new();
    for url in [
        receiver.url.clone(),
        format!("http://localhost:{port}/callbacks"),
    ] {
        offers.push(offer_id(&app.create_offer(&offer_to(&url)).await).to_string());
    }
    eventually("a failed attempt of each", Duration::from_secs(20), || {
        let tried = offers.iter().all(|id| !receiver.for_offer(id).is_empty());
        async move { tried.then_some(()) }
    })
    .await;
    let stopped = app.shutdown().await;

    receiver.answer(200);
    let restart =
        options(stopped.restart_options(), &receiver).set("callbacks.allowed_networks", json!([]));
    let app = spawn_app_with(restart).await;
    for id in &offers {
        let item = eventually("a dead letter", Duration::from_secs(30), || async {
            let (_, body) = app.get_json("/dead-letters").await;
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|item| item["offer_id"] == id.as_str())
                .cloned()
        })
        .await;
        assert_eq!(item["status"], "OFFER_CREATED");
        let reason = item["reason"].as_str().unwrap();
        assert!(reason.contains("loopback address"), "{reason}");
        assert!(!reason.contains(&receiver.url), "{reason}");
        // Refused without a request: the receiver, answering 200 now, never saw it succeed.
        assert!(
            receiver.for_offer(id).iter().all(|r| r.answered == 503),
            "delivered despite the refusal"
        );
    }
    transport.finish(app).await;
}

backend_test! {
    async fn callbacks_are_checked_on_every_delivery_in_process(backend) {
        refused_again_on_delivery(Transport::InProcess, backend).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_are_checked_on_every_delivery_over_rabbitmq() {
    refused_again_on_delivery(Transport::rabbitmq(), Backend::Sqlite).await;
}
