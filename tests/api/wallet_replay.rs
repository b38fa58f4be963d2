//! Replays: proofs, nonces, pre-authorized codes and access tokens work once, or not after
//! their offer was revoked.

use issuance::app::nonce_ledger::NonceLedger;
use serde_json::{json, Value};

use crate::support::wallet::*;
use crate::support::*;

/// An offer of two configurations, so a second issuance under one token is legitimate and
/// only the replayed element can be what fails.
async fn two_credential_offer(app: &TestApp) -> Value {
    app.create_offer(&json!({
        "credential_configuration_ids": ["IdentityCredential", "AddressCredential"],
        "claims": {"given_name": "Erika", "family_name": "Mustermann",
                   "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"}},
        "tx_code": {"length": 6},
    }))
    .await
}

fn body(configuration: &str, proofs: &[String]) -> Value {
    json!({"credential_configuration_id": configuration, "proofs": {"jwt": proofs}})
}

backend_test! {
    async fn the_same_proof_is_accepted_once(backend) {
        let app = spawn_app_on(backend).await;
        let created = two_credential_offer(&app).await;
        let token = app.access_token(&created).await;
        let proof = HolderKey::es256().proof(&app.wallet, &app.c_nonce().await);

        let first = app
            .credential_request(
                &token,
                &body("IdentityCredential", std::slice::from_ref(&proof)),
            )
            .await;
        assert_eq!(first.status, 200, "{}", first.body);
        let before = app.event_count().await;
        let replay = app
            .credential_request(&token, &body("AddressCredential", &[proof]))
            .await;
        replay.assert_error(400, "invalid_nonce");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn the_same_nonce_is_accepted_once_even_in_new_proofs(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let nonce = app.c_nonce().await;

        let first_offer = app.create_offer(&identity_offer()).await;
        let first_token = app.access_token(&first_offer).await;
        let first = app
            .credential_request(
                &first_token,
                &body(
                    "IdentityCredential",
                    &[HolderKey::es256().proof(&app.wallet, &nonce)],
                ),
            )
            .await;
        assert_eq!(first.status, 200, "{}", first.body);

        // Another offer, another token, another key: the nonce is still spent.
        let second_offer = app.create_offer(&identity_offer()).await;
        let second_token = app.access_token(&second_offer).await;
        let before = app.event_count().await;
        let replay = app
            .credential_request(
                &second_token,
                &body(
                    "IdentityCredential",
                    &[HolderKey::ed25519().proof(&app.wallet, &nonce)],
                ),
            )
            .await;
        replay.assert_error(400, "invalid_nonce");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn the_same_pre_authorized_code_is_accepted_once(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        assert_eq!(app.redeem(&created).await.status, 200);
        let before = app.event_count().await;
        app.redeem(&created)
            .await
            .assert_error(400, "invalid_grant");
        assert_eq!(app.event_count().await, before);

        // Also after the credential was issued (the offer is then COMPLETED).
        let other = app.create_offer(&identity_offer()).await;
        let token = app.access_token(&other).await;
        let issued = app
            .request_credentials(&token, "IdentityCredential", &[&HolderKey::es256()])
            .await;
        assert_eq!(issued.status, 200);
        app.redeem(&other).await.assert_error(400, "invalid_grant");
    }
}

backend_test! {
    async fn an_access_token_stops_working_when_its_offer_is_revoked(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let created = two_credential_offer(&app).await;
        let id = offer_id(&created);
        let token = app.access_token(&created).await;
        let key = HolderKey::es256();
        let issued = app
            .request_credentials(&token, "IdentityCredential", &[&key])
            .await;
        assert_eq!(issued.status, 200);

        let response = app
            .admin(
                reqwest::Method::DELETE,
                &format!("/offers/{id}?reason=fraud"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let before = app.event_count().await;
        let reply = app
            .request_credentials(&token, "AddressCredential", &[&key])
            .await;
        reply.assert_error(401, "invalid_token");
        assert!(reply
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\""));
        // Whatever else is wrong with the request, the revoked token is what is reported.
        let nonce = app.c_nonce().await;
        app.credential_request(
            &token,
            &json!({"credential_identifier": "NoSuchCredential", "proofs": {"jwt": [key.proof(&app.wallet, &nonce)]}}),
        )
        .await
        .assert_error(401, "invalid_token");
        assert_eq!(app.event_count().await, before);
        // The offer is no longer served to wallets either.
        app.wallet_get(&offer_reference_path(&created))
            .await
            .assert_error(404, "not_found");
    }
}

backend_test! {
    async fn used_nonces_are_forgotten_only_after_they_expire(backend) {
        let app = spawn_app_on(backend).await;
        let nonce = app.c_nonce().await;
        let created = app.create_offer(&identity_offer()).await;
        let token = app.access_token(&created).await;
        let key = HolderKey::es256();
        let proof = key.proof(&app.wallet, &nonce);
        let issued = app
            .credential_request(&token, &body("IdentityCredential", &[proof]))
            .await;
        assert_eq!(issued.status, 200);

        let ledger = NonceLedger::new(app.state.secrets.clone());
        let service_now = app.state.clock.now();
        assert_eq!(
            ledger.purge_expired(service_now).await.unwrap(),
            0,
            "still live"
        );
        // Past the nonce's expiry (300 s) and the purge grace period.
        let later = service_now + chrono::Duration::seconds(301 + 300);
        assert_eq!(ledger.purge_expired(later).await.unwrap(), 1);

        // Forgotten, yet still refused (in a proof fresh by the service's clock): its own
        // expiry says so.
        app.clock.advance(chrono::Duration::seconds(301));
        let again = app.create_offer(&identity_offer()).await;
        let token = app.access_token(&again).await;
        let header = json!({"typ": "openid4vci-proof+jwt", "jwk": key.public_json()});
        let proof = key.sign(
            &header,
            &json!({"aud": app.wallet, "iat": now() + 301, "nonce": nonce}),
        );
        app.credential_request(&token, &body("IdentityCredential", &[proof]))
            .await
            .assert_error(400, "invalid_nonce");
    }
}

/// Opens the stores of `database` (migrating them) and returns the secret store.
async fn postgres_secrets(
    database: &TestDatabase,
    data_dir: &std::path::Path,
) -> std::sync::Arc<dyn issuance::store::SecretStore> {
    let overrides = [
        ("data_dir", json!(data_dir)),
        ("event_store", json!(database.url())),
    ];
    let config = issuance::config::LoadedConfig::from_toml_with(
        issuance::config::BUILT_IN_CONFIG,
        &overrides,
    )
    .unwrap();
    issuance::node::stores::open(&config.settings)
        .await
        .unwrap()
        .secrets
}

#[tokio::test(flavor = "multi_thread")]
async fn nonces_used_before_the_postgres_ledger_migration_stay_used() {
    // Arrange: a ledger of the first schema version holding a used nonce.
    let database = TestDatabase::new();
    let data_dir = tempfile::tempdir().unwrap();
    drop(postgres_secrets(&database, data_dir.path()).await);
    let client = database.client().await;
    client
        .batch_execute(
            "DROP TABLE used_nonces;
             CREATE TABLE used_nonces (nonce_hash bytea PRIMARY KEY, expires_at timestamptz NOT NULL);
             CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);
             INSERT INTO used_nonces VALUES ('\\x0707070707070707070707070707070707070707070707070707070707070707', to_timestamp(1900000000));
             DROP TABLE deployment_records;
             DELETE FROM secret_store_migrations WHERE version >= 2;",
        )
        .await
        .unwrap();

    // Act: the service starts on it and migrates.
    let secrets = postgres_secrets(&database, data_dir.path()).await;

    // Assert
    let expires_at = chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap();
    assert!(
        !secrets.consume_nonce([7; 32], expires_at).await.unwrap(),
        "a nonce used before the migration"
    );
    assert!(secrets.consume_nonce([8; 32], expires_at).await.unwrap());
    assert!(!secrets.consume_nonce([8; 32], expires_at).await.unwrap());
}
