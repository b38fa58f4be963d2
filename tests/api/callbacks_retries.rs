//! Retries and dead letters of status callbacks, over RabbitMQ and in-process: transient
//! failures are retried with back-off, permanent ones (and exhausted retries) become dead
//! letters that an admin lists and re-queues, and in-process callbacks survive a restart.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::integration::*;
use crate::support::*;

/// 500, 500, then 200: delivered on the third attempt, same delivery id every time, each
/// attempt freshly signed.
async fn retried_until_delivered(app: &TestApp, receiver: &CallbackReceiver) {
    receiver.script(&[500, 500]);
    let created = app.create_offer(&plain_offer()).await;
    let id = offer_id(&created).to_string();
    let delivered = receiver.delivered(&id, "OFFER_CREATED").await;
    let attempts = receiver.for_offer(&id);
    assert_eq!(
        attempts.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(attempts.iter().all(|r| r.delivery == delivered.delivery));
    assert!(attempts
        .iter()
        .all(|r| r.signature_is_valid(CALLBACK_SECRET)));
}

/// The listed dead letter of an offer, once there is one.
async fn dead_letter_of(app: &TestApp, offer_id: &str) -> Value {
    eventually("a dead letter", Duration::from_secs(20), || async {
        let (status, body) = app.get_json("/dead-letters").await;
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["offer_id"] == offer_id)
            .cloned()
    })
    .await
}

/// 400: dead-lettered at once, listed by the management API, re-queued, delivered.
async fn dead_lettered_and_requeued(app: &TestApp, receiver: &CallbackReceiver) {
    receiver.answer(400);
    let created = app.create_offer(&plain_offer()).await;
    let id = offer_id(&created).to_string();
    let item = dead_letter_of(app, &id).await;
    assert_eq!(receiver.for_offer(&id).len(), 1, "a 400 is not retried");
    assert_eq!(item["status"], "OFFER_CREATED");
    assert_eq!(item["attempts"], 1);
    assert!(item["reason"].as_str().unwrap().contains("400"), "{item}");
    assert_eq!(item["event"]["type"], "OfferCreated");
    assert!(!item.to_string().contains("Mustermann"));

    // Unknown ids are 404; only admins may see or re-queue.
    let response = app
        .admin(
            reqwest::Method::POST,
            &format!("/dead-letters/{}/requeue", uuid::Uuid::new_v4()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = app
        .with_key(reqwest::Method::GET, "/dead-letters", READER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    receiver.answer(200);
    let response = app
        .admin(
            reqwest::Method::POST,
            &format!("/dead-letters/{}/requeue", item["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.json::<Value>().await.unwrap()["requeued"], 1);
    let delivered = receiver.delivered(&id, "OFFER_CREATED").await;
    assert_eq!(delivered.delivery.as_deref(), item["id"].as_str());
    eventually(
        "the dead letter leaves the list",
        Duration::from_secs(10),
        || async {
            let (_, body) = app.get_json("/dead-letters").await;
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|item| item["offer_id"] != id)
                .then_some(())
        },
    )
    .await;
}

/// Exhausted retries end as dead letters too; re-queueing all of them works.
async fn exhausted_then_requeued_all(app: &TestApp, receiver: &CallbackReceiver) {
    receiver.answer(503);
    let created = app.create_offer(&plain_offer()).await;
    let id = offer_id(&created).to_string();
    let item = dead_letter_of(app, &id).await;
    assert_eq!(item["attempts"], 4, "max_attempts is 4: {item}");
    assert_eq!(receiver.for_offer(&id).len(), 4);
    receiver.answer(200);
    let response = app
        .admin(reqwest::Method::POST, "/dead-letters/requeue")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    receiver.delivered(&id, "OFFER_CREATED").await;
}

async fn retried(transport: Transport, backend: Backend) {
    let (receiver, app) = transport.start(backend).await;
    retried_until_delivered(&app, &receiver).await;
    transport.finish(app).await;
}

async fn dead_lettered(transport: Transport, backend: Backend) {
    let (receiver, app) = transport.start(backend).await;
    dead_lettered_and_requeued(&app, &receiver).await;
    exhausted_then_requeued_all(&app, &receiver).await;
    transport.finish(app).await;
}

backend_test! {
    async fn a_callback_answered_500_twice_is_delivered_on_the_third_attempt_over_rabbitmq(backend) {
        retried(Transport::rabbitmq(), backend).await;
    }
}

backend_test! {
    async fn a_callback_answered_500_twice_is_delivered_on_the_third_attempt_in_process(backend) {
        retried(Transport::InProcess, backend).await;
    }
}

backend_test! {
    async fn rejected_and_exhausted_callbacks_are_dead_lettered_and_requeued_over_rabbitmq(backend) {
        dead_lettered(Transport::rabbitmq(), backend).await;
    }
}

backend_test! {
    async fn rejected_and_exhausted_callbacks_are_dead_lettered_and_requeued_in_process(backend) {
        dead_lettered(Transport::InProcess, backend).await;
    }
}

/// A callback whose receiver is down when the service stops is delivered (once) after
/// the restart.
async fn survives_a_restart(transport: Transport, backend: Backend) {
    let receiver = CallbackReceiver::start();
    receiver.answer(503);
    let options = |options: TestOptions, receiver: &CallbackReceiver| {
        transport
            .configure(options, receiver)
            .set("callbacks.max_attempts", json!(50))
    };
    let app = spawn_app_with(options(TestOptions::on(backend), &receiver)).await;
    let created = app.create_offer(&plain_offer()).await;
    let id = offer_id(&created).to_string();
    eventually("a failed attempt", Duration::from_secs(10), || {
        let attempts = receiver.for_offer(&id).len();
        async move { (attempts >= 1).then_some(()) }
    })
    .await;
    let stopped = app.shutdown().await;

    receiver.answer(200);
    let app = spawn_app_with(options(stopped.restart_options(), &receiver)).await;
    let delivered = receiver.delivered(&id, "OFFER_CREATED").await;
    assert!(delivered.signature_is_valid(CALLBACK_SECRET));
    // Delivered once, not once per restart.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let successes = receiver
        .for_offer(&id)
        .iter()
        .filter(|r| r.answered == 200)
        .count();
    assert_eq!(successes, 1);
    transport.finish(app).await;
}

backend_test! {
    async fn in_process_callbacks_survive_a_restart(backend) {
        survives_a_restart(Transport::InProcess, backend).await;
    }
}

backend_test! {
    async fn callbacks_survive_a_restart_over_rabbitmq(backend) {
        survives_a_restart(Transport::rabbitmq(), backend).await;
    }
}
