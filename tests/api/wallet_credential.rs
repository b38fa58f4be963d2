//! The credential endpoint: each error code with its status, that rejected requests write
//! nothing (and spend no nonce), and the draft-era request forms.

use serde_json::{json, Value};

use crate::support::wallet::*;
use crate::support::*;

/// An offer, redeemed: (creation response, access token).
async fn redeemed(app: &TestApp) -> (Value, String) {
    let created = app.create_offer(&identity_offer()).await;
    let token = app.access_token(&created).await;
    (created, token)
}

fn request(proofs: Vec<String>) -> Value {
    json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": proofs}})
}

backend_test! {
    async fn requests_without_a_valid_access_token_get_401_with_a_bearer_challenge(backend) {
        let app = spawn_app_on(backend).await;
        let (_, token) = redeemed(&app).await;
        let key = HolderKey::es256();
        let body = request(vec![key.proof(&app.wallet, &app.c_nonce().await)]);
        let before = app.event_count().await;

        let response = app
            .client
            .post(format!("{}/credential", app.wallet))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.headers()["cache-control"], "no-store");

        let response = app
            .client
            .post(format!("{}/credential", app.wallet))
            .basic_auth("user", Some("password"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");

        let mut forged = token.clone();
        forged.replace_range(10..11, if &token[10..11] == "A" { "B" } else { "A" });
        for bad in ["not-a-token", forged.as_str()] {
            let reply = app.credential_request(bad, &body).await;
            reply.assert_error(401, "invalid_token");
            assert!(reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer error=\"invalid_token\""));
        }

        app.clock.advance(chrono::Duration::seconds(301));
        let reply = app.credential_request(&token, &body).await;
        reply.assert_error(401, "invalid_token");
        assert!(reply.body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"));
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn malformed_requests_are_invalid_credential_request(backend) {
        let app = spawn_app_on(backend).await;
        let (_, token) = redeemed(&app).await;
        let key = HolderKey::es256();
        let proof = key.proof(&app.wallet, &app.c_nonce().await);
        let before = app.event_count().await;

        for body in [
            json!({"proofs": {"jwt": [proof]}}),
            json!({"credential_identifier": "IdentityCredential", "credential_configuration_id": "IdentityCredential", "proofs": {"jwt": [proof]}}),
            json!({"credential_configuration_id": 7, "proofs": {"jwt": [proof]}}),
            json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": [proof]}, "proof": {"proof_type": "jwt", "jwt": proof}}),
            json!(["not", "an", "object"]),
        ] {
            app.credential_request(&token, &body)
                .await
                .assert_error(400, "invalid_credential_request");
        }
        for (content_type, body) in [("application/json", "{oops"), ("text/plain", "{}")] {
            let response = app
                .client
                .post(format!("{}/credential", app.wallet))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400);
            assert_eq!(
                response.json::<Value>().await.unwrap()["error"],
                "invalid_credential_request"
            );
        }
        let encrypted = json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": [proof]},
                               "credential_response_encryption": {"jwk": {}, "enc": "A128GCM"}});
        app.credential_request(&token, &encrypted)
            .await
            .assert_error(400, "invalid_encryption_parameters");
        assert_eq!(app.event_count().await, before);

        // None of these spent the nonce: the same proof still works.
        let issued = app.credential_request(&token, &request(vec![proof])).await;
        assert_eq!(issued.status, 200, "{}", issued.body);
    }
}

backend_test! {
    async fn unknown_configurations_and_identifiers_are_named_as_such(backend) {
        let app = spawn_app_on(backend).await;
        let (_, token) = redeemed(&app).await;
        let key = HolderKey::es256();
        let proof = key.proof(&app.wallet, &app.c_nonce().await);
        let before = app.event_count().await;

        for configuration in ["NoSuchCredential", "AddressCredential"] {
            app.credential_request(
                &token,
                &json!({"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}),
            )
            .await
            .assert_error(400, "unknown_credential_configuration");
        }
        app.credential_request(
            &token,
            &json!({"credential_identifier": "NoSuchCredential", "proofs": {"jwt": [proof]}}),
        )
        .await
        .assert_error(400, "unknown_credential_identifier");
        app.credential_request(
            &token,
            &json!({"format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL", "proofs": {"jwt": [proof]}}),
        )
        .await
        .assert_error(400, "unknown_credential_configuration");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn invalid_proofs_are_refused_with_a_fresh_nonce_and_spend_nothing(backend) {
        let app = spawn_app_with(TestOptions::on(backend).set("issuer.batch_size", json!(2))).await;
        let (_, token) = redeemed(&app).await;
        let key = HolderKey::es256();
        let other = HolderKey::es256();
        let nonce = app.c_nonce().await;
        let header = json!({"typ": "openid4vci-proof+jwt", "jwk": key.public_json()});
        let claims = json!({"aud": app.wallet, "iat": now(), "nonce": nonce});
        let with = |field: &str, value: Value| {
            let mut changed = claims.clone();
            if value.is_null() {
                changed.as_object_mut().unwrap().remove(field);
            } else {
                changed[field] = value;
            }
            key.sign(&header, &changed)
        };
        let mut private_header = header.clone();
        private_header["jwk"] = Value::Object(key.private.as_ref().clone());
        let mut wrong_typ = header.clone();
        wrong_typ["typ"] = json!("JWT");
        let before = app.event_count().await;

        let cases: Vec<(&str, Value)> = vec![
            (
                "no proofs",
                json!({"credential_configuration_id": "IdentityCredential"}),
            ),
            (
                "wrong audience",
                request(vec![with("aud", json!("https://other.example"))]),
            ),
            ("no nonce", request(vec![with("nonce", Value::Null)])),
            ("stale iat", request(vec![with("iat", json!(now() - 3600))])),
            (
                "future iat",
                request(vec![with("iat", json!(now() + 3600))]),
            ),
            ("wrong typ", request(vec![key.sign(&wrong_typ, &claims)])),
            (
                "private key in header",
                request(vec![key.sign(&private_header, &claims)]),
            ),
            (
                "signed by another key",
                request(vec![other.sign(&header, &claims)]),
            ),
            ("garbage", request(vec!["a.b.c".into()])),
            (
                "repeated holder key",
                request(vec![
                    key.proof(&app.wallet, &nonce),
                    key.proof(&app.wallet, &nonce),
                ]),
            ),
            (
                "more than batch_size",
                request(vec![
                    key.proof(&app.wallet, &nonce),
                    other.proof(&app.wallet, &nonce),
                    HolderKey::ed25519().proof(&app.wallet, &nonce),
                ]),
            ),
            (
                "unsupported proof type",
                json!({"credential_configuration_id": "IdentityCredential", "proofs": {"di_vp": [{}]}}),
            ),
        ];
        for (case, body) in cases {
            let reply = app.credential_request(&token, &body).await;
            assert_eq!(
                (reply.status, reply.body["error"].as_str()),
                (400, Some("invalid_proof")),
                "{case}: {}",
                reply.body
            );
            assert!(
                reply.body["c_nonce"].is_string(),
                "{case}: draft-13 wallets get a new nonce"
            );
        }
        assert_eq!(app.event_count().await, before);

        // The nonce was not spent by any of them.
        let issued = app
            .credential_request(&token, &request(vec![key.proof(&app.wallet, &nonce)]))
            .await;
        assert_eq!(issued.status, 200, "{}", issued.body);
    }
}

backend_test! {
    async fn nonces_must_be_ours_and_fresh(backend) {
        let app = spawn_app_with(TestOptions::on(backend).set("tokens.nonce_ttl", json!(5))).await;
        let (_, token) = redeemed(&app).await;
        let key = HolderKey::es256();
        let before = app.event_count().await;

        let forged = app
            .credential_request(
                &token,
                &request(vec![key.proof(&app.wallet, "my-own-nonce")]),
            )
            .await;
        forged.assert_error(400, "invalid_nonce");
        assert!(forged.body["c_nonce"].is_string());

        let stale = app.c_nonce().await;
        app.clock.advance(chrono::Duration::seconds(6));
        app.credential_request(&token, &request(vec![key.proof(&app.wallet, &stale)]))
            .await
            .assert_error(400, "invalid_nonce");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn erased_claims_and_issued_credentials_are_denied(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let key = HolderKey::es256();

        // Erased: the data key is gone (crypto-shredded).
        let (created, token) = redeemed(&app).await;
        let id: uuid::Uuid = offer_id(&created).parse().unwrap();
        assert!(app.state.secrets.destroy_data_key(id).await.unwrap());
        let before = app.event_count().await;
        app.request_credentials(&token, "IdentityCredential", &[&key])
            .await
            .assert_error(400, "credential_request_denied");
        assert_eq!(app.event_count().await, before);

        // Already issued under this token.
        let (_, token) = redeemed(&app).await;
        let first = app
            .request_credentials(&token, "IdentityCredential", &[&key])
            .await;
        assert_eq!(first.status, 200, "{}", first.body);
        let before = app.event_count().await;
        app.request_credentials(&token, "IdentityCredential", &[&key])
            .await
            .assert_error(400, "credential_request_denied");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn draft_13_wallets_are_served_with_proof_format_and_vct(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let token_reply = app.redeem(&created).await;
        let token = token_reply.body["access_token"].as_str().unwrap();
        let nonce = token_reply.body["c_nonce"].as_str().unwrap();
        let key = HolderKey::es256();
        let reply = app
            .credential_request(
                token,
                &json!({
                    "format": "vc+sd-jwt",
                    "vct": "https://credentials.example.com/identity_credential",
                    "proof": {"proof_type": "jwt", "jwt": key.proof(&app.wallet, nonce)},
                }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let credential = reply.body["credential"].as_str().unwrap();
        assert_eq!(reply.body["credentials"][0]["credential"], credential);
        assert!(credential.ends_with('~'));
    }
}

backend_test! {
    async fn a_client_id_at_the_token_endpoint_binds_the_proof_issuer(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &pre_authorized_code(&created)),
                ("tx_code", &tx_code(&created)),
                ("client_id", "wallet-app"),
            ])
            .await;
        let token = reply.body["access_token"].as_str().unwrap();
        let key = HolderKey::es256();
        let nonce = app.c_nonce().await;
        let header = json!({"typ": "openid4vci-proof+jwt", "jwk": key.public_json()});
        let foreign = key.sign(
            &header,
            &json!({"iss": "other-app", "aud": app.wallet, "iat": now(), "nonce": nonce}),
        );
        app.credential_request(token, &request(vec![foreign]))
            .await
            .assert_error(400, "invalid_proof");
        let own = key.sign(
            &header,
            &json!({"iss": "wallet-app", "aud": app.wallet, "iat": now(), "nonce": nonce}),
        );
        let issued = app.credential_request(token, &request(vec![own])).await;
        assert_eq!(issued.status, 200, "{}", issued.body);
    }
}
