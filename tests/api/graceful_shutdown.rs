//! A rolling deploy, as an operator does it: SIGTERM to the real binary while wallets and
//! the institution are busy. Readiness turns 503 at once, the listeners close, every
//! request in flight completes (none is cut), the process exits 0, and every write the
//! service acknowledged is there after a restart on the same data directory.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::support::nodes::free_port;
use crate::support::raw_http::{send_held, RawRequest};
use crate::support::wallet::*;
use crate::support::*;

/// Seconds readiness answers 503 before the listeners close: the load balancer's cue.
const UNREADY_DELAY: u64 = 3;
/// Held requests of each kind (offer creation, token, credential).
const HELD: usize = 4;
/// Wallet flows running in a loop while the signal arrives.
const LOOPS: usize = 4;

/// The service as a child process.
struct Service {
    child: Child,
    wallet: String,
    management: String,
    client: reqwest::Client,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    fn start(data_dir: &Path, log_name: &str, unready_delay: u64) -> Service {
        let (wallet_port, management_port) = (free_port(), free_port());
        let wallet = format!("http://127.0.0.1:{wallet_port}");
        let log = std::fs::File::create(data_dir.join(log_name)).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_issuance"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ISSUANCE_DATA_DIR", data_dir)
            .env("ISSUANCE_WALLET_ADDR", format!("127.0.0.1:{wallet_port}"))
            .env(
                "ISSUANCE_MANAGEMENT_ADDR",
                format!("127.0.0.1:{management_port}"),
            )
            .env("ISSUANCE_PUBLIC_URL", &wallet)
            .env("ISSUANCE_ADMIN_KEY", ADMIN_KEY)
            .env("ISSUANCE_WORKERS", "2")
            .env("ISSUANCE_RETENTION__ERASE_CLAIMS_AFTER_HOURS", "never")
            .env(
                "ISSUANCE_SHUTDOWN__UNREADY_DELAY",
                unready_delay.to_string(),
            )
            .env("ISSUANCE_SHUTDOWN__DRAIN_TIMEOUT", "120")
            // The load comes from one address; a rate limit would refuse it.
            .env("ISSUANCE_LIMITS__RATES__ENABLED", "false")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Service {
            child,
            wallet,
            management: format!("http://127.0.0.1:{management_port}"),
            client: reqwest::Client::new(),
        }
    }

    async fn readiness(&self) -> Option<(u16, Value)> {
        let response = self
            .client
            .get(format!("{}/health/ready", self.management))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.unwrap_or(Value::Null)))
    }

    async fn wait_until_ready(&self, data_dir: &Path, log_name: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Some((200, _)) = self.readiness().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(data_dir.join(log_name)).unwrap_or_default();
        panic!("the service did not become ready:\n{log}");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Requests being served now, per listener, from `/metrics` (the scrape itself counts
    /// on the management listener).
    async fn in_flight(&self) -> (i64, i64) {
        let text = self
            .client
            .get(format!("{}/metrics", self.management))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let gauge = |api: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with(&format!(
                        "issuance_http_requests_in_flight{{api=\"{api}\"}}"
                    ))
                })
                .and_then(|l| l.rsplit(' ').next()?.parse().ok())
                .unwrap_or(0)
        };
        (gauge("wallet"), gauge("management"))
    }

    async fn create_offer(&self) -> Result<Value, String> {
        let response = self
            .client
            .post(format!("{}/offers", self.management))
            .bearer_auth(ADMIN_KEY)
            .json(&identity_offer())
            .send()
            .await
            .map_err(|e| format!("create: {e}"))?;
        match response.status().as_u16() {
            201 => response.json().await.map_err(|e| e.to_string()),
            status => Err(format!("create: {status}")),
        }
    }

    async fn token(&self, created: &Value) -> Result<String, String> {
        let response = self
            .client
            .post(format!("{}/token", self.wallet))
            .form(&token_form(created))
            .send()
            .await
            .map_err(|e| format!("token: {e}"))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        match (status, body["access_token"].as_str()) {
            (200, Some(token)) => Ok(token.to_string()),
            _ => Err(format!("token: {status} {body}")),
        }
    }

    async fn nonce(&self) -> Result<String, String> {
        let response = self
            .client
            .post(format!("{}/nonce", self.wallet))
            .send()
            .await
            .map_err(|e| format!("nonce: {e}"))?;
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        body["c_nonce"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("nonce: {body}"))
    }

    async fn credential(&self, token: &str) -> Result<(), String> {
        let body = self.credential_body().await?;
        let response = self
            .client
            .post(format!("{}/credential", self.wallet))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("credential: {e}"))?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("credential: {status}")),
        }
    }

    async fn credential_body(&self) -> Result<Value, String> {
        let nonce = self.nonce().await?;
        let proof = HolderKey::es256().proof(&self.wallet, &nonce);
        Ok(json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": [proof]}}))
    }

    async fn offer_status(&self, offer_id: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}/offers/{offer_id}", self.management))
            .bearer_auth(ADMIN_KEY)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn token_form(created: &Value) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", PRE_AUTHORIZED.to_string()),
        ("pre-authorized_code", pre_authorized_code(created)),
        (
            "tx_code",
            created["tx_code_value"].as_str().unwrap().to_string(),
        ),
    ]
}

/// What the service acknowledged: offers created, redeemed and issued.
#[derive(Default)]
struct Acknowledged {
    created: Vec<String>,
    redeemed: Vec<String>,
    issued: Vec<String>,
    failures: Vec<String>,
}

/// One wallet flow after another until `stop`; records every acknowledged step and every
/// failure of a request started before `stop`.
async fn wallet_loop(service: Arc<Service>, stop: Arc<AtomicBool>, ack: Arc<Mutex<Acknowledged>>) {
    while !stop.load(Ordering::SeqCst) {
        let flow = async {
            let created = service.create_offer().await?;
            let offer_id = offer_id(&created);
            ack.lock().unwrap().created.push(offer_id.clone());
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let token = service.token(&created).await?;
            ack.lock().unwrap().redeemed.push(offer_id.clone());
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            service.credential(&token).await?;
            ack.lock().unwrap().issued.push(offer_id);
            Ok::<(), String>(())
        };
        if let Err(failure) = flow.await {
            ack.lock().unwrap().failures.push(failure);
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_drains_every_request_and_loses_no_acknowledged_write() {
    let data_dir = tempfile::tempdir().unwrap();
    let service = Arc::new(Service::start(data_dir.path(), "first.log", UNREADY_DELAY));
    service.wait_until_ready(data_dir.path(), "first.log").await;

    // Requests the service is still receiving when the signal comes: offer creations,
    // token requests and credential requests whose bodies are held back halfway.
    let (release, released) = watch::channel(false);
    let held_release = |released: &watch::Receiver<bool>| {
        let mut released = released.clone();
        async move {
            let _ = released.wait_for(|r| *r).await;
        }
    };
    let mut held = Vec::new();
    for _ in 0..HELD {
        let body = identity_offer().to_string();
        let request = RawRequest::new("POST", "/offers")
            .header("Authorization", format!("Bearer {ADMIN_KEY}"))
            .header("Content-Type", "application/json")
            .body(body.clone());
        held.push(("create", request, service.management.clone(), None));

        let created = service.create_offer().await.unwrap();
        let form: String = token_form(&created)
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = RawRequest::new("POST", "/token")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form);
        held.push((
            "token",
            request,
            service.wallet.clone(),
            Some(offer_id(&created)),
        ));

        let created = service.create_offer().await.unwrap();
        let token = service.token(&created).await.unwrap();
        let body = service.credential_body().await.unwrap().to_string();
        let request = RawRequest::new("POST", "/credential")
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .body(body);
        held.push((
            "credential",
            request,
            service.wallet.clone(),
            Some(offer_id(&created)),
        ));
    }
    let held_tasks: Vec<_> = held
        .into_iter()
        .map(|(kind, request, base, offer)| {
            let release = held_release(&released);
            tokio::spawn(async move {
                let split = request.body.len() / 2;
                (
                    kind,
                    offer,
                    send_held(&base, &request, split, release).await,
                )
            })
        })
        .collect();
    // Wait until the service is serving all of them (the scrape counts itself).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (wallet, management) = service.in_flight().await;
        if wallet >= 2 * HELD as i64 && management > HELD as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "held requests never in flight: {wallet}, {management}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Wallet flows in a loop, as a load balancer would keep sending them.
    let stop = Arc::new(AtomicBool::new(false));
    let ack = Arc::new(Mutex::new(Acknowledged::default()));
    let loops: Vec<_> = (0..LOOPS)
        .map(|_| tokio::spawn(wallet_loop(service.clone(), stop.clone(), ack.clone())))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while ack.lock().unwrap().issued.len() < LOOPS {
        assert!(Instant::now() < deadline, "the load never got going");
        assert!(
            ack.lock().unwrap().failures.is_empty(),
            "{:?}",
            ack.lock().unwrap().failures
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    service.signal("TERM");

    // Readiness turns 503 while the listeners still accept (the unready delay).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match service.readiness().await {
            Some((503, body)) => {
                assert_eq!(body["checks"]["shutdown"]["ready"], false, "{body}");
                break;
            }
            Some(_) => {}
            None => panic!("the listener closed before readiness turned 503"),
        }
        assert!(Instant::now() < deadline, "readiness never turned 503");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The load balancer stops sending; what the loops started completes.
    stop.store(true, Ordering::SeqCst);
    join_all(loops).await;
    let ack = Arc::try_unwrap(ack).ok().unwrap().into_inner().unwrap();
    assert!(
        ack.failures.is_empty(),
        "requests failed: {:?}",
        ack.failures
    );

    // Both listeners stop accepting, while the held requests are still in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    for base in [&service.wallet, &service.management] {
        let address = base.trim_start_matches("http://").to_string();
        while tokio::net::TcpStream::connect(&address).await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "{base} still accepts connections"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // The held requests complete.
    release.send(true).unwrap();
    let mut ack = ack;
    for task in held_tasks {
        let (kind, offer, result) = task.await.unwrap();
        let response = result.unwrap_or_else(|e| panic!("held {kind} request was cut: {e}"));
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let expected = if kind == "create" { 201 } else { 200 };
        assert_eq!(response.status, expected, "held {kind}: {body}");
        match (kind, offer) {
            ("token", Some(offer)) => ack.redeemed.push(offer.clone()),
            ("credential", Some(offer)) => ack.issued.push(offer.clone()),
            _ => ack
                .created
                .push(body["offer_id"].as_str().unwrap().to_string()),
        }
    }

    // The process exits 0 once drained.
    let mut service = Arc::try_unwrap(service).ok().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = service.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the service did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let log = std::fs::read_to_string(data_dir.path().join("first.log")).unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("force shutdown"), "{log}");
    assert!(
        log.contains("background tasks stopped at their checkpoints"),
        "{log}"
    );
    drop(service);

    // Every acknowledged write is there after a restart on the same data directory.
    let restarted = Service::start(data_dir.path(), "second.log", 0);
    restarted
        .wait_until_ready(data_dir.path(), "second.log")
        .await;
    let issued: std::collections::HashSet<&String> = ack.issued.iter().collect();
    let redeemed: std::collections::HashSet<&String> = ack.redeemed.iter().collect();
    let all: std::collections::HashSet<&String> = ack
        .created
        .iter()
        .chain(&ack.redeemed)
        .chain(&ack.issued)
        .collect();
    for offer_id in all {
        let (status, view) = restarted.offer_status(offer_id).await;
        assert_eq!(status, 200, "offer {offer_id} lost: {view}");
        let expected = if issued.contains(offer_id) {
            "COMPLETED"
        } else if redeemed.contains(offer_id) {
            "REDEEMED"
        } else {
            "CREATED"
        };
        assert_eq!(view["status"], expected, "offer {offer_id}: {view}");
    }
    restarted.signal("INT");
}
