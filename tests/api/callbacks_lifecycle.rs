//! Status callbacks for every lifecycle outcome, signed, over both transports:
//! `OFFER_CREATED`, `ISSUED` (completion), `FAILED` (transaction code attempts exhausted,
//! with `errorDetails`), `EXPIRED` (expiry scheduler) and `REVOKED` (delete).

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::integration::*;
use crate::support::*;

/// Drives five offers to their outcomes and checks every callback.
async fn lifecycle(app: &TestApp, receiver: &CallbackReceiver, strictly_ordered: bool) {
    // Created, then completed: OFFER_CREATED, ISSUED. Its own callback URL (the same
    // receiver) gets the correlation object; the default URL never does.
    let mut own_url = plain_offer();
    own_url["callback_url"] = json!(receiver.url);
    let completed = app.create_offer(&own_url).await;
    let completed_id = offer_id(&completed).to_string();
    let created = receiver.delivered(&completed_id, "OFFER_CREATED").await;
    assert!(created.signature_is_valid(CALLBACK_SECRET), "{created:?}");
    assert_eq!(created.delivery.as_deref().map(str::len), Some(36));
    let body = created.json();
    assert_eq!(body["eventId"], completed_id);
    assert_eq!(body["sequence"], 1);
    assert_eq!(
        body["credentialConfigurationIds"],
        json!(["IdentityCredential"])
    );
    assert_eq!(body["correlation"], json!({"case": "4711"}));
    assert_eq!(body["errorDetails"], Value::Null);
    assert!(body["occurredAt"].is_string());
    let redemption = redeem(app, &completed).await;
    issue(app, offer_id(&completed), redemption, "IdentityCredential").await;
    let issued = receiver.delivered(&completed_id, "ISSUED").await;
    assert!(issued.signature_is_valid(CALLBACK_SECRET));
    assert_eq!(issued.json()["sequence"], 4);
    assert_ne!(issued.delivery, created.delivery);

    // Three wrong transaction codes: FAILED with errorDetails.
    let failing = app.create_offer(&identity_offer()).await;
    let failing_id = offer_id(&failing).to_string();
    for _ in 0..3 {
        wrong_tx_code(app, &failing).await;
    }
    let failed = receiver.delivered(&failing_id, "FAILED").await;
    assert!(failed.signature_is_valid(CALLBACK_SECRET));
    assert_eq!(
        failed.json()["errorDetails"]["code"],
        "tx_code_attempts_exhausted"
    );
    assert!(failed.json()["errorDetails"]["description"].is_string());

    // A one-second offer: EXPIRED by the scheduler.
    let mut short = plain_offer();
    short["expires_in"] = json!(1);
    let expiring = app.create_offer(&short).await;
    let expired = receiver
        .delivered(&offer_id(&expiring).to_string(), "EXPIRED")
        .await;
    assert!(expired.signature_is_valid(CALLBACK_SECRET));
    assert_eq!(expired.json()["sequence"], 2);

    assert_eq!(
        expired.json()["correlation"],
        Value::Null,
        "the default URL"
    );

    // Deleted: REVOKED.
    let revoked = app.create_offer(&plain_offer()).await;
    let revoked_id = offer_id(&revoked).to_string();
    let response = app
        .admin(reqwest::Method::DELETE, &format!("/offers/{revoked_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    receiver.delivered(&revoked_id, "REVOKED").await;

    // Each offer's callbacks arrived in sequence order (counting each delivery once:
    // delivery is at least once, and receivers deduplicate on the delivery id), and no body
    // carries claims.
    for id in [&completed_id, &failing_id, &revoked_id] {
        let mut seen = std::collections::HashSet::new();
        let sequences: Vec<u64> = receiver
            .for_offer(id)
            .iter()
            .filter(|r| seen.insert(r.delivery.clone()))
            .map(|r| r.json()["sequence"].as_u64().unwrap())
            .collect();
        let mut sorted = sequences.clone();
        sorted.sort();
        if strictly_ordered {
            assert_eq!(sequences, sorted, "callbacks of {id} out of order");
        } else {
            // Over RabbitMQ a deferred or retried callback can be overtaken (api.md: the
            // payload carries `sequence` so receivers can order them); each arrives once.
            sorted.dedup();
            assert_eq!(sorted.len(), sequences.len(), "callbacks of {id} repeated");
        }
    }
    for received in receiver.received() {
        let text = String::from_utf8(received.body.clone()).unwrap();
        assert!(
            !text.contains("Mustermann") && !text.contains("1964-08-12"),
            "{text}"
        );
    }
}

backend_test! {
    async fn every_lifecycle_outcome_is_called_back_in_process(backend) {
        let transport = Transport::InProcess;
        let (receiver, app) = transport.start(backend).await;
        lifecycle(&app, &receiver, true).await;
        transport.finish(app).await;
    }
}

backend_test! {
    async fn every_lifecycle_outcome_is_called_back_over_rabbitmq(backend) {
        let transport = Transport::rabbitmq();
        let (receiver, app) = transport.start(backend).await;
        lifecycle(&app, &receiver, false).await;
        transport.finish(app).await;
    }
}

backend_test! {
    async fn an_offer_callback_url_wins_over_the_default(backend) {
        let default = CallbackReceiver::start();
        let own = CallbackReceiver::start();
        let app = spawn_app_with(embedded_options(backend, &default)).await;
        let mut body = plain_offer();
        body["callback_url"] = json!(own.url);
        let created = app.create_offer(&body).await;
        let id = offer_id(&created).to_string();
        own.delivered(&id, "OFFER_CREATED").await;
        assert!(default.for_offer(&id).is_empty());
    }
}

backend_test! {
    async fn a_multi_use_offer_reports_issued_once_per_wallet(backend) {
        let transport = Transport::InProcess;
        let (receiver, app) = transport.start(backend).await;
        let mut body = plain_offer();
        body["single_use"] = json!(false);
        let created = app.create_offer(&body).await;
        let id = offer_id(&created);
        for _ in 0..2 {
            let redemption = redeem(&app, &created).await;
            issue(&app, id, redemption, "IdentityCredential").await;
        }
        eventually("two ISSUED callbacks", Duration::from_secs(20), || {
            let issued: Vec<Value> = receiver
                .for_offer(&id.to_string())
                .iter()
                .map(|r| r.json())
                .filter(|b| b["status"] == "ISSUED")
                .collect();
            async move { (issued.len() == 2).then_some(issued) }
        })
        .await;
        transport.finish(app).await;
    }
}
