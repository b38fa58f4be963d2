//! Two service processes on one PostgreSQL database and one RabbitMQ: the relay and the
//! callback consumer run on exactly one of them (each under its lease), so one offer's
//! status callbacks arrive in the order of its events even when its writes go through
//! different nodes. (Two consumers on one queue each took a message of the same offer and
//! delivered them side by side: the benchmark saw 29 of 2,000 callbacks out of order.)

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::Value;

use crate::support::integration::{amqp_url, AmqpNames, CallbackReceiver, CALLBACK_SECRET};
use crate::support::nodes::{eventually, Node};
use crate::support::process::copy_keys;
use crate::support::*;

/// The node's readiness report.
async fn ready(node: &Node) -> Value {
    match node
        .client
        .get(format!("{}/health/ready", node.management))
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_node_consumes_callbacks_so_each_offer_is_called_back_in_order() {
    // Arrange: two nodes on one database and one broker.
    let database = TestDatabase::new();
    let names = AmqpNames::unique();
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let receiver = CallbackReceiver::start();
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let url = amqp_url();
    let (exchange, queue) = (names.exchange(), names.callback_queue());
    let (dead, retry) = (
        names.dead_letter_queue(),
        format!("{}.callbacks.retry", names.prefix),
    );
    let connection_name = names.connection_name();
    let broker = [
        ("ISSUANCE_AMQP_URL", url.as_str()),
        ("ISSUANCE_REQUIRE_BROKER", "true"),
        ("ISSUANCE_AMQP__EXCHANGE", exchange.as_str()),
        ("ISSUANCE_AMQP__CALLBACK_QUEUE", queue.as_str()),
        ("ISSUANCE_AMQP__DEAD_LETTER_QUEUE", dead.as_str()),
        ("ISSUANCE_AMQP__RETRY_QUEUE_PREFIX", retry.as_str()),
        ("ISSUANCE_AMQP__CONNECTION_NAME", connection_name.as_str()),
    ];
    let start = |name, dir: &std::path::Path| {
        Node::start_with(name, &database, dir, &secret, &receiver.url, &broker)
    };
    let first = start("first", first_dir.path());
    first.wait_until_live(first_dir.path()).await;
    let holds = |report: &Value| report["checks"]["leases"]["callback_consumer"] == "held";
    assert!(
        eventually(Duration::from_secs(10), || async {
            holds(&ready(&first).await)
        })
        .await,
        "the first node takes the consumer's lease"
    );
    copy_keys(first_dir.path(), second_dir.path());
    let second = start("second", second_dir.path());
    second.wait_until_live(second_dir.path()).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            ready(&second).await["status"] == "ready"
        })
        .await,
        "a standby consumer does not hold readiness back: {}",
        ready(&second).await
    );
    let report = ready(&second).await;
    assert!(!holds(&report), "one consumer only: {report}");

    // Act: each offer created through one node and revoked at once through the other.
    let mut offers = Vec::new();
    for i in 0..30 {
        let (writer, reviser) = if i % 2 == 0 {
            (&first, &second)
        } else {
            (&second, &first)
        };
        let id = writer.create_offer().await;
        let response = reviser
            .admin(Method::DELETE, &format!("/offers/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        offers.push(id);
    }

    // Assert: every offer's callbacks arrived once each, in the order of its events.
    for id in &offers {
        receiver.delivered(id, "REVOKED").await;
        let statuses: Vec<Value> = receiver
            .for_offer(id)
            .iter()
            .map(|r| r.json()["status"].clone())
            .collect();
        assert_eq!(statuses, ["OFFER_CREATED", "REVOKED"], "offer {id}");
    }
    assert!(receiver
        .received()
        .iter()
        .all(|r| r.signature_is_valid(CALLBACK_SECRET)));
    drop((first, second));
    names.cleanup().await;
}
