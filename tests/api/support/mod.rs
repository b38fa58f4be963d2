//! `spawn_app` and the typed helpers every integration test uses.

#![allow(dead_code)]

pub mod authcode;
pub mod integration;
pub mod wallet;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::web;
use issuance::clock::{Clock, OffsetClock};
use issuance::config::{LoadedConfig, BUILT_IN_CONFIG};
use issuance::startup::{Application, BuildOptions, StopHandle};
use issuance::state::AppState;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::task::JoinHandle;

/// The bootstrap admin key of every test app.
pub const ADMIN_KEY: &str = "test-admin-key";
/// A key with `offers:read` only.
pub const READER_KEY: &str = "test-reader-key";
/// A key with `offers:write` only.
pub const WRITER_KEY: &str = "test-writer-key";
/// A key with `audit:read` only.
pub const AUDITOR_KEY: &str = "test-auditor-key";

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How to build a test app.
pub struct TestOptions {
    /// Settings overrides (dotted keys).
    pub overrides: Vec<(String, Value)>,
    /// Reuse this data directory (restart tests).
    pub data_dir: Option<Arc<TempDir>>,
    /// TOML configuration (default: the built-in example).
    pub toml: String,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            overrides: Vec::new(),
            data_dir: None,
            toml: BUILT_IN_CONFIG.to_string(),
        }
    }
}

impl TestOptions {
    /// Adds a settings override.
    pub fn set(mut self, key: &str, value: Value) -> Self {
        self.overrides.push((key.to_string(), value));
        self
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
    pub state: web::Data<AppState>,
    /// Moves the service's clock.
    pub clock: Arc<OffsetClock>,
    stop: StopHandle,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Starts the service with the default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

/// Starts the service.
pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let data_dir = options
        .data_dir
        .unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("temp dir")));
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
            ]),
        ),
    ];
    overrides.extend(options.overrides);
    let borrowed: Vec<(&str, Value)> = overrides
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let config = LoadedConfig::from_toml_with(&options.toml, &borrowed)
        .unwrap_or_else(|e| panic!("config: {e:?}"));
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
        stop,
        task: Some(task),
    }
}

impl TestApp {
    /// Stops the service and waits for its background tasks.
    pub async fn stop(mut self) -> Arc<TempDir> {
        self.stop.stop(true).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.data_dir.clone()
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

    /// `POST /offers` with the admin key; returns status and body.
    pub async fn post_offer(&self, body: &Value) -> (u16, Value) {
        let response = self
            .admin(reqwest::Method::POST, "/offers")
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates an offer and returns the creation response (asserting 201).
    pub async fn create_offer(&self, body: &Value) -> Value {
        let (status, body) = self.post_offer(body).await;
        assert_eq!(status, 201, "create offer: {body}");
        body
    }

    /// `GET` with the admin key; status and JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.admin(reqwest::Method::GET, path).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The number of events in the log.
    pub async fn event_count(&self) -> u64 {
        self.state.events.head().await.unwrap().commit
    }
}

/// A minimal valid identity offer body.
pub fn identity_offer() -> Value {
    json!({
        "credential_configuration_id": "IdentityCredential",
        "claims": {"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12"},
        "tx_code": {"length": 6, "description": "Code sent by SMS"},
    })
}
