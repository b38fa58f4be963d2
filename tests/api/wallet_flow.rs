//! The whole pre-authorized flow over HTTP, as a wallet runs it, with every issued SD-JWT VC
//! checked by an independent SD-JWT implementation (`sd-jwt-rs`, keys via `jsonwebtoken`).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::EncodingKey;
use sd_jwt_rs::{SDJWTHolder, SDJWTSerializationFormat};
use serde_json::{json, Map, Value};
use sha2::Digest as _;

use issuance::contracts::openapi::Api;

use crate::support::openapi::checked;
use crate::support::wallet::*;
use crate::support::*;

/// Claims of the end-to-end offer: selectively disclosable ones (names, birthdate, e-mail,
/// nationalities, address members) and one plain claim (`customer_number`).
fn identity_claims() -> Value {
    json!({
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birthdate": "1964-08-12",
        "email": "erika@example.org",
        "nationalities": ["DE", "FR"],
        "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"},
        "customer_number": "C-4711"
    })
}

/// What the signed payload must never show in clear: every disclosable value and name.
const HIDDEN: &[&str] = &[
    "Erika",
    "Mustermann",
    "1964-08-12",
    "erika@example.org",
    "Heidestrasse 17",
    "Koeln",
    "given_name",
    "family_name",
    "birthdate",
    "email",
    "street_address",
    "locality",
];

backend_test! {
    async fn a_wallet_obtains_a_batch_of_sd_jwt_vcs_that_an_independent_verifier_accepts(backend) {
        // Kept claims: the history checked below must not race the retention policy.
        // With the shipped per-client rate limits: one wallet's flow must not meet them.
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims().with_rate_limits()).await;

        // The institution creates the offer.
        let created = app
            .create_offer(&json!({
                "credential_configuration_id": "IdentityCredential",
                "claims": identity_claims(),
                "tx_code": {"length": 6, "description": "Code sent by SMS"},
            }))
            .await;
        let offer_id = offer_id(&created);

        // The wallet scans the QR code and resolves the offer by reference.
        let offer_uri = url::Url::parse(created["credential_offer_uri"].as_str().unwrap()).unwrap();
        assert_eq!(offer_uri.scheme(), "openid-credential-offer");
        let offer_url = offer_uri
            .query_pairs()
            .find(|(k, _)| k == "credential_offer_uri")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let (status, offer) = checked(
            Api::Wallet,
            "GET",
            &offer_url,
            app.client.get(&offer_url).send().await.unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(offer, created["credential_offer"]);
        let issuer = offer["credential_issuer"].as_str().unwrap().to_string();
        let grant = &offer["grants"][PRE_AUTHORIZED];
        assert_eq!(grant["tx_code"]["length"], 6);

        // Metadata: credential issuer, then its authorization server (itself).
        let metadata: Value = get_json(
            &app,
            &format!("{issuer}/.well-known/openid-credential-issuer"),
        )
        .await;
        assert_eq!(metadata["credential_issuer"], issuer.as_str());
        assert!(
            metadata["batch_credential_issuance"]["batch_size"]
                .as_u64()
                .unwrap()
                >= 2
        );
        assert!(metadata["credential_configurations_supported"]["IdentityCredential"].is_object());
        let authorization_server: Value = get_json(
            &app,
            &format!("{issuer}/.well-known/oauth-authorization-server"),
        )
        .await;
        assert_eq!(authorization_server["issuer"], issuer.as_str());

        // Token with the transaction code.
        let token_response = app
            .client
            .post(authorization_server["token_endpoint"].as_str().unwrap())
            .form(&[
                ("grant_type", PRE_AUTHORIZED),
                (
                    "pre-authorized_code",
                    grant["pre-authorized_code"].as_str().unwrap(),
                ),
                ("tx_code", &tx_code(&created)),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(token_response.status(), 200);
        assert_eq!(token_response.headers()["cache-control"], "no-store");
        let token_url = authorization_server["token_endpoint"].as_str().unwrap();
        let (_, token) = checked(Api::Wallet, "POST", token_url, token_response).await;
        assert_eq!(token["token_type"], "Bearer");
        assert!(token["expires_in"].as_u64().unwrap() <= 300);
        assert!(
            token.get("authorization_details").is_none(),
            "none were requested"
        );
        let access_token = token["access_token"].as_str().unwrap();

        // Nonce.
        let nonce_response = app
            .client
            .post(metadata["nonce_endpoint"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(nonce_response.status(), 200);
        assert_eq!(nonce_response.headers()["cache-control"], "no-store");
        let nonce_url = metadata["nonce_endpoint"].as_str().unwrap();
        let (_, nonce) = checked(Api::Wallet, "POST", nonce_url, nonce_response).await;
        let c_nonce = nonce["c_nonce"].as_str().unwrap().to_string();

        // Credential: a batch of two, one per holder key (ES256 and EdDSA).
        let keys = [HolderKey::es256(), HolderKey::ed25519()];
        let credential_response = app
            .client
            .post(metadata["credential_endpoint"].as_str().unwrap())
            .bearer_auth(access_token)
            .json(&json!({
                "credential_configuration_id": "IdentityCredential",
                "proofs": {"jwt": keys.iter().map(|k| k.proof(&issuer, &c_nonce)).collect::<Vec<_>>()},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(credential_response.status(), 200);
        assert_eq!(credential_response.headers()["cache-control"], "no-store");
        let credential_url = metadata["credential_endpoint"].as_str().unwrap();
        let (_, issued) = checked(Api::Wallet, "POST", credential_url, credential_response).await;
        let credentials: Vec<String> = issued["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["credential"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(credentials.len(), 2);
        assert!(
            issued.get("credential").is_none(),
            "1.0 requests get only the array"
        );
        let notification_id = issued["notification_id"].as_str().unwrap();

        // Every credential verifies against the published JWKS and is bound to its own key.
        let jwt_vc_issuer: Value = get_json(&app, &format!("{issuer}/.well-known/jwt-vc-issuer")).await;
        assert_eq!(jwt_vc_issuer["issuer"], issuer.as_str());
        for (credential, key) in credentials.iter().zip(&keys) {
            check_credential(credential, key, &keys, &issuer, &jwt_vc_issuer["jwks"]);
        }

        // Notification.
        let notified = app
            .client
            .post(metadata["notification_endpoint"].as_str().unwrap())
            .bearer_auth(access_token)
            .json(&json!({"notification_id": notification_id, "event": "credential_accepted"}))
            .send()
            .await
            .unwrap();
        let notification_url = metadata["notification_endpoint"].as_str().unwrap();
        let (status, _) = checked(Api::Wallet, "POST", notification_url, notified).await;
        assert_eq!(status, 204);

        let view = app.wait_for_status(&offer_id, "COMPLETED").await;
        let issued_views = view["issued"].as_array().unwrap();
        assert_eq!(issued_views.len(), 2);
        let thumbprints: Vec<&str> = issued_views
            .iter()
            .map(|i| i["holder_key_thumbprint"].as_str().unwrap())
            .collect();
        assert_ne!(thumbprints[0], thumbprints[1]);
        assert_eq!(
            app.event_types(&offer_id).await,
            [
                "OfferCreated",
                "OfferRedeemed",
                "CredentialIssued",
                "CredentialIssued",
                "OfferCompleted",
                "NotificationReceived"
            ]
        );
    }
}

/// A metadata document, checked against the wallet API's OpenAPI document.
async fn get_json(app: &TestApp, url: &str) -> Value {
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    checked(Api::Wallet, "GET", url, response).await.1
}

/// Checks one issued SD-JWT VC with sd-jwt-rs and by hand.
fn check_credential(
    compact: &str,
    key: &HolderKey,
    keys: &[HolderKey],
    issuer: &str,
    jwks: &Value,
) {
    assert!(compact.ends_with('~'), "no KB-JWT, trailing ~");
    let mut parts: Vec<&str> = compact.split('~').collect();
    parts.pop();
    let jwt = parts.remove(0);
    let disclosures = parts;
    let segments: Vec<&str> = jwt.split('.').collect();
    let header = decode_segment(segments[0]);
    let payload = decode_segment(segments[1]);

    // Header and registered claims (SD-JWT VC -13 §3.2).
    assert_eq!(header["typ"], "dc+sd-jwt");
    assert_eq!(header["alg"], "ES256");
    let kid = header["kid"].as_str().unwrap();
    assert_eq!(payload["iss"], issuer);
    assert_eq!(
        payload["vct"],
        "https://credentials.example.com/identity_credential"
    );
    assert_eq!(payload["_sd_alg"], "sha-256");
    let validity = payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap();
    assert_eq!(validity, 365 * 86_400);
    assert_eq!(
        payload["cnf"]["jwk"],
        key.public_json(),
        "cnf is the proof's key"
    );
    assert_eq!(
        payload["customer_number"], "C-4711",
        "plain claim stays plain"
    );

    // Selective disclosure hides: no disclosable name or value in the signed payload.
    let text = payload.to_string();
    for hidden in HIDDEN {
        assert!(
            !text.contains(&format!("\"{hidden}\"")),
            "payload shows {hidden}"
        );
    }

    // Every disclosure's digest (recomputed here) is referenced exactly once.
    let mut digests = Vec::new();
    collect_digests(&payload, &mut digests);
    for disclosure in &disclosures {
        collect_digests(&decode_segment(disclosure), &mut digests);
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for digest in &digests {
        *counts.entry(digest.as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n == 1), "a digest repeats");
    for disclosure in &disclosures {
        let digest = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(disclosure.as_bytes()));
        assert_eq!(
            counts.get(digest.as_str()),
            Some(&1),
            "undigested disclosure"
        );
    }
    assert!(digests.len() > disclosures.len(), "decoys are present");

    // The independent verifier: signature with the JWKS key named by kid, all digests.
    let verified = verify(compact, issuer, jwks, None).expect("sd-jwt-rs accepts the credential");
    let mut subject = verified.as_object().unwrap().clone();
    assert!(verified["status"]["status_list"]["uri"].is_string());
    for registered in ["iss", "iat", "exp", "vct", "cnf", "status"] {
        subject.remove(registered);
    }
    assert_eq!(Value::Object(subject), identity_claims());

    // A presentation with a key-binding JWT, disclosing two claims only.
    let presentation = present(compact, key, "https://verifier.example", "n-1");
    let disclosed = verify(
        &presentation,
        issuer,
        jwks,
        Some(("https://verifier.example", "n-1")),
    )
    .expect("the holder key binds the credential");
    assert_eq!(disclosed["family_name"], "Mustermann");
    assert_eq!(disclosed["address"], json!({"locality": "Koeln"}));
    for hidden in ["given_name", "birthdate", "email"] {
        assert!(
            disclosed.get(hidden).is_none(),
            "{hidden} was not disclosed"
        );
    }
    assert_eq!(disclosed["customer_number"], "C-4711");

    // Bound to this key only: the other holder key cannot present it.
    let other = keys
        .iter()
        .find(|k| k.public_json() != key.public_json())
        .unwrap();
    let stolen = present(compact, other, "https://verifier.example", "n-1");
    assert!(verify(
        &stolen,
        issuer,
        jwks,
        Some(("https://verifier.example", "n-1"))
    )
    .is_err());

    // The signing key is the published one, and no other key verifies the credential.
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == kid));
    assert!(verify(compact, "https://impostor.example", jwks, None).is_err());
}

/// sd-jwt-rs holder: discloses `family_name` and `address.locality`, signs a KB-JWT.
fn present(compact: &str, key: &HolderKey, audience: &str, nonce: &str) -> String {
    let mut holder = SDJWTHolder::new(compact.to_string(), SDJWTSerializationFormat::Compact)
        .expect("sd-jwt-rs parses the credential");
    let mut disclose = Map::new();
    disclose.insert("family_name".into(), json!(true));
    disclose.insert("address".into(), json!({"locality": true}));
    let signing_key = match key.alg {
        "EdDSA" => EncodingKey::from_ed_pem(&key.pem).unwrap(),
        _ => EncodingKey::from_ec_pem(&key.pem).unwrap(),
    };
    holder
        .create_presentation(
            disclose,
            Some(nonce.to_string()),
            Some(audience.to_string()),
            Some(signing_key),
            Some(key.alg.to_string()),
        )
        .expect("sd-jwt-rs presents the credential")
}

/// Gathers `_sd` entries and `...` array placeholders at any depth.
fn collect_digests(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                match (name.as_str(), member) {
                    ("_sd", Value::Array(items)) => {
                        out.extend(items.iter().map(|d| d.as_str().unwrap().to_string()))
                    }
                    ("...", Value::String(digest)) => out.push(digest.clone()),
                    _ => collect_digests(member, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_digests(item, out)),
        _ => {}
    }
}

backend_test! {
    async fn the_offer_view_follows_redeemed_issuing_and_completed(backend) {
        let app = spawn_app_on(backend).await;
        let created = app
            .create_offer(&json!({
                "credential_configuration_ids": ["IdentityCredential", "AddressCredential"],
                "claims": {
                    "given_name": "Erika", "family_name": "Mustermann",
                    "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"}
                },
                "tx_code": {"length": 6},
            }))
            .await;
        let offer_id = offer_id(&created);
        let access_token = app.access_token(&created).await;
        app.wait_for_status(&offer_id, "REDEEMED").await;

        let key = HolderKey::es256();
        let first = app
            .request_credentials(&access_token, "IdentityCredential", &[&key])
            .await;
        assert_eq!(first.status, 200, "{}", first.body);
        let view = app.wait_for_status(&offer_id, "ISSUING").await;
        assert_eq!(
            view["issued"][0]["credential_configuration_id"],
            "IdentityCredential"
        );

        let second = app
            .request_credentials(&access_token, "AddressCredential", &[&key])
            .await;
        assert_eq!(second.status, 200, "{}", second.body);
        assert_ne!(
            first.body["notification_id"],
            second.body["notification_id"]
        );
        let view = app.wait_for_status(&offer_id, "COMPLETED").await;
        assert_eq!(view["issued"].as_array().unwrap().len(), 2);

        // Every wallet event names the wallet as actor and carries its request id (the
        // retention policy may already have erased the claims, as `system`).
        let (_, history) = app.get_json(&format!("/offers/{offer_id}/events")).await;
        let wallet_events = history.as_array().unwrap().iter().skip(1);
        for event in wallet_events.filter(|e| e["type"] != "ClaimsErased") {
            assert_eq!(event["actor"], "wallet", "{event}");
            assert!(event["request_id"].is_string(), "{event}");
        }
        let issued: Vec<&Value> = history
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "CredentialIssued")
            .collect();
        assert_eq!(issued.len(), 2);
        let text = serde_json::to_string(&history).unwrap();
        assert!(
            !text.contains("Mustermann") && !text.contains("~"),
            "no claims or credentials in events"
        );
    }
}

backend_test! {
    async fn notifications_are_recorded_once_and_unknown_ids_are_refused(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let created = app.create_offer(&identity_offer()).await;
        let offer_id = offer_id(&created);
        let access_token = app.access_token(&created).await;
        let issued = app
            .request_credentials(&access_token, "IdentityCredential", &[&HolderKey::es256()])
            .await;
        let notification_id = issued.body["notification_id"].as_str().unwrap();

        for event in [
            "credential_failure",
            "credential_accepted",
            "credential_accepted",
        ] {
            let reply = app
                .notification_request(
                    &access_token,
                    &json!({"notification_id": notification_id, "event": event, "event_description": "stored in wallet"}),
                )
                .await;
            assert_eq!(reply.status, 204);
        }
        let types = app.event_types(&offer_id).await;
        assert_eq!(
            types
                .iter()
                .filter(|t| *t == "NotificationReceived")
                .count(),
            2
        );

        let before = app.event_count().await;
        let unknown = app
            .notification_request(
                &access_token,
                &json!({"notification_id": "nope", "event": "credential_deleted"}),
            )
            .await;
        unknown.assert_error(400, "invalid_notification_id");
        for bad in [
            json!({"event": "credential_accepted"}),
            json!({"notification_id": notification_id, "event": "credential_lost"}),
            json!({"notification_id": notification_id}),
            json!({"notification_id": 7, "event": "credential_accepted"}),
            json!({"notification_id": notification_id, "event": "credential_accepted", "event_description": "ä"}),
        ] {
            let reply = app.notification_request(&access_token, &bad).await;
            reply.assert_error(400, "invalid_notification_request");
        }
        let malformed = app
            .client
            .post(format!("{}/notification", app.wallet))
            .bearer_auth(&access_token)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 400);
        let unauthenticated = app
            .client
            .post(format!("{}/notification", app.wallet))
            .json(&json!({"notification_id": notification_id, "event": "credential_accepted"}))
            .send()
            .await
            .unwrap();
        assert_eq!(unauthenticated.status(), 401);
        assert_eq!(
            app.event_count().await,
            before,
            "rejected notifications write nothing"
        );
    }
}
