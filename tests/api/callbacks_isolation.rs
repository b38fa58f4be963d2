//! One receiver cannot hold up the others (issue 17): a stalled receiver holds only its own
//! destination's slots while a healthy one receives everything, and once it recovers it
//! receives all of its own callbacks, in each offer's order.

use std::time::Duration;

use serde_json::json;

use crate::support::integration::*;
use crate::support::*;

/// Offers whose callbacks go to the stalled receiver, and to the healthy one.
const STALLED_OFFERS: usize = 10;
const HEALTHY_OFFERS: usize = 40;
/// Slots per destination in this test.
const SLOTS: usize = 4;

/// The sequences of an offer's callbacks that were answered 2xx, counting each delivery
/// once, in arrival order.
fn delivered_sequences(receiver: &CallbackReceiver, offer: &str) -> Vec<u64> {
    let mut seen = std::collections::HashSet::new();
    receiver
        .for_offer(offer)
        .iter()
        .filter(|r| (200..300).contains(&r.answered) && seen.insert(r.delivery.clone()))
        .map(|r| r.json()["sequence"].as_u64().unwrap())
        .collect()
}

/// Creates an offer (to `own` if given, else to the default URL) and revokes it: two
/// callbacks, `OFFER_CREATED` (sequence 1) and `REVOKED` (sequence 2).
async fn created_and_revoked(app: &TestApp, own: Option<&CallbackReceiver>) -> String {
    let mut body = plain_offer();
    if let Some(receiver) = own {
        body["callback_url"] = json!(receiver.url);
    }
    let id = offer_id(&app.create_offer(&body).await).to_string();
    let response = app
        .admin(reqwest::Method::DELETE, &format!("/offers/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    id
}

/// Waits until every offer in `offers` had both callbacks delivered to `receiver` (well
/// within the stalled receiver's request timeout).
async fn all_delivered(receiver: &CallbackReceiver, offers: &[String], what: &str) {
    eventually(what, Duration::from_secs(30), || {
        let done = offers
            .iter()
            .all(|id| delivered_sequences(receiver, id).len() == 2);
        async move { done.then_some(()) }
    })
    .await;
}

async fn stalled_receiver_does_not_hold_up_a_healthy_one(transport: Transport, backend: Backend) {
    let healthy = CallbackReceiver::start();
    let stalled = CallbackReceiver::start();
    stalled.stall();
    let options = transport
        .options(backend, &healthy)
        .keeping_claims()
        .set("callbacks.per_destination_concurrency", json!(SLOTS))
        // Long enough that the stalled receiver holds its connections throughout.
        .set("callbacks.timeout_ms", json!(60_000))
        .set("callbacks.max_attempts", json!(50))
        .set("callbacks.breaker_open_ms", json!(200));
    let app = spawn_app_with(options).await;

    let mut stalled_offers = Vec::new();
    for _ in 0..STALLED_OFFERS {
        stalled_offers.push(created_and_revoked(&app, Some(&stalled)).await);
    }
    eventually(
        "the stalled receiver to hold its slots",
        Duration::from_secs(20),
        || {
            let held = stalled.held();
            async move { (held == SLOTS).then_some(()) }
        },
    )
    .await;
    let mut healthy_offers = Vec::new();
    for _ in 0..HEALTHY_OFFERS {
        healthy_offers.push(created_and_revoked(&app, None).await);
    }

    // Act 1: the healthy receiver gets everything while the stalled one holds its slots.
    all_delivered(&healthy, &healthy_offers, "every healthy callback").await;
    assert_eq!(stalled.held(), SLOTS, "no more than its own slots");
    assert!(
        stalled.received().is_empty(),
        "the stalled receiver answered nothing yet"
    );

    // Act 2: the stalled receiver recovers and gets all of its own, each offer in order.
    stalled.recover();
    all_delivered(&stalled, &stalled_offers, "every stalled callback").await;
    for id in &healthy_offers {
        assert_eq!(delivered_sequences(&healthy, id), [1, 2], "offer {id}");
    }
    for id in &stalled_offers {
        let sequences = delivered_sequences(&stalled, id);
        if matches!(transport, Transport::InProcess) {
            assert_eq!(sequences, [1, 2], "offer {id} in order");
        } else {
            // Over RabbitMQ a retried callback can be overtaken (README).
            let mut sorted = sequences.clone();
            sorted.sort();
            assert_eq!(sorted, [1, 2], "offer {id}");
        }
    }
    for received in healthy.received().iter().chain(&stalled.received()) {
        assert!(received.signature_is_valid(CALLBACK_SECRET));
    }
    transport.finish(app).await;
}

backend_test! {
    async fn a_stalled_receiver_does_not_hold_up_a_healthy_one_in_process(backend) {
        stalled_receiver_does_not_hold_up_a_healthy_one(Transport::InProcess, backend).await;
    }
}

backend_test! {
    async fn a_stalled_receiver_does_not_hold_up_a_healthy_one_over_rabbitmq(backend) {
        stalled_receiver_does_not_hold_up_a_healthy_one(Transport::rabbitmq(), backend).await;
    }
}
