//! Service processes (`issuance serve`) sharing one PostgreSQL database, as the nodes of a
//! cluster: started on fresh ports, killed (SIGKILL) on drop or on demand.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::integration::CALLBACK_SECRET;
use super::{identity_offer, TestDatabase, ADMIN_KEY};

/// The leases of the singleton tasks of the in-process (no broker) configuration.
pub const LEASES: [&str; 5] = [
    "offer_view",
    "audit_view",
    "callback_relay",
    "callback_consumer",
    "expiry_scheduler",
];

/// A service process, killed when dropped.
pub struct Node {
    /// Its name (log file `<data dir>/<name>.log`).
    pub name: &'static str,
    /// The process.
    pub child: Child,
    /// Management API base URL.
    pub management: String,
    /// HTTP client.
    pub client: reqwest::Client,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    /// Starts `issuance serve` on fresh ports against `database` with its own `data_dir`
    /// (one process per data directory), sharing `server_secret` and the signing keys
    /// (see [`super::process::copy_keys`]) with its peers, as the nodes of one cluster do;
    /// status callbacks go to `callback_url` in-process (no broker).
    pub fn start(
        name: &'static str,
        database: &TestDatabase,
        data_dir: &Path,
        server_secret: &str,
        callback_url: &str,
    ) -> Node {
        Self::start_with(name, database, data_dir, server_secret, callback_url, &[])
    }

    /// [`Node::start`] with further environment variables (settings).
    pub fn start_with(
        name: &'static str,
        database: &TestDatabase,
        data_dir: &Path,
        server_secret: &str,
        callback_url: &str,
        extra: &[(&str, &str)],
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
            .envs(extra.iter().copied())
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

    pub async fn wait_until_live(&self, data_dir: &Path) {
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
    pub async fn holds_leases(&self) -> Option<bool> {
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

    pub fn admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.management))
            .bearer_auth(ADMIN_KEY)
    }

    pub async fn create_offer(&self) -> String {
        self.create(&identity_offer()).await
    }

    pub async fn create(&self, offer: &Value) -> String {
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

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.admin(Method::GET, path).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Waits until `check` holds, at most `limit`.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
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
