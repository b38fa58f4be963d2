//! `spawn_app` and the typed helpers every integration test uses.
//!
//! To run a test on SQLite *and* PostgreSQL, wrap it in `backend_test!` and start the app
//! with `spawn_app_on(backend)` / `TestOptions::on(backend)`: see [`backends`].

#![allow(dead_code)]

pub mod authcode;
mod backends;
pub mod contracts;
pub mod haip;
pub mod integration;
pub mod logs;
pub mod nodes;
pub mod openapi;
pub mod process;
pub mod raw_http;
pub mod wallet;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use issuance::clock::{Clock, OffsetClock};
use issuance::config::{LoadedConfig, BUILT_IN_CONFIG};
use issuance::contracts::openapi::Api;
use issuance::node::startup::{Application, BuildOptions, StopHandle};
use issuance::node::state::NodeState;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::task::JoinHandle;

pub(crate) use backends::backend_test;
pub use backends::{Backend, TestDatabase};

/// The bootstrap admin key of every test app.
pub const ADMIN_KEY: &str = "test-admin-key-of-at-least-32-characters";
/// A key with `offers:read` only.
pub const READER_KEY: &str = "test-reader-key";
/// A key with `offers:write` only.
pub const WRITER_KEY: &str = "test-writer-key";
/// A key with `audit:read` only.
pub const AUDITOR_KEY: &str = "test-auditor-key";
/// A key with `issuers:read` only.
pub const ISSUER_READER_KEY: &str = "test-issuer-reader-key";

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Placeholder for the wallet base URL (the issuer identifier) in [`TestOptions::toml`].
pub const WALLET_URL: &str = "@WALLET_URL@";

/// How to build a test app.
pub struct TestOptions {
    /// Settings overrides (dotted keys).
    pub overrides: Vec<(String, Value)>,
    /// Reuse this data directory (restart tests).
    pub data_dir: Option<Arc<TempDir>>,
    /// TOML configuration (default: the built-in example). [`WALLET_URL`] in it stands
    /// for the wallet base URL, known once the listener is bound.
    pub toml: String,
    /// Where events, secrets and read models live (default: SQLite in the data directory).
    pub backend: Backend,
    /// Reuse this PostgreSQL schema (restart tests); a fresh one when `None`.
    pub database: Option<Arc<TestDatabase>>,
    /// Keep the shipped per-client rate limits. Off by default: every request of a test
    /// comes from 127.0.0.1, and most tests make more requests than one wallet would.
    pub rate_limits: bool,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            overrides: Vec::new(),
            data_dir: None,
            toml: BUILT_IN_CONFIG.to_string(),
            backend: Backend::Sqlite,
            database: None,
            rate_limits: false,
        }
    }
}

impl TestOptions {
    /// Default options on `backend`.
    pub fn on(backend: Backend) -> Self {
        TestOptions {
            backend,
            ..Default::default()
        }
    }

    /// Adds a settings override.
    pub fn set(mut self, key: &str, value: Value) -> Self {
        self.overrides.push((key.to_string(), value));
        self
    }

    /// Keeps the shipped per-client rate limits (`limits.rates`) on, as a deployment has
    /// them; overrides of `limits.rates.*` still apply.
    pub fn with_rate_limits(mut self) -> Self {
        self.rate_limits = true;
        self
    }

    /// Turns the retention policy off. For tests that count events around offers that
    /// ended: by default the policy erases their claims in the background, appending a
    /// `ClaimsErased` event at a moment of its own.
    pub fn keeping_claims(self) -> Self {
        self.set("retention", json!({"erase_claims_after_hours": "never"}))
    }
}

/// A running service and an HTTP client for it.
pub struct TestApp {
    /// Management API base URL.
    pub management: String,
    /// Wallet API base URL (also the issuer identifier).
    pub wallet: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The data directory (kept alive with the app).
    pub data_dir: Arc<TempDir>,
    /// Shared state, for inspecting stores.
    pub state: web::Data<NodeState>,
    /// Moves the service's clock.
    pub clock: Arc<OffsetClock>,
    /// The PostgreSQL schema of a `Backend::Postgres` app.
    pub database: Option<Arc<TestDatabase>>,
    stop: StopHandle,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Starts the service with the default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

/// Starts the service on `backend` with otherwise default options.
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_with(TestOptions::on(backend)).await
}

/// The settings that put a test's stores on its backend.
fn store_overrides(backend: Backend, database: Option<&TestDatabase>) -> Vec<(String, Value)> {
    match (backend, database) {
        (Backend::Postgres, Some(database)) => vec![("event_store".into(), json!(database.url()))],
        _ => Vec::new(),
    }
}

/// Starts the service.
pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let data_dir = options
        .data_dir
        .unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("temp dir")));
    let database = match (options.backend, options.database) {
        (Backend::Postgres, None) => Some(Arc::new(TestDatabase::new())),
        (_, database) => database,
    };
    let wallet_listener = TcpListener::bind("127.0.0.1:0").expect("bind wallet");
    let management_listener = TcpListener::bind("127.0.0.1:0").expect("bind management");
    let wallet = format!(
        "http://127.0.0.1:{}",
        wallet_listener.local_addr().unwrap().port()
    );
    let management = format!(
        "http://127.0.0.1:{}",
        management_listener.local_addr().unwrap().port()
    );
    let mut overrides: Vec<(String, Value)> = vec![
        ("data_dir".into(), json!(data_dir.path())),
        ("public_url".into(), json!(wallet)),
        ("admin_key".into(), json!(ADMIN_KEY)),
        ("workers".into(), json!(1)),
        (
            "api_keys".into(),
            json!([
                {"name": "reader", "sha256": sha256_hex(READER_KEY), "scopes": ["offers:read"]},
                {"name": "writer", "sha256": sha256_hex(WRITER_KEY), "scopes": ["offers:write"]},
                {"name": "auditor", "sha256": sha256_hex(AUDITOR_KEY), "scopes": ["audit:read"]},
                {"name": "issuer-reader", "sha256": sha256_hex(ISSUER_READER_KEY), "scopes": ["issuers:read"]},
            ]),
        ),
    ];
    if !options.rate_limits {
        overrides.push(("limits.rates.enabled".into(), json!(false)));
    }
    overrides.extend(store_overrides(options.backend, database.as_deref()));
    overrides.extend(options.overrides);
    let borrowed: Vec<(&str, Value)> = overrides
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let toml = options.toml.replace(WALLET_URL, &wallet);
    let config =
        LoadedConfig::from_toml_with(&toml, &borrowed).unwrap_or_else(|e| panic!("config: {e:?}"));
    let clock = Arc::new(OffsetClock::default());
    let app = Application::build(
        config,
        BuildOptions {
            wallet_listener: Some(wallet_listener),
            management_listener: Some(management_listener),
            clock: Some(clock.clone() as Arc<dyn Clock>),
        },
    )
    .await
    .expect("build app");
    let state = app.state();
    let stop = app.stop_handle();
    let task = tokio::spawn(app.run_until_stopped());
    TestApp {
        management,
        wallet,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        data_dir,
        state,
        clock,
        database,
        stop,
        task: Some(task),
    }
}

/// What a stopped app leaves behind: its stores, for a restart or direct inspection.
pub struct Stopped {
    /// The data directory.
    pub data_dir: Arc<TempDir>,
    /// The PostgreSQL schema, for `Backend::Postgres`.
    pub database: Option<Arc<TestDatabase>>,
}

impl Stopped {
    /// The backend the app ran on.
    pub fn backend(&self) -> Backend {
        if self.database.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Options that start the service again on the same stores.
    pub fn restart_options(&self) -> TestOptions {
        TestOptions {
            data_dir: Some(self.data_dir.clone()),
            database: self.database.clone(),
            ..TestOptions::on(self.backend())
        }
    }

    /// A configuration naming the same stores (to open them without the service).
    pub fn config(&self) -> LoadedConfig {
        let mut overrides = vec![("data_dir".to_string(), json!(self.data_dir.path()))];
        overrides.extend(store_overrides(self.backend(), self.database.as_deref()));
        let borrowed: Vec<(&str, Value)> = overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &borrowed).unwrap()
    }
}

impl TestApp {
    /// Stops the service and waits for its background tasks. (SQLite only: on PostgreSQL
    /// the schema would be dropped with the app; use [`TestApp::shutdown`] to restart.)
    pub async fn stop(self) -> Arc<TempDir> {
        self.shutdown().await.data_dir
    }

    /// Stops the service and waits for its background tasks; the stores stay for a restart.
    pub async fn shutdown(mut self) -> Stopped {
        self.stop.stop(true).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        Stopped {
            data_dir: self.data_dir.clone(),
            database: self.database.clone(),
        }
    }

    /// A management request with the admin key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.with_key(method, path, ADMIN_KEY)
    }

    /// A management request with `key`.
    pub fn with_key(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.management))
            .bearer_auth(key)
    }

    /// `POST /offers` with the admin key; returns status and body (checked against the
    /// management API's OpenAPI document).
    pub async fn post_offer(&self, body: &Value) -> (u16, Value) {
        let response = self
            .admin(reqwest::Method::POST, "/offers")
            .json(body)
            .send()
            .await
            .unwrap();
        openapi::checked(Api::Management, "POST", "/offers", response).await
    }

    /// Creates an offer and returns the creation response (asserting 201).
    pub async fn create_offer(&self, body: &Value) -> Value {
        let (status, body) = self.post_offer(body).await;
        assert_eq!(status, 201, "create offer: {body}");
        body
    }

    /// `GET /metrics` (no key needed): the Prometheus text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.management))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// `GET` with the admin key; status and JSON body (checked against the management
    /// API's OpenAPI document).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.admin(reqwest::Method::GET, path).send().await.unwrap();
        openapi::checked(Api::Management, "GET", path, response).await
    }

    /// A management request with the admin key, its answer checked against the management
    /// API's OpenAPI document; status and JSON body (`Null` if none).
    pub async fn management_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.admin(method.clone(), path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        openapi::checked(Api::Management, method.as_str(), path, response).await
    }

    /// The newest position this app has written: what a projection must reach to show
    /// every write made so far. Not `events.head()`, which on PostgreSQL trails a commit
    /// while any older transaction on the server (another test's, say) is still open.
    pub async fn written_head(&self) -> issuance_eventlog::LogPosition {
        let appended = *self.state.events.appended().borrow();
        appended.max(self.state.events.head().await.unwrap())
    }

    /// The number of events in the log, without the start's record of the configuration
    /// file (counted: positions are not counts on every backend; on PostgreSQL counted in
    /// the table, which includes events the log does not hand out yet because an older
    /// transaction is still open).
    pub async fn event_count(&self) -> u64 {
        if let Some(database) = &self.database {
            let row = database
                .client()
                .await
                .query_one(
                    "SELECT count(*) FROM events WHERE stream_id <> $1",
                    &[&DEFAULT_ISSUER_STREAM],
                )
                .await
                .unwrap();
            return row.get::<_, i64>(0) as u64;
        }
        let mut count = 0;
        let mut after = issuance_eventlog::LogPosition::START;
        loop {
            let events = self.state.events.read_all(after, 10_000).await.unwrap();
            let Some(last) = events.last() else {
                return count;
            };
            after = last.position;
            count += events
                .iter()
                .filter(|e| e.stream_id != DEFAULT_ISSUER_STREAM)
                .count() as u64;
        }
    }
}

impl TestApp {
    /// Events the starts recorded for the configuration file (the default issuer's
    /// stream): they come first in a fresh log.
    pub async fn startup_events(&self) -> u64 {
        // The stream itself, not the global log: on PostgreSQL the log hands out nothing
        // past another test's open transaction.
        self.state
            .events
            .read_stream(DEFAULT_ISSUER_STREAM)
            .await
            .unwrap()
            .len() as u64
    }
}

/// The stream in which every start records the configuration file (the default issuer):
/// [`TestApp::event_count`] counts what a test caused, so it leaves it out.
pub const DEFAULT_ISSUER_STREAM: &str = "issuer-default";

/// A minimal valid identity offer body.
pub fn identity_offer() -> Value {
    json!({
        "credential_configuration_id": "IdentityCredential",
        "claims": {"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12"},
        "tx_code": {"length": 6, "description": "Code sent by SMS"},
    })
}
