//! Helpers of the integration-side tests: a real HTTP callback receiver, RabbitMQ names
//! unique to each test, a test consumer bound to the events exchange, closing the
//! service's broker connections, and driving offers through their lifecycle with domain
//! commands.

use std::collections::VecDeque;
use std::future::Future;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use issuance::app::offers::CommandMeta;
use issuance::clock::{Clock, SystemClock};
use issuance::crypto::codes;
use issuance_domain::offer::{
    IssueCredentials, NewCredential, NewRedemption, OfferCommand, PresentedGrant, RedeemOffer,
};
use issuance_domain::{Digest, Sealed};
use lapin::options::{
    BasicConsumeOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use super::{Backend, Stopped, TestApp, TestOptions};

/// The callback secret every integration test configures.
pub const CALLBACK_SECRET: &str = "test-callback-secret-0123456789";

/// `callbacks.allowed_networks` of the integration tests: their receivers listen on
/// loopback, which offers' own callback URLs may not reach by default.
pub const LOOPBACK: [&str; 2] = ["127.0.0.0/8", "::1/128"];

/// The broker the tests use.
pub fn amqp_url() -> String {
    std::env::var("ISSUANCE_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// `GET /health/ready`: status and body.
pub async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/health/ready", app.management))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls `check` every 50 ms until it returns `Some`, panicking after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The raw body.
    pub body: Vec<u8>,
    /// `X-Issuance-Signature`.
    pub signature: Option<String>,
    /// `X-Issuance-Delivery`.
    pub delivery: Option<String>,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Received {
    /// The parsed body.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Whether the signature header is a valid HMAC of the raw body (computed here
    /// independently of the service's code) with a recent timestamp.
    pub fn signature_is_valid(&self, secret: &str) -> bool {
        let Some(header) = &self.signature else {
            return false;
        };
        let mut t = None;
        let mut v1 = None;
        for part in header.split(',') {
            match part.split_once('=') {
                Some(("t", value)) => t = Some(value.to_string()),
                Some(("v1", value)) => v1 = Some(value.to_string()),
                _ => {}
            }
        }
        let (Some(t), Some(v1)) = (t, v1) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let age = SystemClock.now().timestamp() - t.parse::<i64>().unwrap();
        expected == v1 && age.abs() < 3600
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Vec<Received>,
    script: VecDeque<u16>,
    default_status: u16,
    /// Requests being held by a stalled receiver.
    held: usize,
    /// Deliveries (`X-Issuance-Delivery`) answered 2xx at least once.
    delivered: std::collections::HashSet<String>,
    /// Stall once this many requests were answered 2xx.
    stall_after: Option<usize>,
    /// Why received bodies are outside the callback contract.
    violations: Vec<String>,
}

impl ReceiverState {
    /// Fails the test if any body received so far is outside the callback contract.
    fn check(&self) {
        assert!(
            self.violations.is_empty(),
            "callbacks outside their contract: {:#?}",
            self.violations
        );
    }
}

/// A real HTTP server that records status callbacks and answers from a script.
#[derive(Clone)]
pub struct CallbackReceiver {
    state: Arc<Mutex<ReceiverState>>,
    /// `true` while the receiver stalls: requests are held without an answer.
    stalled: Arc<tokio::sync::watch::Sender<bool>>,
    /// The callback URL.
    pub url: String,
}

/// Counts a held request while it lives.
struct Held(Arc<Mutex<ReceiverState>>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.lock().unwrap().held -= 1;
    }
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<ReceiverState>>>,
    stalled: web::Data<Arc<tokio::sync::watch::Sender<bool>>>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let stall_now = {
        let state = state.lock().unwrap();
        state
            .stall_after
            .is_some_and(|after| state.delivered.len() >= after)
    };
    if stall_now {
        stalled.send_replace(true);
    }
    let mut stalled = stalled.subscribe();
    let held = if *stalled.borrow_and_update() {
        // Stalled: hold the connection until the receiver recovers, then answer 503 (the
        // request is older than the recovery).
        state.lock().unwrap().held += 1;
        let held = Held(state.get_ref().clone());
        let _ = stalled.wait_for(|stalled| !stalled).await;
        Some(held)
    } else {
        None
    };
    let mut state = state.lock().unwrap();
    let status = if held.is_some() {
        503
    } else {
        state.script.pop_front().unwrap_or(state.default_status)
    };
    if (200..300).contains(&status) {
        state
            .delivered
            .insert(header("x-issuance-delivery").unwrap_or_default());
    }
    let violations = super::contracts::callback_violations(&body);
    state.violations.extend(violations);
    state.received.push(Received {
        body: body.to_vec(),
        signature: header("x-issuance-signature"),
        delivery: header("x-issuance-delivery"),
        answered: status,
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl CallbackReceiver {
    /// Starts a receiver on a random loopback port that answers 200.
    pub fn start() -> CallbackReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://127.0.0.1:{}/callbacks",
            listener.local_addr().unwrap().port()
        );
        let state = Arc::new(Mutex::new(ReceiverState {
            default_status: 200,
            ..Default::default()
        }));
        let stalled = Arc::new(tokio::sync::watch::channel(false).0);
        let data = web::Data::new(state.clone());
        let stalled_data = web::Data::new(stalled.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(stalled_data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        CallbackReceiver {
            state,
            stalled,
            url,
        }
    }

    /// Holds every further request without an answer until [`CallbackReceiver::recover`].
    pub fn stall(&self) {
        self.stalled.send_replace(true);
    }

    /// Answers again: held requests get 503, new ones the usual answer.
    pub fn recover(&self) {
        self.state.lock().unwrap().stall_after = None;
        self.stalled.send_replace(false);
    }

    /// Stalls (as [`CallbackReceiver::stall`]) once `count` deliveries were answered 2xx.
    pub fn stall_after(&self, count: usize) {
        self.state.lock().unwrap().stall_after = Some(count);
    }

    /// Deliveries answered 2xx so far, each counted once (cheaper than counting
    /// [`CallbackReceiver::received`]).
    pub fn delivered_count(&self) -> usize {
        let state = self.state.lock().unwrap();
        state.check();
        state.delivered.len()
    }

    /// Requests held right now by a stalled receiver.
    pub fn held(&self) -> usize {
        self.state.lock().unwrap().held
    }

    /// Answers the next requests with `statuses`, then with the default.
    pub fn script(&self, statuses: &[u16]) {
        self.state.lock().unwrap().script.extend(statuses);
    }

    /// Answers every further request (after the script) with `status`.
    pub fn answer(&self, status: u16) {
        self.state.lock().unwrap().default_status = status;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        let state = self.state.lock().unwrap();
        state.check();
        state.received.clone()
    }

    /// Requests about `offer_id`, in arrival order.
    pub fn for_offer(&self, offer_id: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.json()["offerId"] == offer_id)
            .collect()
    }

    /// Waits until a request with `status` about `offer_id` was answered 2xx; returns it.
    pub async fn delivered(&self, offer_id: &str, status: &str) -> Received {
        let this = self.clone();
        eventually(
            &format!("{status} callback for {offer_id}"),
            Duration::from_secs(20),
            || {
                let found = this
                    .for_offer(offer_id)
                    .into_iter()
                    .find(|r| r.json()["status"] == status && (200..300).contains(&r.answered));
                async move { found }
            },
        )
        .await
    }
}

/// RabbitMQ names unique to one test.
#[derive(Debug, Clone)]
pub struct AmqpNames {
    /// Prefix of every name.
    pub prefix: String,
}

impl AmqpNames {
    /// Fresh names.
    pub fn unique() -> AmqpNames {
        AmqpNames {
            prefix: format!("test-{}", Uuid::new_v4().simple()),
        }
    }

    /// The events exchange.
    pub fn exchange(&self) -> String {
        format!("{}.events", self.prefix)
    }

    /// The callback queue.
    pub fn callback_queue(&self) -> String {
        format!("{}.callbacks", self.prefix)
    }

    /// The dead-letter queue.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.callbacks.dead", self.prefix)
    }

    /// The service's connection name prefix.
    pub fn connection_name(&self) -> String {
        format!("issuance-{}", self.prefix)
    }

    /// Test options on `backend` that point the service at the broker with these names, a
    /// fast retry schedule and a fast expiry scheduler.
    pub fn options(&self, backend: Backend, receiver: &CallbackReceiver) -> TestOptions {
        self.configure(TestOptions::on(backend), receiver)
    }

    /// `options` with the broker, these names and the fast schedules added.
    pub fn configure(&self, options: TestOptions, receiver: &CallbackReceiver) -> TestOptions {
        options
            .set("amqp_url", json!(amqp_url()))
            .set("amqp.exchange", json!(self.exchange()))
            .set("amqp.callback_queue", json!(self.callback_queue()))
            .set("amqp.dead_letter_queue", json!(self.dead_letter_queue()))
            .set(
                "amqp.retry_queue_prefix",
                json!(format!("{}.callbacks.retry", self.prefix)),
            )
            .set("amqp.connection_name", json!(self.connection_name()))
            .set("callback_url", json!(receiver.url))
            .set("callback_secret", json!(CALLBACK_SECRET))
            .set("callbacks.max_attempts", json!(4))
            .set("callbacks.base_delay_ms", json!(200))
            .set("callbacks.max_delay_ms", json!(1000))
            .set("callbacks.allowed_networks", json!(LOOPBACK))
            .set("scheduler.expiry_interval_ms", json!(200))
    }

    /// Deletes the test's exchange and queues (best effort).
    pub async fn cleanup(&self) {
        let Ok(connection) =
            Connection::connect(&amqp_url(), ConnectionProperties::default()).await
        else {
            return;
        };
        let Ok(channel) = connection.create_channel().await else {
            return;
        };
        let mut queues = vec![self.callback_queue(), self.dead_letter_queue()];
        for ms in [200, 400, 800, 1000] {
            queues.push(format!("{}.callbacks.retry.{ms}ms", self.prefix));
        }
        for queue in queues {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        let _ = channel
            .exchange_delete(
                self.exchange().as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await;
        let _ = connection.close(200, "done".into()).await;
    }
}

/// Options for an in-process (no broker) test app on `backend`.
pub fn embedded_options(backend: Backend, receiver: &CallbackReceiver) -> TestOptions {
    configure_embedded(TestOptions::on(backend), receiver)
}

/// `options` with the receiver as the default callback URL and the fast schedules added.
fn configure_embedded(options: TestOptions, receiver: &CallbackReceiver) -> TestOptions {
    options
        .set("callback_url", json!(receiver.url))
        .set("callback_secret", json!(CALLBACK_SECRET))
        .set("callbacks.max_attempts", json!(4))
        .set("callbacks.base_delay_ms", json!(200))
        .set("callbacks.max_delay_ms", json!(1000))
        .set("callbacks.allowed_networks", json!(LOOPBACK))
        .set("scheduler.expiry_interval_ms", json!(200))
}

/// How the service under test delivers callbacks.
pub enum Transport {
    /// No broker: the in-process outbox.
    InProcess,
    /// RabbitMQ, with names unique to the test.
    RabbitMq(AmqpNames),
}

impl Transport {
    /// RabbitMQ with fresh names.
    pub fn rabbitmq() -> Transport {
        Transport::RabbitMq(AmqpNames::unique())
    }

    /// The test options for this transport on `backend`.
    pub fn options(&self, backend: Backend, receiver: &CallbackReceiver) -> TestOptions {
        self.configure(TestOptions::on(backend), receiver)
    }

    /// `options` (e.g. a restart's) with this transport's settings added.
    pub fn configure(&self, options: TestOptions, receiver: &CallbackReceiver) -> TestOptions {
        match self {
            Transport::InProcess => configure_embedded(options, receiver),
            Transport::RabbitMq(names) => names.configure(options, receiver),
        }
    }

    /// Starts a receiver and the service on `backend`.
    pub async fn start(&self, backend: Backend) -> (CallbackReceiver, TestApp) {
        let receiver = CallbackReceiver::start();
        let app = super::spawn_app_with(self.options(backend, &receiver)).await;
        (receiver, app)
    }

    /// Stops the service and removes the test's broker objects.
    pub async fn finish(self, app: TestApp) {
        app.stop().await;
        if let Transport::RabbitMq(names) = self {
            names.cleanup().await;
        }
    }
}

/// A message the test consumer got from the events exchange.
#[derive(Debug, Clone)]
pub struct Tapped {
    /// Its routing key.
    pub routing_key: String,
    /// `message_id`.
    pub message_id: Option<String>,
    /// `content_type`.
    pub content_type: Option<String>,
    /// `delivery_mode`.
    pub delivery_mode: Option<u8>,
    /// The raw body.
    pub body: Vec<u8>,
    /// Why it is outside its contract (routing key, properties and body).
    pub violations: Vec<String>,
}

impl Tapped {
    /// The parsed body.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A test consumer: an exclusive queue bound to `offer.#` (or another pattern) on the
/// test's exchange.
pub struct EventTap {
    messages: Arc<Mutex<Vec<Tapped>>>,
    _connection: Connection,
}

impl EventTap {
    /// Declares the exchange (as the service does) and binds a private queue to it. Start
    /// it before the service so that no event is published before the binding exists.
    pub async fn start(names: &AmqpNames) -> EventTap {
        EventTap::start_bound(names, "offer.#").await
    }

    /// [`EventTap::start`] with the queue bound to `pattern` (e.g. `issuer.#`).
    pub async fn start_bound(names: &AmqpNames, pattern: &str) -> EventTap {
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
            .await
            .unwrap();
        let channel = connection.create_channel().await.unwrap();
        channel
            .exchange_declare(
                names.exchange().as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let queue = format!("{}.tap", names.prefix);
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.as_str().into(),
                names.exchange().as_str().into(),
                pattern.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let mut consumer = channel
            .basic_consume(
                queue.as_str().into(),
                "tap".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink = messages.clone();
        tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let properties = &delivery.properties;
                let message_id = properties
                    .message_id()
                    .as_ref()
                    .map(|m| m.as_str().to_string());
                let violations = super::contracts::amqp_violations(
                    delivery.routing_key.as_str(),
                    message_id.as_deref(),
                    properties.kind().as_ref().map(|k| k.as_str()),
                    &delivery.data,
                );
                sink.lock().unwrap().push(Tapped {
                    routing_key: delivery.routing_key.as_str().to_string(),
                    message_id,
                    content_type: properties
                        .content_type()
                        .as_ref()
                        .map(|m| m.as_str().to_string()),
                    delivery_mode: *properties.delivery_mode(),
                    body: delivery.data.clone(),
                    violations,
                });
            }
        });
        EventTap {
            messages,
            _connection: connection,
        }
    }

    /// Everything received so far; fails the test if a message is outside its contract.
    pub fn messages(&self) -> Vec<Tapped> {
        let messages = self.messages.lock().unwrap().clone();
        for message in &messages {
            assert!(
                message.violations.is_empty(),
                "{} message outside its contract: {:#?}",
                message.routing_key,
                message.violations
            );
        }
        messages
    }

    /// Waits until every event id in `expected` was received at least once.
    pub async fn wait_for_all(&self, expected: &[Uuid]) -> Vec<Tapped> {
        eventually(
            "every event on the exchange",
            Duration::from_secs(30),
            || {
                let messages = self.messages();
                let ids: std::collections::HashSet<String> = messages
                    .iter()
                    .filter_map(|m| m.message_id.clone())
                    .collect();
                let done = expected.iter().all(|id| ids.contains(&id.to_string()));
                async move { done.then_some(messages) }
            },
        )
        .await
    }
}

/// Closes the service's broker connections (those whose client-provided connection name
/// starts with `prefix`) through `rabbitmqctl`, leaving other tests' connections alone.
/// Returns how many it closed.
pub async fn close_broker_connections(prefix: &str) -> usize {
    let prefix = prefix.to_string();
    tokio::task::spawn_blocking(move || {
        // `name` is the peer address; the client-provided name is in `client_properties`.
        let output = std::process::Command::new("rabbitmqctl")
            .args(["list_connections", "-s", "pid", "client_properties"])
            .output()
            .expect("rabbitmqctl list_connections");
        let listing = String::from_utf8_lossy(&output.stdout).to_string();
        let mut closed = 0;
        for line in listing.lines() {
            if !line.contains(&format!("\"{prefix}")) {
                continue;
            }
            let Some(pid) = line.split_whitespace().next() else {
                continue;
            };
            let status = std::process::Command::new("rabbitmqctl")
                .args(["close_connection", pid, "test drops the connection"])
                .status()
                .expect("rabbitmqctl close_connection");
            if status.success() {
                closed += 1;
            }
        }
        assert!(closed > 0, "no connection named {prefix}* in:\n{listing}");
        closed
    })
    .await
    .unwrap()
}

/// The pre-authorized code of a creation response.
pub fn pre_authorized_code(created: &Value) -> String {
    created["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The offer id of a creation response.
pub fn offer_id(created: &Value) -> Uuid {
    Uuid::parse_str(created["offer_id"].as_str().unwrap()).unwrap()
}

fn wallet() -> CommandMeta {
    CommandMeta {
        actor: "wallet".into(),
        ..Default::default()
    }
}

/// Runs `Redeem` with the offer's pre-authorized code, `tx_code_hash` and a new access
/// token (as the token endpoint would); returns the redemption id and the token's hash.
async fn redeem_with(
    app: &TestApp,
    created: &Value,
    tx_code_hash: Option<Digest>,
) -> (Uuid, Digest) {
    let offer_id = offer_id(created);
    let code = pre_authorized_code(created);
    let redemption_id = Uuid::new_v4();
    let token_hash = codes::code_hash(&redemption_id.to_string());
    app.state
        .offers
        .execute(offer_id, &wallet(), |_, now| {
            OfferCommand::Redeem(RedeemOffer {
                issuer_id: None,
                now,
                grant: PresentedGrant::PreAuthorizedCode {
                    code_hash: codes::code_hash(&code),
                    tx_code_hash,
                },
                redemption: NewRedemption {
                    redemption_id,
                    token_hash,
                    token_expires_at: now + chrono::Duration::minutes(5),
                    requested_configuration_ids: None,
                    client_id: None,
                    dpop_jkt: None,
                    attested_wallet: None,
                },
                max_redemptions: 10_000,
            })
        })
        .await
        .unwrap();
    (redemption_id, token_hash)
}

/// Redeems with the right codes; returns the redemption id and the access token's hash.
pub async fn redeem(app: &TestApp, created: &Value) -> (Uuid, Digest) {
    let tx_code_hash = created["tx_code_value"]
        .as_str()
        .map(|tx| codes::tx_code_hash(&app.state.server_secret, offer_id(created), tx));
    redeem_with(app, created, tx_code_hash).await
}

/// Presents a wrong transaction code once.
pub async fn wrong_tx_code(app: &TestApp, created: &Value) {
    let wrong = codes::tx_code_hash(&app.state.server_secret, offer_id(created), "not-the-code");
    redeem_with(app, created, Some(wrong)).await;
}

/// A holder key thumbprint sealed with the offer's data key, as the credential endpoint
/// records it (with a throwaway key when the offer's is gone: the command is refused then).
pub async fn sealed_thumbprint(app: &TestApp, offer_id: Uuid, thumbprint: &str) -> Sealed {
    let key = app.state.secrets.data_key(offer_id).await.unwrap();
    let key = key.unwrap_or_else(issuance::crypto::sealing::generate_key);
    issuance::app::offers::personal::seal_text(
        &key,
        offer_id,
        issuance_domain::sealed::purpose::HOLDER_KEY_THUMBPRINT,
        thumbprint,
    )
    .unwrap()
}

/// Records the issuance of `configuration` under a redemption (as the credential endpoint
/// would).
pub async fn issue(app: &TestApp, offer_id: Uuid, redemption: (Uuid, Digest), configuration: &str) {
    let sealed = sealed_thumbprint(app, offer_id, "holder-thumbprint").await;
    app.state
        .offers
        .execute(offer_id, &wallet(), |_, now| {
            OfferCommand::IssueCredentials(IssueCredentials {
                issuer_id: None,
                now,
                redemption_id: redemption.0,
                token_hash: redemption.1,
                dpop_jkt: None,
                credential_configuration_id: configuration.into(),
                notification_id: Uuid::new_v4().to_string(),
                credentials: vec![NewCredential {
                    credential_id: Uuid::new_v4(),
                    sealed_holder_key_thumbprint: sealed.clone(),
                    credential_hash: Digest([7; 32]),
                    credential_expires_at: now + chrono::Duration::days(365),
                    status: None,
                }],
            })
        })
        .await
        .unwrap();
}

/// An offer without a transaction code (simplest to complete).
pub fn plain_offer() -> Value {
    json!({
        "credential_configuration_id": "IdentityCredential",
        "claims": {"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12"},
        "correlation": {"case": "4711"},
    })
}

/// Moves a relay's checkpoint of stopped stores back to `position` (the state a crash
/// between the broker's confirm and the checkpoint write leaves). Checkpoints never move
/// backwards through the store API, so the row is rewritten directly.
pub async fn rewind_checkpoint(
    stopped: &Stopped,
    name: &str,
    position: issuance_eventlog::LogPosition,
) {
    let (commit, prepare) = (position.commit as i64, position.prepare as i64);
    let moved = match &stopped.database {
        Some(database) => database
            .client()
            .await
            .execute(
                "UPDATE checkpoints SET commit_position = $1, prepare_position = $2 WHERE projection = $3",
                &[&commit, &prepare, &name],
            )
            .await
            .unwrap() as usize,
        None => rusqlite::Connection::open(stopped.data_dir.path().join("views.db"))
            .unwrap()
            .execute(
                "UPDATE checkpoints SET commit_position = ?1, prepare_position = ?2 WHERE projection = ?3",
                rusqlite::params![commit, prepare, name],
            )
            .unwrap(),
    };
    assert_eq!(moved, 1, "checkpoint {name}");
}
