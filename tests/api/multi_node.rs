//! Two service processes on one PostgreSQL database: both serve HTTP, exactly one runs the
//! singleton work (projectors, the in-process callback relay and consumer, the expiry
//! scheduler — each under a lease), and when that node dies the other takes over with no
//! event lost or projected twice and no status callback lost or sent twice.

use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;

use crate::support::integration::{CallbackReceiver, CALLBACK_SECRET};
use crate::support::nodes::{eventually, Node};
use crate::support::process::copy_keys;
use crate::support::*;

/// Waits until the outbox is empty and the relay's checkpoint is at the last event: every
/// callback so far was delivered and its delivery recorded, none is in flight.
async fn callbacks_settled(client: &tokio_postgres::Client) -> bool {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM callback_outbox), \
                    (SELECT commit_position FROM checkpoints WHERE projection = 'callback_outbox'), \
                    (SELECT max(tx_id::text::bigint) FROM events)",
            &[],
        )
        .await
        .unwrap();
    let (waiting, relayed, last): (i64, Option<i64>, Option<i64>) =
        (row.get(0), row.get(1), row.get(2));
    waiting == 0 && relayed.is_some() && relayed == last
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_lease_holder_dies_the_other_node_takes_over_without_loss_or_repeats() {
    // Arrange: two nodes on one database, status callbacks in-process to a real receiver;
    // the first to start takes every singleton lease.
    let database = TestDatabase::new();
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let receiver = CallbackReceiver::start();
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let start = |name, dir: &Path| Node::start(name, &database, dir, &secret, &receiver.url);
    let first = start("first", first_dir.path());
    first.wait_until_live(first_dir.path()).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            first.holds_leases().await == Some(true)
        })
        .await,
        "the first node takes the leases"
    );
    // Each node has a data directory of its own, with the cluster's signing keys.
    copy_keys(first_dir.path(), second_dir.path());
    let second = start("second", second_dir.path());
    second.wait_until_live(second_dir.path()).await;
    assert_eq!(second.holds_leases().await, Some(false), "one holder only");
    let client = database.client().await;

    // Act 1: offers through both nodes; each is visible on both right after its POST
    // (the non-holder learns the projection's progress from the shared checkpoint).
    let mut offers = Vec::new();
    for i in 0..10 {
        let (writer, reader) = if i % 2 == 0 {
            (&first, &second)
        } else {
            (&second, &first)
        };
        let id = writer.create_offer().await;
        for node in [writer, reader] {
            let (status, view) = node.get(&format!("/offers/{id}")).await;
            assert_eq!(
                status, 200,
                "{} reads {id} written via {}",
                node.name, writer.name
            );
            assert_eq!(view["status"], "CREATED");
        }
        offers.push(id);
    }
    let response = second
        .admin(Method::DELETE, &format!("/offers/{}", offers[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    // Every callback so far delivered by the lease holder, and recorded as delivered: the
    // kill below interrupts no delivery (one interrupted after the POST and before its
    // record would rightly be sent again: delivery is at-least-once).
    for id in &offers {
        receiver.delivered(id, "OFFER_CREATED").await;
    }
    receiver.delivered(&offers[0], "REVOKED").await;
    assert!(
        eventually(Duration::from_secs(15), || callbacks_settled(&client)).await,
        "the outbox drains"
    );

    // Act 2: the lease holder dies (SIGKILL: no goodbye) while the other node keeps writing,
    // including offers that only the survivor's expiry scheduler can expire.
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    for _ in 0..10 {
        offers.push(second.create_offer().await);
    }
    let mut short_lived = Vec::new();
    for _ in 0..2 {
        let mut offer = identity_offer();
        offer["expires_in"] = serde_json::json!(1);
        short_lived.push(second.create(&offer).await);
    }
    for id in &offers[1..4] {
        let response = second
            .admin(Method::DELETE, &format!("/offers/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    // Assert: the survivor took the leases within seconds and projected everything.
    assert!(
        eventually(Duration::from_secs(15), || async {
            second.holds_leases().await == Some(true)
        })
        .await,
        "the second node takes over the leases"
    );
    let converged = eventually(Duration::from_secs(15), || async {
        let (_, page) = second.get("/offers?limit=500").await;
        page["items"].as_array().map_or(0, Vec::len) == offers.len() + short_lived.len()
    })
    .await;
    assert!(converged, "every offer reaches the view");
    for id in &short_lived {
        receiver.delivered(id, "EXPIRED").await;
        let (_, view) = second.get(&format!("/offers/{id}")).await;
        assert_eq!(view["status"], "EXPIRED", "{id}");
    }
    for (i, id) in offers.iter().enumerate() {
        let (status, view) = second.get(&format!("/offers/{id}")).await;
        assert_eq!(status, 200);
        let (_, history) = second.get(&format!("/offers/{id}/events")).await;
        let events = history.as_array().unwrap().len();
        assert_eq!(
            view["version"].as_u64().unwrap() as usize,
            events,
            "the view of {id} applied each of its events exactly once"
        );
        let expected = if i < 4 { "REVOKED" } else { "CREATED" };
        assert_eq!(view["status"], expected, "{id}");
    }
    // Every event is counted once, and the checkpoint sits on the last event of the log.
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM events WHERE stream_id LIKE 'offer-%'), (SELECT sum((view->>'version')::bigint) FROM offer_views)::bigint",
            &[],
        )
        .await
        .unwrap();
    let (events, versions): (i64, i64) = (row.get(0), row.get(1));
    let types = client
        .query(
            "SELECT event_type, count(*) FROM events WHERE stream_id LIKE 'offer-%' GROUP BY 1 ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let types: Vec<(String, i64)> = types.iter().map(|r| (r.get(0), r.get(1))).collect();
    // 22 created, 4 revoked, 2 expired (once each, by the survivor's scheduler).
    assert_eq!(events, 28, "{types:?}");
    assert_eq!(versions, events, "no event lost or projected twice");
    let checkpoint = client
        .query_one(
            "SELECT commit_position, prepare_position FROM checkpoints WHERE projection = 'offer_view'",
            &[],
        )
        .await
        .unwrap();
    let last = client
        .query_one(
            "SELECT tx_id::text::bigint, global_position FROM events ORDER BY tx_id DESC, global_position DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (checkpoint.get::<_, i64>(0), checkpoint.get::<_, i64>(1)),
        (last.get::<_, i64>(0), last.get::<_, i64>(1))
    );

    // Every status callback arrived exactly once: the survivor's relay went on from the
    // shared checkpoint and its consumer from the shared outbox, re-sending nothing.
    for id in &offers {
        receiver.delivered(id, "OFFER_CREATED").await;
    }
    for id in &offers[..4] {
        receiver.delivered(id, "REVOKED").await;
    }
    assert!(
        eventually(Duration::from_secs(15), || callbacks_settled(&client)).await,
        "the outbox drains on the survivor"
    );
    let received = receiver.received();
    let expected = offers.len() + short_lived.len() + 4 + short_lived.len();
    assert_eq!(received.len(), expected, "no callback lost or sent twice");
    let deliveries: std::collections::HashSet<Option<String>> =
        received.iter().map(|r| r.delivery.clone()).collect();
    assert_eq!(deliveries.len(), expected, "each delivery id once");
    assert!(received
        .iter()
        .all(|r| r.signature_is_valid(CALLBACK_SECRET)));
    let dead: i64 = client
        .query_one("SELECT count(*) FROM dead_letters", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(dead, 0);
    drop(first);
}
