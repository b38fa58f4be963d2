//! Two service processes on one PostgreSQL database: both serve HTTP, exactly one runs the
//! projector (under a lease), and when that node dies the other takes over with no event
//! lost or projected twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::Value;

use crate::support::*;

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
    /// and `server_secret` with its peers, as the nodes of one cluster do.
    fn start(
        name: &'static str,
        database: &TestDatabase,
        data_dir: &Path,
        server_secret: &str,
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

    async fn holds_projector_lease(&self) -> Option<bool> {
        let response = self
            .client
            .get(format!("{}/health/ready", self.management))
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        Some(body["checks"]["leases"]["offer_view"] == "held")
    }

    fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.management))
            .bearer_auth(ADMIN_KEY)
    }

    async fn create_offer(&self) -> String {
        let response = self
            .admin(Method::POST, "/offers")
            .json(&identity_offer())
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

#[tokio::test(flavor = "multi_thread")]
async fn when_the_projector_node_dies_the_other_node_takes_over_without_loss_or_repeats() {
    // Arrange: two nodes on one database; the first to start takes the projector lease.
    let database = TestDatabase::new();
    let data_dir = tempfile::tempdir().unwrap();
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let first = Node::start("first", &database, data_dir.path(), &secret);
    first.wait_until_live(data_dir.path()).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            first.holds_projector_lease().await == Some(true)
        })
        .await,
        "the first node takes the lease"
    );
    let second = Node::start("second", &database, data_dir.path(), &secret);
    second.wait_until_live(data_dir.path()).await;
    assert_eq!(
        second.holds_projector_lease().await,
        Some(false),
        "one holder only"
    );

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

    // Act 2: the lease holder dies (SIGKILL: no goodbye) while the other node keeps writing.
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    for _ in 0..10 {
        offers.push(second.create_offer().await);
    }
    for id in &offers[1..4] {
        let response = second
            .admin(Method::DELETE, &format!("/offers/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    // Assert: the survivor took the lease within seconds and projected everything.
    assert!(
        eventually(Duration::from_secs(15), || async {
            second.holds_projector_lease().await == Some(true)
        })
        .await,
        "the second node takes over the lease"
    );
    let client = database.client().await;
    let converged = eventually(Duration::from_secs(15), || async {
        let (_, page) = second.get("/offers?limit=500").await;
        page["items"].as_array().map_or(0, Vec::len) == offers.len()
    })
    .await;
    assert!(converged, "every offer reaches the view");
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
    assert_eq!(events, 24, "{types:?}");
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
    drop(first);
}
