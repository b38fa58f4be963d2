//! Issuers managed at runtime on the wallet side (issue 19): each serves its own Credential
//! Issuer Identifier `{public_url}/{issuer_id}` with its metadata, JWKS, offers, token,
//! nonce, credential and notification endpoints; an offer is redeemed and issued only at
//! its own issuer, with the configuration version it was made from and the issuer's active
//! key; changes show without a restart (within 1 s on a second node), and a restart
//! rebuilds the same registry from the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::management_issuers::{call, create_issuer};
use crate::support::integration::eventually;
use crate::support::process::copy_keys;
use crate::support::wallet::{self, HolderKey, PRE_AUTHORIZED};
use crate::support::*;

/// A configuration of `issuer` with `vct`.
fn configuration(vct: &str) -> Value {
    json!({
        "vct": vct,
        "validity_days": 30,
        "display": [{"name": "ID", "locale": "en-US"}],
        "claims": [{"path": "given_name", "mandatory": true}],
    })
}

/// Creates issuer `id` with a generated (active) key and configuration `Id` of `vct`.
pub async fn ready_issuer(app: &TestApp, id: &str, vct: &str) {
    create_issuer(app, id).await;
    let (status, key) = call(
        app,
        Method::POST,
        &format!("/issuers/{id}/keys"),
        Some(json!({})),
    )
    .await;
    assert_eq!((status, &key["status"]), (201, &json!("active")), "{key}");
    put_configuration(app, id, vct).await;
}

async fn put_configuration(app: &TestApp, id: &str, vct: &str) -> Value {
    let path = format!("/issuers/{id}/credential-configurations/Id");
    let (status, body) = call(app, Method::PUT, &path, Some(configuration(vct))).await;
    assert!(status == 200 || status == 201, "{status} {body}");
    body
}

/// `POST /issuers/{id}/offers` of configuration `Id`.
pub async fn offer_of(app: &TestApp, id: &str) -> (u16, Value) {
    let body = json!({
        "credential_configuration_id": "Id",
        "claims": {"given_name": "Erika"},
        "tx_code": {"length": 6},
    });
    call(
        app,
        Method::POST,
        &format!("/issuers/{id}/offers"),
        Some(body),
    )
    .await
}

/// A wallet talking to the issuer at `base` (its identifier).
pub struct IssuerWallet<'a> {
    app: &'a TestApp,
    base: String,
}

impl IssuerWallet<'_> {
    /// The wallet of issuer `id`.
    pub fn of<'a>(app: &'a TestApp, id: &str) -> IssuerWallet<'a> {
        IssuerWallet {
            app,
            base: format!("{}/{id}", app.wallet),
        }
    }

    async fn get(&self, url: &str) -> (u16, Value) {
        let response = self.app.client.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The `.well-known/{name}` document of the issuer.
    pub async fn metadata(&self, name: &str) -> Value {
        let (status, body) = self.get(&format!("{}/.well-known/{name}", self.base)).await;
        assert_eq!(status, 200, "{name} at {}: {body}", self.base);
        body
    }

    /// A pre-authorized token request of offer `created`, without DPoP or attestation.
    pub async fn token(&self, created: &Value) -> (u16, Value) {
        let code = wallet::pre_authorized_code(created);
        let tx = created["tx_code_value"].as_str().unwrap().to_string();
        let params = [
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", code.as_str()),
            ("tx_code", tx.as_str()),
        ];
        let url = format!("{}/token", self.base);
        let response = self
            .app
            .client
            .post(url)
            .form(&params)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn credential(&self, access_token: &str, holder: &HolderKey) -> (u16, Value) {
        let nonce = self
            .app
            .client
            .post(format!("{}/nonce", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(nonce.status(), 200);
        let nonce: Value = nonce.json().await.unwrap();
        let proof = holder.proof(&self.base, nonce["c_nonce"].as_str().unwrap());
        let body = json!({"credential_configuration_id": "Id", "proofs": {"jwt": [proof]}});
        let response = self
            .app
            .client
            .post(format!("{}/credential", self.base))
            .bearer_auth(access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// A whole pre-authorized flow for `created`: the credential.
    pub async fn issue(&self, created: &Value) -> String {
        let (status, token) = self.token(created).await;
        assert_eq!(status, 200, "{token}");
        let (status, issued) = self
            .credential(token["access_token"].as_str().unwrap(), &HolderKey::es256())
            .await;
        assert_eq!(status, 200, "{issued}");
        issued["credentials"][0]["credential"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// The issuer-signed JWT's header and payload.
fn issuer_jwt(credential: &str) -> (Value, Value) {
    let jwt = credential.split('~').next().unwrap();
    let mut parts = jwt.split('.');
    let mut decode = || -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap()
    };
    (decode(), decode())
}

backend_test! {
    async fn two_issuers_each_serve_their_own_identifier_tokens_and_keys(backend) {
        let app = spawn_app_on(backend).await;
        ready_issuer(&app, "acme", "https://acme.example/id").await;
        ready_issuer(&app, "globex", "https://globex.example/id").await;
        let (acme, globex) = (IssuerWallet::of(&app, "acme"), IssuerWallet::of(&app, "globex"));

        // Each issuer's metadata names its own identifier and configurations, inserted and
        // appended alike.
        let metadata = acme.metadata("openid-credential-issuer").await;
        assert_eq!(metadata["credential_issuer"], acme.base);
        assert_eq!(metadata["credential_endpoint"], format!("{}/credential", acme.base));
        assert_eq!(
            metadata["credential_configurations_supported"]["Id"]["vct"],
            "https://acme.example/id"
        );
        let (status, inserted) = acme
            .get(&format!("{}/.well-known/openid-credential-issuer/acme", app.wallet))
            .await;
        assert_eq!((status, &inserted), (200, &metadata));
        let as_metadata = acme.metadata("oauth-authorization-server").await;
        assert_eq!(as_metadata["token_endpoint"], format!("{}/token", acme.base));
        let acme_jwks = acme.metadata("jwt-vc-issuer").await;
        let globex_jwks = globex.metadata("jwt-vc-issuer").await;
        assert_eq!(acme_jwks["issuer"], acme.base);
        assert_ne!(acme_jwks["jwks"], globex_jwks["jwks"]);
        // The default issuer keeps the root identifier.
        let (_, root) = acme.get(&format!("{}/.well-known/openid-credential-issuer", app.wallet)).await;
        assert_eq!(root["credential_issuer"], app.wallet);
        // An unknown issuer, or one without an active key, is no endpoint.
        create_issuer(&app, "keyless").await;
        for id in ["nobody", "keyless"] {
            let (status, body) = acme
                .get(&format!("{}/{id}/.well-known/openid-credential-issuer", app.wallet))
                .await;
            assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{id}");
        }

        // An offer of acme: its URI and object name acme's identifier.
        let (status, created) = offer_of(&app, "acme").await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["credential_offer"]["credential_issuer"], acme.base);
        let reference = wallet::offer_reference_path(&created);
        assert!(reference.starts_with("/acme/credential-offers/"), "{reference}");
        let (status, resolved) = acme.get(&format!("{}{reference}", app.wallet)).await;
        assert_eq!((status, &resolved["credential_issuer"]), (200, &json!(acme.base)));
        let elsewhere = reference.replacen("/acme/", "/globex/", 1);
        assert_eq!(acme.get(&format!("{}{elsewhere}", app.wallet)).await.0, 404);
        let at_root = reference.replacen("/acme", "", 1);
        assert_eq!(acme.get(&format!("{}{at_root}", app.wallet)).await.0, 404);

        // Its code is refused at globex (and at the default issuer), redeemed at acme.
        let (status, refused) = globex.token(&created).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "{refused}");
        assert_eq!(app.redeem(&created).await.status, 400);
        let (status, token) = acme.token(&created).await;
        assert_eq!(status, 200, "{token}");
        let access_token = token["access_token"].as_str().unwrap();

        // Its access token is refused at globex; acme issues, signed with acme's key.
        let holder = HolderKey::es256();
        let (status, refused) = globex.credential(access_token, &holder).await;
        assert_eq!((status, refused["error"].as_str()), (401, Some("invalid_token")), "{refused}");
        let (status, issued) = acme.credential(access_token, &holder).await;
        assert_eq!(status, 200, "{issued}");
        let credential = issued["credentials"][0]["credential"].as_str().unwrap();
        let (header, payload) = issuer_jwt(credential);
        assert_eq!(payload["iss"], acme.base);
        assert_eq!(header["kid"], acme_jwks["jwks"]["keys"][0]["kid"]);
        // An independent SD-JWT verifier accepts it with acme's JWKS only.
        wallet::verify(credential, &acme.base, &acme_jwks["jwks"], None)
            .expect("verifies with acme's JWKS");
        assert!(wallet::verify(credential, &acme.base, &globex_jwks["jwks"], None).is_err());
        assert!(wallet::verify(credential, &globex.base, &globex_jwks["jwks"], None).is_err());

        // Every event of the offer names its issuer (AMQP messages and callbacks carry it).
        let offer_id = wallet::offer_id(&created);
        let events = app
            .state
            .events
            .read_stream(&format!("offer-{offer_id}"))
            .await
            .unwrap();
        assert!(events.len() >= 3);
        assert!(events.iter().all(|e| e.metadata.issuer_id.as_deref() == Some("acme")));
        let view = app.wait_for_status(&offer_id, "COMPLETED").await;
        assert_eq!(view["status"], "COMPLETED");
    }
}

backend_test! {
    async fn an_offer_is_issued_with_the_configuration_version_it_was_made_from(backend) {
        let app = spawn_app_on(backend).await;
        ready_issuer(&app, "acme", "https://acme.example/id/v1").await;
        let acme = IssuerWallet::of(&app, "acme");
        let (_, old) = offer_of(&app, "acme").await;

        // A new version while the old offer is live: metadata shows it without a restart,
        // under a new ETag.
        let before = app.client.get(format!("{}/.well-known/openid-credential-issuer", acme.base))
            .send().await.unwrap();
        let old_tag = before.headers()["etag"].to_str().unwrap().to_string();
        let published = put_configuration(&app, "acme", "https://acme.example/id/v2").await;
        assert_eq!(published["version"], 2, "{published}");
        let tag = eventually("the new version in the metadata", Duration::from_secs(1), || async {
            let response = app.client
                .get(format!("{}/.well-known/openid-credential-issuer", acme.base))
                .header("If-None-Match", old_tag.clone())
                .send().await.unwrap();
            let tag = response.headers()["etag"].to_str().unwrap().to_string();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (body["credential_configurations_supported"]["Id"]["vct"]
                == "https://acme.example/id/v2").then_some(tag)
        }).await;
        assert_ne!(tag, old_tag);
        let unchanged = app.client
            .get(format!("{}/.well-known/openid-credential-issuer", acme.base))
            .header("If-None-Match", tag.clone())
            .send().await.unwrap();
        assert_eq!(unchanged.status(), 304);
        let (_, new) = offer_of(&app, "acme").await;

        // Each offer recorded its version and is issued with it.
        for (created, version) in [(&old, 1), (&new, 2)] {
            let offer_id = wallet::offer_id(created);
            let events = app.state.events.read_stream(&format!("offer-{offer_id}")).await.unwrap();
            assert_eq!(events[0].payload["configuration_versions"], json!({"Id": version}));
            assert_eq!(events[0].payload["issuer_id"], "acme");
        }
        let (_, payload) = issuer_jwt(&acme.issue(&old).await);
        assert_eq!(payload["vct"], "https://acme.example/id/v1");
        let (_, payload) = issuer_jwt(&acme.issue(&new).await);
        assert_eq!(payload["vct"], "https://acme.example/id/v2");
    }
}

backend_test! {
    async fn a_key_rotated_through_the_api_signs_at_once_and_the_old_one_still_verifies(backend) {
        let app = spawn_app_on(backend).await;
        ready_issuer(&app, "acme", "https://acme.example/id").await;
        let acme = IssuerWallet::of(&app, "acme");
        let (_, first) = offer_of(&app, "acme").await;
        let before = acme.issue(&first).await;

        let (status, key) = call(&app, Method::POST, "/issuers/acme/keys", Some(json!({}))).await;
        assert_eq!(status, 201, "{key}");
        let kid = key["kid"].as_str().unwrap().to_string();
        let path = format!("/issuers/acme/keys/{kid}/activate");
        let (status, activated) = call(&app, Method::POST, &path, None).await;
        assert_eq!(status, 200, "{activated}");
        let (_, second) = offer_of(&app, "acme").await;
        let after = acme.issue(&second).await;
        assert_eq!(issuer_jwt(&after).0["kid"], kid.as_str());
        assert_ne!(issuer_jwt(&before).0["kid"], kid.as_str());

        let jwks = acme.metadata("jwt-vc-issuer").await;
        assert_eq!(jwks["jwks"]["keys"][0]["kid"], kid.as_str(), "the active key first");
        for credential in [&before, &after] {
            wallet::verify(credential, &acme.base, &jwks["jwks"], None).expect("verifies");
        }
    }
}

backend_test! {
    async fn offers_are_refused_for_unknown_keyless_and_retired_issuers(backend) {
        let app = spawn_app_on(backend).await;
        let (status, error) = offer_of(&app, "nobody").await;
        assert_eq!((status, error["error"].as_str()), (404, Some("not_found")), "{error}");
        create_issuer(&app, "acme").await;
        put_configuration(&app, "acme", "https://acme.example/id").await;
        let (status, error) = offer_of(&app, "acme").await;
        assert_eq!((status, error["error"].as_str()), (409, Some("issuer_not_ready")), "{error}");
        let (status, _) = call(&app, Method::POST, "/issuers/acme/keys", Some(json!({}))).await;
        assert_eq!(status, 201);
        let (status, live) = offer_of(&app, "acme").await;
        assert_eq!(status, 201, "{live}");
        // An unknown configuration of this issuer (the default issuer's is not its).
        let body = json!({"credential_configuration_id": "IdentityCredential",
                          "claims": {"given_name": "Erika"}});
        let (status, error) = call(&app, Method::POST, "/issuers/acme/offers", Some(body)).await;
        assert_eq!((status, error["error"].as_str()),
            (400, Some("unknown_credential_configuration")), "{error}");

        let (status, _) = call(&app, Method::DELETE, "/issuers/acme", None).await;
        assert!(status == 200 || status == 204);
        let (status, error) = offer_of(&app, "acme").await;
        assert_eq!((status, error["error"].as_str()), (409, Some("issuer_retired")), "{error}");
        // The live offer still redeems until it ends.
        IssuerWallet::of(&app, "acme").issue(&live).await;
        // `default` is the configuration file's issuer.
        let (status, created) = call(&app, Method::POST, "/issuers/default/offers",
            Some(identity_offer())).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["credential_offer"]["credential_issuer"], app.wallet);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_on_one_node_shows_on_another_within_a_second() {
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let first = spawn_app_with(
        TestOptions::on(Backend::Postgres).set("server_secret", json!(secret.clone())),
    )
    .await;
    let second_dir = Arc::new(tempfile::tempdir().unwrap());
    copy_keys(first.data_dir.path(), second_dir.path());
    let second = spawn_app_with(TestOptions {
        data_dir: Some(second_dir),
        database: first.database.clone(),
        ..TestOptions::on(Backend::Postgres).set("server_secret", json!(secret))
    })
    .await;
    ready_issuer(&first, "acme", "https://acme.example/id/v1").await;
    let on_second = IssuerWallet::of(&second, "acme");
    eventually(
        "acme on the second node",
        Duration::from_secs(1),
        || async {
            (on_second
                .get(&format!(
                    "{}/.well-known/openid-credential-issuer",
                    on_second.base
                ))
                .await
                .0
                == 200)
                .then_some(())
        },
    )
    .await;

    put_configuration(&first, "acme", "https://acme.example/id/v2").await;
    let changed = Instant::now();
    eventually(
        "the new version on the second node",
        Duration::from_secs(1),
        || async {
            let metadata = on_second
                .get(&format!(
                    "{}/.well-known/openid-credential-issuer",
                    on_second.base
                ))
                .await
                .1;
            (metadata["credential_configurations_supported"]["Id"]["vct"]
                == "https://acme.example/id/v2")
                .then_some(())
        },
    )
    .await;
    assert!(changed.elapsed() < Duration::from_secs(1));
    // An offer made on the first node is issued by the second.
    let (_, created) = offer_of(&first, "acme").await;
    let (_, payload) = issuer_jwt(&on_second.issue(&created).await);
    assert_eq!(payload["vct"], "https://acme.example/id/v2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_rebuilds_the_same_registry_from_the_log_and_the_audit_chain_verifies() {
    let app = spawn_app().await;
    ready_issuer(&app, "acme", "https://acme.example/id/v1").await;
    put_configuration(&app, "acme", "https://acme.example/id/v2").await;
    call(&app, Method::POST, "/issuers/acme/keys", Some(json!({}))).await;
    let (_, old) = offer_of(&app, "acme").await;
    let served = |app: &TestApp| {
        let served = app.state.issuers.served("acme").unwrap();
        (
            served.state.clone(),
            served.keys.as_ref().unwrap().jwks().clone(),
            served
                .catalog
                .entries()
                .map(|c| c.id().to_string())
                .collect::<Vec<_>>(),
        )
    };
    let before = served(&app);

    let stopped = app.shutdown().await;
    let app = spawn_app_with(stopped.restart_options()).await;
    let restarted = eventually("acme after the restart", Duration::from_secs(5), || async {
        app.state.issuers.served("acme").map(|_| ())
    });
    restarted.await;
    assert_eq!(served(&app), before);
    // The offer made before the restart is issued with its version by the new process.
    let (_, payload) = issuer_jwt(&IssuerWallet::of(&app, "acme").issue(&old).await);
    assert_eq!(payload["vct"], "https://acme.example/id/v2");
    let (status, verified) = app.get_json("/audit/verify").await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["valid"], true, "{verified}");
}
