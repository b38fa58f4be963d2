//! Two service processes on one PostgreSQL database: both serve HTTP, exactly one runs the
//! singleton work (projectors, the in-process callback relay and consumer, the expiry
//! scheduler — each under a lease), and when that node dies the other takes over with no
//! event lost or projected twice and no status callback lost or sent twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::Value;

use crate::support::integration::{CallbackReceiver, CALLBACK_SECRET};
use crate::support::*;

/// The leases of the singleton tasks of the in-process (no broker) configuration.
const LEASES: [&str; 5] = [
    "offer_view",
    "audit_view",
    "callback_relay",
    "callback_consumer",
    "expiry_scheduler",
];

/// A service process, killed when dropped.
struct Node {
    name: &'static str,
    child: Child,
    management: String,
    client: reqwest::Client,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    /// Starts `issuance serve` on fresh ports against `database`, sharing `data_dir` (keys)
    /// and `server_secret` with its peers, as the nodes of one cluster do; status callbacks
    /// go to `callback_url` in-process (no broker).
    fn start(
        name: &'static str,
        database: &TestDatabase,
        data_dir: &Path,
        server_secret: &str,
        callback_url: &str,
    ) -> Node {
        let (wallet_port, management_port) = (free_port(), free_port());
        let log = std::fs::File::create(data_dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_issuance"))
            .arg("serve")
            .env_remove("ISSUANCE_CONFIG")
            .env_remove("ISSUANCE_READ_STORE")
            .env("ISSUANCE_DATA_DIR", data_dir)
            .env("ISSUANCE_EVENT_STORE", database.url())
            .env("ISSUANCE_WALLET_ADDR", format!("127.0.0.1:{wallet_port}"))
            .env(
                "ISSUANCE_MANAGEMENT_ADDR",
                format!("127.0.0.1:{management_port}"),
            )
            .env(
                "ISSUANCE_PUBLIC_URL",
                format!("http://127.0.0.1:{wallet_port}"),
            )
            .env("ISSUANCE_ADMIN_KEY", ADMIN_KEY)
            .env("ISSUANCE_SERVER_SECRET", server_secret)
            .env("ISSUANCE_WORKERS", "1")
            // Erasure events would change the event count this test balances.
            .env("ISSUANCE_RETENTION__ERASE_CLAIMS_AFTER_HOURS", "never")
            .env_remove("ISSUANCE_AMQP_URL")
            .env("ISSUANCE_CALLBACK_URL", callback_url)
            .env("ISSUANCE_CALLBACK_SECRET", CALLBACK_SECRET)
            .env("ISSUANCE_CALLBACKS__BASE_DELAY_MS", "200")
            .env("ISSUANCE_SCHEDULER__EXPIRY_INTERVAL_MS", "200")
            // Every wallet request comes from one address.
            .env("ISSUANCE_LIMITS__RATES__ENABLED", "false")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Node {
            name,
            child,
            management: format!("http://127.0.0.1:{management_port}"),
            client: reqwest::Client::new(),
        }
    }

    async fn wait_until_live(&self, data_dir: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = self
                .client
                .get(format!("{}/health/live", self.management))
                .send()
                .await
            {
                if response.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(data_dir.join(format!("{}.log", self.name)))
            .unwrap_or_default();
        panic!("node {} did not start:\n{log}", self.name);
    }

    /// Whether this node holds every lease of [`LEASES`] (`Some(false)` if it holds none
    /// of them; `None` if it cannot tell or holds some).
    async fn holds_leases(&self) -> Option<bool> {
        let response = self
            .client
            .get(format!("{}/health/ready", self.management))
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        let held: Vec<bool> = LEASES
            .iter()
            .map(|lease| body["checks"]["leases"][lease] == "held")
            .collect();
        if held.iter().all(|h| *h) {
            Some(true)
        } else if held.iter().all(|h| !*h) {
            Some(false)
        } else {
            None
        }
    }

    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.management))
            .bearer_auth(ADMIN_KEY)
    }

    async fn create_offer(&self) -> String {
        self.create(&identity_offer()).await
    }

    async fn create(&self, offer: &Value) -> String {
        let response = self
            .admin(Method::POST, "/offers")
            .json(offer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "create on {}", self.name);
        let body: Value = response.json().await.unwrap();
        body["offer_id"].as_str().unwrap().to_string()
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.admin(Method::GET, path).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Waits until `check` holds, at most `limit`.
async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

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
    let data_dir = tempfile::tempdir().unwrap();
    let receiver = CallbackReceiver::start();
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let start = |name| Node::start(name, &database, data_dir.path(), &secret, &receiver.url);
    let first = start("first");
    first.wait_until_live(data_dir.path()).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            first.holds_leases().await == Some(true)
        })
        .await,
        "the first node takes the leases"
    );
    let second = start("second");
    second.wait_until_live(data_dir.path()).await;
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
            "SELECT (SELECT count(*) FROM events), (SELECT sum((view->>'version')::bigint) FROM offer_views)::bigint",
            &[],
        )
        .await
        .unwrap();
    let (events, versions): (i64, i64) = (row.get(0), row.get(1));
    let types = client
        .query(
            "SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1",
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
