//! The AMQP relay against the real RabbitMQ: every event on the exchange, in log order per
//! offer, with the documented routing keys and envelope and no personal data; at least
//! once across a crash between publish and checkpoint and across dropped connections;
//! start-up and readiness when the broker is unreachable.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use issuance::integration::amqp::publisher::CHECKPOINT;
use issuance_eventlog::{LogPosition, RecordedEvent};
use serde_json::json;
use uuid::Uuid;

use crate::support::integration::*;
use crate::support::*;

/// A tap on fresh names, then a receiver and the service on `backend`.
async fn start_tapped(backend: Backend) -> (AmqpNames, EventTap, CallbackReceiver, TestApp) {
    let names = AmqpNames::unique();
    let tap = EventTap::start(&names).await;
    let receiver = CallbackReceiver::start();
    let app = spawn_app_with(names.options(backend, &receiver)).await;
    (names, tap, receiver, app)
}

/// Every event in the log but the default issuer's (`issuer.*`, not on this tap), once the log hands out all committed ones (on PostgreSQL an
/// append becomes readable only when older transactions on the server have ended).
async fn all_events(app: &TestApp) -> Vec<RecordedEvent> {
    eventually(
        "the log to show every event",
        Duration::from_secs(20),
        || async {
            let events: Vec<RecordedEvent> = app
                .state
                .events
                .read_all(LogPosition::START, 10_000)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.stream_id != DEFAULT_ISSUER_STREAM)
                .collect();
            (events.len() as u64 == app.event_count().await).then_some(events)
        },
    )
    .await
}

fn ids(events: &[RecordedEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.event_id).collect()
}

/// Per offer, the sequences in the order the tap received them (first occurrences).
fn sequences_by_offer(messages: &[Tapped]) -> BTreeMap<String, Vec<u64>> {
    let mut seen = std::collections::HashSet::new();
    let mut by_offer: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for message in messages {
        let body = message.json();
        if seen.insert(body["event_id"].as_str().unwrap().to_string()) {
            by_offer
                .entry(body["offer_id"].as_str().unwrap().to_string())
                .or_default()
                .push(body["sequence"].as_u64().unwrap());
        }
    }
    by_offer
}

fn assert_in_order(messages: &[Tapped]) {
    for (offer, sequences) in sequences_by_offer(messages) {
        let expected: Vec<u64> = (1..=sequences.len() as u64).collect();
        assert_eq!(sequences, expected, "events of offer {offer} out of order");
    }
}

backend_test! {
    async fn every_event_is_published_in_log_order_with_the_documented_envelope(backend) {
        let (names, tap, receiver, app) = start_tapped(backend).await;

        // Every event type the service can produce without the wallet API.
        let completed = app.create_offer(&identity_offer()).await;
        let redemption = redeem(&app, &completed).await;
        issue(&app, offer_id(&completed), redemption, "IdentityCredential").await;
        let failing = app.create_offer(&identity_offer()).await;
        for _ in 0..3 {
            wrong_tx_code(&app, &failing).await;
        }
        let revoked = app.create_offer(&plain_offer()).await;
        app.admin(
            reqwest::Method::DELETE,
            &format!("/offers/{}?reason=test", offer_id(&revoked)),
        )
        .send()
        .await
        .unwrap();
        let mut short = plain_offer();
        short["expires_in"] = json!(1);
        let expiring = app.create_offer(&short).await;
        receiver
            .delivered(&offer_id(&expiring).to_string(), "EXPIRED")
            .await;

        let events = all_events(&app).await;
        let messages = tap.wait_for_all(&ids(&events)).await;
        assert_in_order(&messages);
        let by_id: HashMap<String, &Tapped> = messages
            .iter()
            .map(|m| (m.message_id.clone().unwrap(), m))
            .collect();
        let mut keys = std::collections::BTreeSet::new();
        for event in &events {
            let message = by_id[&event.event_id.to_string()];
            assert_eq!(message.content_type.as_deref(), Some("application/json"));
            assert_eq!(message.delivery_mode, Some(2), "persistent");
            let body = message.json();
            let fields: Vec<&str> = body
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut sorted = fields.clone();
            sorted.sort();
            assert_eq!(
                sorted,
                [
                    "actor",
                    "data",
                    "event_id",
                    "issuer_id",
                    "occurred_at",
                    "offer_id",
                    "position",
                    "sequence",
                    "type",
                    "version"
                ]
            );
            assert_eq!(body["event_id"], event.event_id.to_string());
            assert_eq!(body["issuer_id"], "default");
            assert_eq!(body["sequence"], event.sequence);
            assert_eq!(body["position"], event.position.commit);
            assert_eq!(body["type"], event.event_type);
            assert_eq!(body["version"], event.event_version);
            assert_eq!(body["actor"], event.metadata.actor);
            keys.insert(message.routing_key.clone());
            // No personal data and no secret hashes in any body.
            let text = String::from_utf8(message.body.clone()).unwrap();
            for forbidden in [
                "Erika",
                "Mustermann",
                "1964-08-12",
                "sealed_claims",
                "ciphertext",
                "code_hash",
                "token_hash",
                "credential_hash",
                "request_fingerprint",
            ] {
                assert!(!text.contains(forbidden), "{forbidden} in {text}");
            }
        }
        let expected: std::collections::BTreeSet<String> = [
            "offer.created",
            "offer.redeemed",
            "offer.credential_issued",
            "offer.completed",
            "offer.tx_code_rejected",
            "offer.failed",
            "offer.revoked",
            "offer.expired",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        // The retention policy erases claims of finished offers in the background, so
        // `offer.claims_erased` may or may not have arrived yet.
        keys.remove("offer.claims_erased");
        assert_eq!(keys, expected);
        app.stop().await;
        names.cleanup().await;
    }
}

backend_test! {
    async fn events_published_but_not_checkpointed_are_republished_after_a_restart(backend) {
        let (names, tap, receiver, app) = start_tapped(backend).await;
        for _ in 0..3 {
            app.create_offer(&plain_offer()).await;
        }
        let before = all_events(&app).await;
        tap.wait_for_all(&ids(&before)).await;
        let stopped = app.shutdown().await;

        // The state a crash between the broker's confirm and the checkpoint write leaves:
        // the last two events are on the exchange, the checkpoint still before them.
        rewind_checkpoint(&stopped, CHECKPOINT, before[0].position).await;

        let app = spawn_app_with(names.configure(stopped.restart_options(), &receiver)).await;
        app.create_offer(&plain_offer()).await;
        let after = all_events(&app).await;
        let messages = tap.wait_for_all(&ids(&after)).await;
        let count = |id: Uuid| {
            messages
                .iter()
                .filter(|m| m.message_id.as_deref() == Some(id.to_string().as_str()))
                .count()
        };
        assert_eq!(
            count(before[0].event_id),
            1,
            "checkpointed event not re-sent"
        );
        assert!(
            count(before[1].event_id) >= 2,
            "uncheckpointed event re-published"
        );
        assert!(
            count(before[2].event_id) >= 2,
            "uncheckpointed event re-published"
        );
        assert_eq!(count(after[3].event_id), 1);
        app.stop().await;
        names.cleanup().await;
    }
}

backend_test! {
    async fn the_relay_reconnects_after_its_broker_connection_is_dropped(backend) {
        let (names, tap, receiver, app) = start_tapped(backend).await;
        let app = Arc::new(app);

        // Offers keep being created while the connections are closed under the service.
        let writer = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut created = Vec::new();
                for _ in 0..20 {
                    created.push(app.create_offer(&plain_offer()).await);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                created
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let closed = close_broker_connections(&names.connection_name()).await;
        assert!(
            closed >= 2,
            "relay, consumer and dead-letter connections: {closed}"
        );
        let created = writer.await.unwrap();

        let events = all_events(&app).await;
        assert_eq!(events.len(), 20);
        let messages = tap.wait_for_all(&ids(&events)).await;
        assert_in_order(&messages);
        // The callback consumer reconnected too.
        for offer in created.iter().rev().take(3) {
            receiver
                .delivered(&offer_id(offer).to_string(), "OFFER_CREATED")
                .await;
        }
        eventually("ready again", Duration::from_secs(20), || async {
            let (status, _) = readiness(&app).await;
            (status == 200).then_some(())
        })
        .await;
        names.cleanup().await;
    }
}

// On the embedded store only: the broker check does not depend on where the stores are.
#[tokio::test(flavor = "multi_thread")]
async fn start_up_fails_clearly_when_a_required_broker_is_unreachable() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data_dir = tempfile::tempdir().unwrap();
    let config = issuance::config::LoadedConfig::from_toml_with(
        issuance::config::BUILT_IN_CONFIG,
        &[
            ("data_dir", json!(data_dir.path())),
            ("admin_key", json!(ADMIN_KEY)),
            ("wallet_addr", json!("127.0.0.1:0")),
            ("management_addr", json!("127.0.0.1:0")),
            (
                "amqp_url",
                json!(format!(
                    "amqp://guest:secret-password@127.0.0.1:{closed_port}/%2f"
                )),
            ),
            ("require_broker", json!(true)),
            ("amqp.connect_timeout_ms", json!(3000)),
        ],
    )
    .unwrap();
    let error = match issuance::node::startup::Application::build(config, Default::default()).await
    {
        Ok(_) => panic!("start-up succeeded without the broker"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("RabbitMQ"), "{error}");
    assert!(error.contains("require_broker"), "{error}");
    assert!(
        !error.contains("secret-password"),
        "password leaked: {error}"
    );
}

backend_test! {
    async fn readiness_reports_an_unreachable_broker_while_the_service_runs(backend) {
        let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let app = spawn_app_with(TestOptions::on(backend).set(
            "amqp_url",
            json!(format!("amqp://guest:guest@127.0.0.1:{closed_port}/%2f")),
        ))
        .await;
        let body = eventually("broker reported down", Duration::from_secs(10), || async {
            let (status, body) = readiness(&app).await;
            (status == 503 && body["checks"]["broker"]["ready"] == false).then_some(body)
        })
        .await;
        assert_eq!(body["status"], "not_ready");
        // The management API keeps working: offers are accepted and relayed later.
        app.create_offer(&plain_offer()).await;
    }
}
