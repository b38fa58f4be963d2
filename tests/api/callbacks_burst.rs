//! A burst of 5,000 offers' status callbacks drains completely, each offer's callbacks in
//! order and validly signed (issue 17, acceptance): in process on SQLite, and on two
//! PostgreSQL nodes where the one delivering is killed mid-drain and the other takes its
//! lease and finishes, sending again only what was in flight (at-least-once, README).
//!
//! The callbacks pile up first (the receiver holds its connections while the offers are
//! created), so the drain really starts from a backlog of the whole burst.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

use crate::support::integration::*;
use crate::support::nodes::Node;
use crate::support::*;

/// Offers in the burst: each has an `OFFER_CREATED` callback …
const OFFERS: usize = 5_000;
/// … and every this many is revoked too (a second callback, `REVOKED`, due after the first).
const REVOKE_EVERY: usize = 4;
/// Management requests in flight while the burst is created.
const CREATORS: usize = 32;
/// The in-process pipeline's window (`callbacks.concurrency`) on the PostgreSQL nodes.
const WINDOW: usize = 256;
/// Generous: the drain takes seconds; a loaded machine may take longer.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(240);

/// Creates the burst's offers through the management APIs at `bases` (round robin), and
/// revokes every [`REVOKE_EVERY`]th; returns each offer id with its callbacks' count.
async fn create_burst(bases: &[String]) -> HashMap<String, usize> {
    let client = reqwest::Client::new();
    let created: Vec<(usize, String)> = stream::iter(0..OFFERS)
        .map(|i| {
            let (client, base) = (client.clone(), bases[i % bases.len()].clone());
            async move {
                // On a loaded machine a pooled keep-alive connection can be closed by the
                // server just as a request goes out (hyper's IncompleteMessage). The
                // Idempotency-Key makes the retry create nothing twice.
                let key = format!("burst-{i}");
                let mut attempts = 0;
                let response = loop {
                    attempts += 1;
                    match client
                        .post(format!("{base}/offers"))
                        .bearer_auth(ADMIN_KEY)
                        .header("Idempotency-Key", &key)
                        .json(&plain_offer())
                        .send()
                        .await
                    {
                        // A server starved of CPU may time out reading a request (408); the
                        // Idempotency-Key makes the retry safe.
                        Ok(response) if response.status() == 408 && attempts < 5 => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Ok(response) => break response,
                        Err(e) if attempts < 5 && (e.is_request() || e.is_connect()) => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("POST /offers failed {attempts} times: {e}"),
                    }
                };
                assert!(
                    matches!(response.status().as_u16(), 200 | 201),
                    "{}",
                    response.status()
                );
                let body: Value = response.json().await.unwrap();
                (i, body["offer_id"].as_str().unwrap().to_string())
            }
        })
        .buffer_unordered(CREATORS)
        .collect()
        .await;
    let revoked: Vec<String> = created
        .iter()
        .filter(|(i, _)| i % REVOKE_EVERY == 0)
        .map(|(_, id)| id.clone())
        .collect();
    stream::iter(revoked.iter().enumerate())
        .map(|(i, id)| {
            let (client, base) = (client.clone(), bases[i % bases.len()].clone());
            async move {
                // As for creation: a pooled connection cut by a loaded server is retried; a
                // retry of a revocation that went through finds the offer revoked (409).
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    let sent = client
                        .delete(format!("{base}/offers/{id}"))
                        .bearer_auth(ADMIN_KEY)
                        .send()
                        .await;
                    match sent {
                        Ok(response) if attempts > 1 && response.status() == 409 => break,
                        Ok(response) => {
                            assert_eq!(response.status(), 204);
                            break;
                        }
                        Err(e) if attempts < 5 && (e.is_request() || e.is_connect()) => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("DELETE /offers failed {attempts} times: {e}"),
                    }
                }
            }
        })
        .buffer_unordered(CREATORS)
        .collect::<Vec<()>>()
        .await;
    created
        .into_iter()
        .map(|(i, id)| (id, if i % REVOKE_EVERY == 0 { 2 } else { 1 }))
        .collect()
}

/// What the receiver got: each offer's delivered sequences (a delivery counted at its
/// first 2xx, in arrival order), and the deliveries answered 2xx more than once with the
/// position of their first 2xx.
struct Drained {
    sequences: HashMap<String, Vec<u64>>,
    repeated: Vec<(String, usize)>,
}

fn drained(received: &[Received]) -> Drained {
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut sequences: HashMap<String, Vec<u64>> = HashMap::new();
    let mut repeated = Vec::new();
    for (position, r) in received.iter().enumerate() {
        if !(200..300).contains(&r.answered) {
            continue;
        }
        let delivery = r.delivery.clone().unwrap();
        if let Some(earlier) = first.get(&delivery) {
            repeated.push((delivery, *earlier));
            continue;
        }
        first.insert(delivery, position);
        let body = r.json();
        sequences
            .entry(body["offerId"].as_str().unwrap().to_string())
            .or_default()
            .push(body["sequence"].as_u64().unwrap());
    }
    Drained {
        sequences,
        repeated,
    }
}

/// Waits until the receiver answered 2xx to at least every expected callback once.
async fn wait_for_drain(receiver: &CallbackReceiver, expected: usize) {
    eventually("the burst to drain", DRAIN_TIMEOUT, || {
        let delivered = receiver.delivered_count();
        async move { (delivered >= expected).then_some(()) }
    })
    .await;
}

/// Every offer got all of its callbacks, in order (`OFFER_CREATED` = 1, `REVOKED` = 2),
/// each validly signed.
fn assert_complete_and_in_order(
    receiver: &CallbackReceiver,
    offers: &HashMap<String, usize>,
) -> Drained {
    let received = receiver.received();
    let drained = drained(&received);
    assert_eq!(
        drained.sequences.len(),
        offers.len(),
        "every offer called back"
    );
    for (id, count) in offers {
        let expected: Vec<u64> = (1..=*count as u64).collect();
        assert_eq!(drained.sequences.get(id), Some(&expected), "offer {id}");
    }
    let invalid = received
        .iter()
        .filter(|r| !r.signature_is_valid(CALLBACK_SECRET))
        .count();
    assert_eq!(invalid, 0, "every signature valid");
    drained
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_5000_offers_callbacks_drains_in_order_on_sqlite() {
    let receiver = CallbackReceiver::start();
    receiver.stall();
    let options = embedded_options(Backend::Sqlite, &receiver)
        .keeping_claims()
        // The held requests must not time out while the burst is created.
        .set("callbacks.timeout_ms", json!(120_000))
        .set("callbacks.max_attempts", json!(50));
    let app = spawn_app_with(options).await;
    let offers = create_burst(std::slice::from_ref(&app.management)).await;
    let expected: usize = offers.values().sum();

    receiver.recover();
    wait_for_drain(&receiver, expected).await;
    let drained = assert_complete_and_in_order(&receiver, &offers);
    assert!(drained.repeated.is_empty(), "{:?}", drained.repeated);
    eventually("an empty outbox", Duration::from_secs(30), || async {
        let (_, body) = readiness(&app).await;
        (body["checks"]["callbacks"]["depth"] == 0).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_5000_offers_callbacks_survives_killing_the_delivering_node_on_postgres() {
    let database = TestDatabase::new();
    // One data directory per node (one process each), with the cluster's signing keys.
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let receiver = CallbackReceiver::start();
    receiver.stall();
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let window = WINDOW.to_string();
    let settings = [
        ("ISSUANCE_CALLBACKS__CONCURRENCY", window.as_str()),
        ("ISSUANCE_CALLBACKS__TIMEOUT_MS", "120000"),
        ("ISSUANCE_CALLBACKS__MAX_ATTEMPTS", "50"),
    ];
    let start = |name, dir: &std::path::Path| {
        Node::start_with(name, &database, dir, &secret, &receiver.url, &settings)
    };
    let mut first = start("first", first_dir.path());
    first.wait_until_live(first_dir.path()).await;
    eventually(
        "the first node's leases",
        Duration::from_secs(30),
        || async { (first.holds_leases().await == Some(true)).then_some(()) },
    )
    .await;
    crate::support::process::copy_keys(first_dir.path(), second_dir.path());
    let second = start("second", second_dir.path());
    second.wait_until_live(second_dir.path()).await;
    assert_eq!(second.holds_leases().await, Some(false), "one holder only");

    let bases = [first.management.clone(), second.management.clone()];
    let offers = create_burst(&bases).await;
    let expected: usize = offers.values().sum();

    // Mid-drain: the first node delivers a fifth of the burst, then the receiver holds
    // its requests again, and the first node dies (SIGKILL) with requests in flight.
    receiver.recover();
    receiver.stall_after(expected / 5);
    eventually("a fifth delivered", DRAIN_TIMEOUT, || {
        let (delivered, held) = (receiver.delivered_count(), receiver.held());
        async move { (delivered >= expected / 5 && held > 0).then_some(()) }
    })
    .await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let killed_at = receiver.received().len();
    assert!(receiver.delivered_count() < expected, "killed mid-drain");

    // The second node takes the leases and finishes the burst.
    receiver.recover();
    eventually(
        "the second node's leases",
        Duration::from_secs(30),
        || async { (second.holds_leases().await == Some(true)).then_some(()) },
    )
    .await;
    wait_for_drain(&receiver, expected).await;
    let drained = assert_complete_and_in_order(&receiver, &offers);
    // Sent again only what the first node had delivered without recording it yet: at most
    // the pipeline's window (`callbacks.concurrency`), each first delivered before the kill.
    assert!(
        drained.repeated.len() <= WINDOW,
        "{} repeated",
        drained.repeated.len()
    );
    for (delivery, first_at) in &drained.repeated {
        assert!(*first_at < killed_at, "{delivery} repeated by the survivor");
    }
    let client = database.client().await;
    eventually("an empty outbox", Duration::from_secs(30), || async {
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM callback_outbox), (SELECT count(*) FROM dead_letters)",
                &[],
            )
            .await
            .unwrap();
        let (waiting, dead): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(dead, 0, "no dead letters");
        (waiting == 0).then_some(())
    })
    .await;
    let repeated: HashSet<&String> = drained.repeated.iter().map(|(d, _)| d).collect();
    println!(
        "burst: {expected} callbacks; {} requests reached the receiver before the kill; {} callbacks sent again",
        killed_at,
        repeated.len()
    );
}
