//! The well-known documents and the credential offer by reference.

use serde_json::{json, Value};

use crate::support::wallet::*;
use crate::support::*;

backend_test! {
    async fn the_credential_issuer_metadata_describes_every_configuration(backend) {
        let app = spawn_app_on(backend).await;
        let reply = app
            .wallet_get("/.well-known/openid-credential-issuer")
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("cache-control"), Some("public, max-age=300"));
        assert!(reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        let metadata = reply.body;
        let issuer = app.wallet.as_str();
        assert_eq!(metadata["credential_issuer"], issuer);
        assert_eq!(
            metadata["credential_endpoint"],
            format!("{issuer}/credential")
        );
        assert_eq!(metadata["nonce_endpoint"], format!("{issuer}/nonce"));
        assert_eq!(
            metadata["notification_endpoint"],
            format!("{issuer}/notification")
        );
        assert_eq!(
            metadata["batch_credential_issuance"],
            json!({"batch_size": 10})
        );
        assert_eq!(metadata["display"][0]["name"], "Example Bank");

        let configurations = metadata["credential_configurations_supported"]
            .as_object()
            .unwrap();
        assert_eq!(configurations.len(), 5, "three SD-JWT VC and two mdoc configurations");
        assert_eq!(
            configurations["org.iso.18013.5.1.mDL"]["format"],
            "mso_mdoc"
        );
        assert_eq!(
            configurations["eu.europa.ec.eudi.pid.1"]["doctype"],
            "eu.europa.ec.eudi.pid.1"
        );
        let identity = &configurations["IdentityCredential"];
        assert_eq!(identity["format"], "dc+sd-jwt");
        assert_eq!(
            identity["vct"],
            "https://credentials.example.com/identity_credential"
        );
        assert_eq!(identity["scope"], "identity_credential");
        assert_eq!(
            identity["cryptographic_binding_methods_supported"],
            json!(["jwk"])
        );
        assert_eq!(
            identity["credential_signing_alg_values_supported"],
            json!(["ES256"])
        );
        let proof_algs =
            &identity["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"];
        for alg in ["ES256", "EdDSA"] {
            assert!(
                proof_algs.as_array().unwrap().contains(&json!(alg)),
                "{alg}"
            );
        }
        let credential_metadata = &identity["credential_metadata"];
        assert_eq!(
            credential_metadata["display"][0]["name"],
            "Identity Credential"
        );
        let claims = credential_metadata["claims"].as_array().unwrap();
        assert!(claims.contains(&json!({"path": ["given_name"], "mandatory": true,
            "display": [{"name": "Given name", "locale": "en-US"}, {"name": "Vorname", "locale": "de-DE"}]})));
        assert!(claims
            .iter()
            .any(|c| c["path"] == json!(["nationalities", null])));
        assert!(claims
            .iter()
            .any(|c| c["path"] == json!(["address", "locality"])));
    }
}

backend_test! {
    async fn the_authorization_server_and_jwt_vc_issuer_metadata_are_served(backend) {
        let app = spawn_app_on(backend).await;
        let reply = app
            .wallet_get("/.well-known/oauth-authorization-server")
            .await;
        assert_eq!(reply.status, 200);
        let server = reply.body;
        assert_eq!(server["issuer"], app.wallet.as_str());
        assert_eq!(server["token_endpoint"], format!("{}/token", app.wallet));
        assert_eq!(
            server["pre-authorized_grant_anonymous_access_supported"],
            true
        );
        assert_eq!(server["grant_types_supported"], json!([PRE_AUTHORIZED]));
        assert_eq!(
            server["authorization_details_types_supported"],
            json!(["openid_credential"])
        );

        let reply = app.wallet_get("/.well-known/jwt-vc-issuer").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["issuer"], app.wallet.as_str());
        let keys = reply.body["jwks"]["keys"].as_array().unwrap();
        let active = app.state.issuer_keys.active();
        assert_eq!(keys[0]["kid"], active.kid());
        for key in keys {
            assert_eq!(key["kty"], "EC");
            assert!(key.get("d").is_none(), "public keys only");
        }
    }
}

backend_test! {
    async fn an_issuer_identifier_with_a_path_is_served_both_ways(backend) {
        let issuer = "https://issuer.example/tenant";
        let app = spawn_app_with(TestOptions::on(backend).set("public_url", json!(issuer))).await;
        for path in [
            "/.well-known/openid-credential-issuer/tenant",
            "/tenant/.well-known/openid-credential-issuer",
        ] {
            let reply = app.wallet_get(path).await;
            assert_eq!(reply.status, 200, "{path}");
            assert_eq!(reply.body["credential_issuer"], issuer);
            assert_eq!(
                reply.body["credential_endpoint"],
                format!("{issuer}/credential")
            );
        }
        for path in [
            "/.well-known/oauth-authorization-server/tenant",
            "/.well-known/jwt-vc-issuer/tenant",
        ] {
            assert_eq!(app.wallet_get(path).await.status, 200, "{path}");
        }
        app.wallet_get("/.well-known/openid-credential-issuer")
            .await
            .assert_error(404, "not_found");

        // The endpoints live under the path; proofs are addressed to the identifier.
        let created = app.create_offer(&identity_offer()).await;
        let code = pre_authorized_code(&created);
        let tx = tx_code(&created);
        let token = app
            .client
            .post(format!("{}/tenant/token", app.wallet))
            .form(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &code),
                ("tx_code", &tx),
            ])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let nonce = app
            .client
            .post(format!("{}/tenant/nonce", app.wallet))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let proof = HolderKey::es256().proof(issuer, nonce["c_nonce"].as_str().unwrap());
        let response = app
            .client
            .post(format!("{}/tenant/credential", app.wallet))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .json(&json!({"credential_configuration_id": "IdentityCredential", "proofs": {"jwt": [proof]}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let offer_path = offer_reference_path(&created);
        assert!(offer_path.starts_with("/tenant/credential-offers/"));
        assert_eq!(app.wallet_get(&offer_path).await.status, 404, "completed");
    }
}

backend_test! {
    async fn the_credential_offer_is_served_only_while_the_offer_is_live(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let id = offer_id(&created);
        let path = offer_reference_path(&created);
        let reply = app.wallet_get(&path).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.body, created["credential_offer"]);

        // The offer id is public: it is not a handle to the offer object.
        app.wallet_get(&format!("/credential-offers/{id}"))
            .await
            .assert_error(404, "not_found");
        app.wallet_get(&format!("/credential-offers/{}", uuid::Uuid::new_v4()))
            .await
            .assert_error(404, "not_found");
        app.wallet_get("/credential-offers/not-a-reference")
            .await
            .assert_error(404, "not_found");
        // Nor is the pre-authorized code (same shape, another MAC).
        app.wallet_get(&format!("/credential-offers/{}", pre_authorized_code(&created)))
            .await
            .assert_error(404, "not_found");
        app.wallet_get("/no/such/endpoint")
            .await
            .assert_error(404, "not_found");

        // Revoked.
        let revoked = app.create_offer(&identity_offer()).await;
        app.admin(
            reqwest::Method::DELETE,
            &format!("/offers/{}", offer_id(&revoked)),
        )
        .send()
        .await
        .unwrap();
        app.wallet_get(&offer_reference_path(&revoked))
            .await
            .assert_error(404, "not_found");

        // Expired.
        app.clock.advance(chrono::Duration::seconds(301));
        app.wallet_get(&path)
            .await
            .assert_error(404, "not_found");
    }
}
