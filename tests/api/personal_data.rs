//! Personal data only inside sealed values (issue 16 §2). An offer's subject, correlation
//! object and claims, the holder key thumbprints and the subject of an accepted login are
//! sealed with the offer's data key wherever they are kept: the management API shows them
//! while the key exists and never after erasure, callbacks carry the correlation only to
//! the offer's own URL while it exists, and after a full flow and erasure not one of these
//! values is found in any file of the data directory (databases, WAL and shared-memory
//! files, read raw), any row of the PostgreSQL schema, any AMQP message or any log line.

use serde_json::{json, Value};
use sha2::Digest as _;
use uuid::Uuid;

use crate::audit_support::{contains, stored_data_of, wait_for_projections};
use crate::support::authcode::*;
use crate::support::integration::{CallbackReceiver, EventTap, Transport};
use crate::support::logs::capture_logs;
use crate::support::wallet::{offer_id, HolderKey};
use crate::support::*;

/// Values that occur nowhere by chance: each run's own.
struct Personal {
    subject: String,
    login_subject: String,
    case: String,
    given_name: String,
    family_name: String,
}

impl Personal {
    fn new() -> Personal {
        let unique = || Uuid::new_v4().simple().to_string()[..12].to_string();
        Personal {
            subject: format!("kunde-{}", unique()),
            login_subject: format!("login-{}", unique()),
            case: format!("akte-{}", unique()),
            given_name: format!("Wendelgard{}", unique()),
            family_name: format!("Zwirbelbart{}", unique()),
        }
    }

    fn claims(&self) -> Value {
        json!({"given_name": self.given_name, "family_name": self.family_name})
    }

    fn correlation(&self) -> Value {
        json!({"case": self.case})
    }
}

/// RFC 7638 thumbprint of an EC public key, computed independently of the service.
fn thumbprint(key: &HolderKey) -> String {
    let jwk = key.public_json();
    let canonical = json!({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]});
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sha2::Sha256::digest(canonical.to_string().as_bytes()),
    )
}

/// The offer view through the management API.
async fn view(app: &TestApp, offer: &str) -> Value {
    let (status, view) = app.get_json(&format!("/offers/{offer}")).await;
    assert_eq!(status, 200, "{view}");
    view
}

/// The offers listed for `subject`.
async fn listed_for(app: &TestApp, subject: &str) -> Vec<String> {
    let (status, page) = app
        .get_json(&format!("/offers?subject={}", urlencoding::encode(subject)))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["offer_id"].as_str().unwrap().to_string())
        .collect()
}

async fn erase(app: &TestApp, offer: &str) {
    let response = app
        .admin(reqwest::Method::POST, &format!("/offers/{offer}/erase"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

/// Pre-authorized: created with subject, correlation and its own callback URL, redeemed
/// with the transaction code, issued to `key`, notified. Returns the offer id.
async fn pre_authorized_flow(
    app: &TestApp,
    data: &Personal,
    receiver: &CallbackReceiver,
    key: &HolderKey,
) -> String {
    let created = app
        .create_offer(&json!({
            "credential_configuration_id": "IdentityCredential",
            "claims": data.claims(),
            "subject": data.subject,
            "correlation": data.correlation(),
            "callback_url": receiver.url,
            "tx_code": {"length": 6},
        }))
        .await;
    let offer = offer_id(&created);
    let token = app.access_token(&created).await;
    let issued = app
        .request_credentials(&token, "IdentityCredential", &[key])
        .await;
    assert_eq!(issued.status, 200, "{:?}", issued.body);
    let notification = json!({
        "notification_id": issued.body["notification_id"],
        "event": "credential_accepted",
    });
    let notified = app.notification_request(&token, &notification).await;
    assert_eq!(notified.status, 204);
    app.wait_for_status(&offer, "COMPLETED").await;
    offer
}

/// Authorization code: an offer for `subject`, PAR, login accepted for that subject (the
/// session records it), code exchanged, issued to `key`. Returns the offer id.
async fn authorization_code_flow(app: &TestApp, data: &Personal, key: &HolderKey) -> String {
    let created = app
        .create_offer(&json!({
            "credential_configuration_id": "IdentityCredential",
            "claims": data.claims(),
            "grant": "authorization_code",
            "subject": data.login_subject,
        }))
        .await;
    let offer = offer_id(&created);
    let pkce = Pkce::new();
    let state = issuer_state(&created);
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": "IdentityCredential"}])
            .to_string();
    let code = app
        .authorization_code(
            &pkce,
            &[
                ("authorization_details", details.as_str()),
                ("issuer_state", state.as_str()),
            ],
            &json!({"subject": data.login_subject}),
        )
        .await;
    let token = app.exchange_code(&code, &pkce.verifier).await;
    assert_eq!(token.status, 200, "{:?}", token.body);
    let token = token.body["access_token"].as_str().unwrap().to_string();
    let nonce = app.c_nonce().await;
    let issued = app
        .credential_request(
            &token,
            &json!({"credential_identifier": "IdentityCredential",
                    "proofs": {"jwt": [key.proof(&app.wallet, &nonce)]}}),
        )
        .await;
    assert_eq!(issued.status, 200, "{:?}", issued.body);
    app.wait_for_status(&offer, "COMPLETED").await;
    offer
}

/// While the key exists the API shows what was sealed; after erasure nothing.
async fn check_views(app: &TestApp, data: &Personal, offer: &str, holder: &str, erased: bool) {
    let view = view(app, offer).await;
    let listed = listed_for(app, &data.subject)
        .await
        .contains(&offer.to_string());
    if erased {
        assert_eq!(view["claims_erased"], true);
        assert!(
            view["subject"].is_null() && view["correlation"].is_null(),
            "{view}"
        );
        assert!(
            view["issued"][0]["holder_key_thumbprint"].is_null(),
            "{view}"
        );
        assert!(!listed, "erased offers are not found by subject");
    } else {
        assert_eq!(view["subject"], data.subject.as_str());
        assert_eq!(view["correlation"], data.correlation());
        assert_eq!(view["issued"][0]["holder_key_thumbprint"], holder);
        assert!(listed, "offers are found by subject");
    }
}

/// A full flow of each grant, then erasure; then no trace of the personal data.
async fn nothing_personal_survives_erasure(backend: Backend, transport: Transport) {
    let logs = capture_logs();
    let tap = match &transport {
        Transport::RabbitMq(names) => Some(EventTap::start(names).await),
        Transport::InProcess => None,
    };
    let receiver = CallbackReceiver::start();
    let options = with_authcode(transport.configure(TestOptions::on(backend), &receiver));
    let app = spawn_app_with(options.keeping_claims()).await;
    let data = Personal::new();
    let (key, login_key) = (HolderKey::es256(), HolderKey::es256());

    let offer = pre_authorized_flow(&app, &data, &receiver, &key).await;
    let login_offer = authorization_code_flow(&app, &data, &login_key).await;
    check_views(&app, &data, &offer, &thumbprint(&key), false).await;
    let created = receiver.delivered(&offer, "OFFER_CREATED").await;
    assert_eq!(created.json()["correlation"], data.correlation(), "own URL");

    erase(&app, &offer).await;
    erase(&app, &login_offer).await;
    check_views(&app, &data, &offer, &thumbprint(&key), true).await;

    // Erased while live, which revokes it first: the callback no longer carries the
    // correlation.
    let mut body = json!({
        "credential_configuration_id": "IdentityCredential",
        "claims": data.claims(),
        "correlation": data.correlation(),
        "callback_url": receiver.url,
    });
    let live = offer_id(&app.create_offer(&body).await);
    erase(&app, &live).await;
    let response = app
        .admin(reqwest::Method::DELETE, &format!("/offers/{live}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409, "already revoked by the erasure");
    let revoked = receiver.delivered(&live, "REVOKED").await;
    assert_eq!(revoked.json()["correlation"], Value::Null);
    // The default URL never gets it.
    body.as_object_mut().unwrap().remove("callback_url");
    let default = offer_id(&app.create_offer(&body).await);
    let created = receiver.delivered(&default, "OFFER_CREATED").await;
    assert_eq!(created.json()["correlation"], Value::Null);
    erase(&app, &default).await;

    // Everything has gone where it goes: views, audit chain, broker.
    wait_for_projections(&app).await;
    let mut messages = Vec::new();
    if let Some(tap) = &tap {
        let events = app
            .state
            .events
            .read_all(issuance_eventlog::LogPosition::START, 100_000)
            .await
            .unwrap();
        // The offers' events are published (sessions' are not).
        let ids: Vec<Uuid> = events
            .iter()
            .filter(|e| e.stream_id.starts_with("offer-"))
            .map(|e| e.event_id)
            .collect();
        for message in tap.wait_for_all(&ids).await {
            messages.push((format!("AMQP {}", message.routing_key), message.body));
        }
    }
    let needles = [
        data.subject.clone(),
        data.login_subject.clone(),
        data.case.clone(),
        data.given_name.clone(),
        data.family_name.clone(),
        thumbprint(&key),
        thumbprint(&login_key),
    ];
    let running = stored_data_of(app.data_dir.path(), app.database.as_deref()).await;
    let stopped = app.shutdown().await;
    let at_rest = stored_data_of(stopped.data_dir.path(), stopped.database.as_deref()).await;
    let captured = logs.bytes();
    assert!(
        contains(&captured, offer.as_bytes()),
        "control: the capture holds the service's log lines"
    );
    let places = running
        .into_iter()
        .chain(at_rest)
        .chain(messages)
        .chain([("the logs".to_string(), captured)]);
    let mut searched = 0;
    for (place, bytes) in places {
        searched += 1;
        for needle in &needles {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle} found in {place}"
            );
        }
    }
    assert!(searched > 3, "{searched} places searched");
    if let Transport::RabbitMq(names) = transport {
        names.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_personal_survives_erasure_on_sqlite_in_process() {
    nothing_personal_survives_erasure(Backend::Sqlite, Transport::InProcess).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_personal_survives_erasure_on_sqlite_with_rabbitmq() {
    nothing_personal_survives_erasure(Backend::Sqlite, Transport::rabbitmq()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_personal_survives_erasure_on_postgres_with_rabbitmq() {
    nothing_personal_survives_erasure(Backend::Postgres, Transport::rabbitmq()).await;
}

backend_test! {
    async fn version_1_events_with_plaintext_still_read_and_the_view_seals_it(backend) {
        // A version-1 `OfferCreated` as older releases wrote it: subject and correlation in
        // plaintext, claims sealed with the offer's data key.
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let data = Personal::new();
        let offer = Uuid::now_v7();
        let key = issuance::crypto::sealing::generate_key();
        let key = app
            .state
            .secrets
            .data_key_get_or_insert(offer, key)
            .await
            .unwrap();
        let claims = data.claims().as_object().unwrap().clone();
        let sealed_claims = issuance::crypto::sealing::seal(&key, offer, &claims).unwrap();
        let now = app.state.clock.now();
        let payload = json!({
            "offer_id": offer,
            "credential_configuration_ids": ["IdentityCredential"],
            "grant": {"type": "pre-authorized_code", "code_hash": issuance_domain::Digest([1; 32])},
            "single_use": true,
            "subject": data.subject,
            "correlation": data.correlation(),
            "expires_at": now + chrono::Duration::minutes(5),
            "tx_code_max_attempts": 3,
            "sealed_claims": sealed_claims,
            "request_fingerprint": issuance_domain::Digest([2; 32]),
        });
        let event = issuance_eventlog::NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "OfferCreated".into(),
            event_version: 1,
            payload,
            metadata: issuance_eventlog::EventMetadata::system(now),
        };
        app.state
            .events
            .append(
                &issuance_domain::offer::stream_id(offer),
                issuance::store::ExpectedVersion::NoStream,
                vec![event],
            )
            .await
            .unwrap();
        let offer = offer.to_string();

        // Read, listed by subject, shown while the key exists...
        let shown = view(&app, &offer).await;
        assert_eq!(shown["subject"], data.subject.as_str());
        assert_eq!(shown["correlation"], data.correlation());
        assert!(listed_for(&app, &data.subject).await.contains(&offer));
        // ...but the view holds it sealed: only the log keeps the old plaintext.
        let views = stored_data_of(app.data_dir.path(), app.database.as_deref()).await;
        for (place, bytes) in views
            .iter()
            .filter(|(place, _)| place.contains("views.db") || place.contains("offer_views"))
        {
            assert!(!contains(bytes, data.subject.as_bytes()), "subject in {place}");
            assert!(!contains(bytes, data.case.as_bytes()), "correlation in {place}");
        }

        // Erased: gone from the API, although the old event still holds it.
        erase(&app, &offer).await;
        let erased = view(&app, &offer).await;
        assert!(erased["subject"].is_null() && erased["correlation"].is_null());
        assert!(!listed_for(&app, &data.subject).await.contains(&offer));
    }
}
