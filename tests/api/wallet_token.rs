//! The token endpoint: each error code with its status, and what is (not) recorded.

use serde_json::{json, Value};

use crate::support::wallet::*;
use crate::support::*;

/// A code of the same offer whose MAC part is altered.
fn tampered(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    let last = chars.len() - 2;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

backend_test! {
    async fn malformed_token_requests_are_invalid_request_and_write_nothing(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let code = pre_authorized_code(&created);
        let tx = tx_code(&created);
        let before = app.event_count().await;

        let reply = app
            .token_request(&[("pre-authorized_code", &code), ("tx_code", &tx)])
            .await;
        reply.assert_error(400, "invalid_request");
        let reply = app
            .token_request(&[("grant_type", PRE_AUTHORIZED), ("tx_code", &tx)])
            .await;
        reply.assert_error(400, "invalid_request");
        // RFC 6749 §3.2: parameters must not repeat.
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &code),
                ("pre-authorized_code", &code),
                ("tx_code", &tx),
            ])
            .await;
        reply.assert_error(400, "invalid_request");
        // The body must be a form.
        let response = app
            .client
            .post(format!("{}/token", app.wallet))
            .json(&json!({"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, "tx_code": tx}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );

        let reply = app
            .token_request(&[("grant_type", "authorization_code"), ("code", "abc")])
            .await;
        reply.assert_error(400, "unsupported_grant_type");
        let reply = app
            .token_request(&[("grant_type", "password"), ("username", "u")])
            .await;
        reply.assert_error(400, "unsupported_grant_type");

        // OID4VCI 1.0 §6.3: a missing or unexpected transaction code is invalid_request.
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &code),
            ])
            .await;
        reply.assert_error(400, "invalid_request");
        let mut without_tx = identity_offer();
        without_tx.as_object_mut().unwrap().remove("tx_code");
        let no_tx_offer = app.create_offer(&without_tx).await;
        let before = before + 1;
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &pre_authorized_code(&no_tx_offer)),
                ("tx_code", "123456"),
            ])
            .await;
        reply.assert_error(400, "invalid_request");

        for details in [
            "not json",
            "[]",
            r#"[{"type":"openid_credential"}]"#,
            r#"[{"type":"payment","credential_configuration_id":"IdentityCredential"}]"#,
            r#"[{"type":"openid_credential","credential_configuration_id":"AddressCredential"}]"#,
        ] {
            let reply = app
                .token_request(&[
                    ("grant_type", PRE_AUTHORIZED),
                    ("pre-authorized_code", &code),
                    ("tx_code", &tx),
                    ("authorization_details", details),
                ])
                .await;
            reply.assert_error(400, "invalid_authorization_details");
        }
        assert_eq!(app.event_count().await, before, "nothing was recorded");
    }
}

backend_test! {
    async fn codes_that_are_unknown_wrong_expired_or_revoked_are_invalid_grant(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let created = app.create_offer(&identity_offer()).await;
        let code = pre_authorized_code(&created);
        let tx = tx_code(&created);
        let before = app.event_count().await;

        for bad in ["garbage".to_string(), tampered(&code), "A".repeat(64)] {
            let reply = app.redeem_code(&bad, Some(&tx)).await;
            reply.assert_error(400, "invalid_grant");
        }
        assert_eq!(app.event_count().await, before);

        // Revoked.
        let revoked = app.create_offer(&identity_offer()).await;
        let response = app
            .admin(
                reqwest::Method::DELETE,
                &format!("/offers/{}", offer_id(&revoked)),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let before = app.event_count().await;
        app.redeem(&revoked)
            .await
            .assert_error(400, "invalid_grant");

        // Expired (the offer lives 300 s by default).
        app.clock.advance(chrono::Duration::seconds(301));
        app.redeem(&created)
            .await
            .assert_error(400, "invalid_grant");
        assert_eq!(app.event_count().await, before, "rejections write nothing");
    }
}

backend_test! {
    async fn wrong_tx_codes_count_down_and_the_third_locks_the_offer(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let created = app.create_offer(&identity_offer()).await;
        let id = offer_id(&created);
        let code = pre_authorized_code(&created);
        let right = tx_code(&created);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };

        for remaining in [2, 1] {
            let reply = app.redeem_code(&code, Some(wrong)).await;
            reply.assert_error(400, "invalid_grant");
            assert!(reply.body["error_description"]
                .as_str()
                .unwrap()
                .contains(&format!("{remaining} attempts remain")));
        }
        let view = app.wait_for_status(&id, "CREATED").await;
        assert_eq!(view["tx_code_attempts_remaining"], 1);

        let reply = app.redeem_code(&code, Some(wrong)).await;
        reply.assert_error(400, "invalid_grant");
        let view = app.wait_for_status(&id, "FAILED").await;
        assert_eq!(view["failure"]["code"], "tx_code_attempts_exhausted");
        assert_eq!(view["tx_code_attempts_remaining"], 0);

        // Locked: even the right code no longer works, and nothing more is recorded.
        let before = app.event_count().await;
        app.redeem(&created)
            .await
            .assert_error(400, "invalid_grant");
        assert_eq!(app.event_count().await, before);
        assert_eq!(
            app.event_types(&id).await,
            [
                "OfferCreated",
                "TxCodeRejected",
                "TxCodeRejected",
                "TxCodeRejected",
                "OfferFailed"
            ]
        );
    }
}

backend_test! {
    async fn the_token_response_is_a_short_lived_bearer_token_never_cached(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let code = pre_authorized_code(&created);
        let tx = tx_code(&created);
        // Unknown parameters (draft-era `user_pin`, `resource`) are ignored.
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &code),
                ("tx_code", &tx),
                ("user_pin", "1234"),
                ("resource", "https://elsewhere.example"),
                ("client_id", "wallet-dev"),
            ])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("pragma"), Some("no-cache"));
        assert_eq!(reply.body["token_type"], "Bearer");
        assert_eq!(reply.body["expires_in"], 300);
        // Draft 13 wallets take their first c_nonce from here.
        assert!(reply.body["c_nonce"].is_string());
        assert_eq!(reply.body["c_nonce_expires_in"], 300);
        let view = app.wait_for_status(&offer_id(&created), "REDEEMED").await;
        assert_eq!(view["status"], "REDEEMED");
    }
}

backend_test! {
    async fn authorization_details_are_answered_with_credential_identifiers(backend) {
        let app = spawn_app_on(backend).await;
        let created = app
            .create_offer(&json!({
                "credential_configuration_ids": ["IdentityCredential", "AddressCredential"],
                "claims": {"given_name": "Erika", "family_name": "Mustermann",
                           "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"}},
                "tx_code": {"length": 6},
            }))
            .await;
        let details =
            json!([{"type": "openid_credential", "credential_configuration_id": "AddressCredential"}]);
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", &pre_authorized_code(&created)),
                ("tx_code", &tx_code(&created)),
                ("authorization_details", &details.to_string()),
            ])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.body["authorization_details"],
            json!([{"type": "openid_credential", "credential_configuration_id": "AddressCredential",
                    "credential_identifiers": ["AddressCredential"]}])
        );
        let access_token = reply.body["access_token"].as_str().unwrap();
        let key = HolderKey::es256();

        // The identifier is served; a configuration the token does not cover is not.
        let nonce = app.c_nonce().await;
        for (name, id, error) in [
            (
                "credential_identifier",
                "IdentityCredential",
                Some("unknown_credential_identifier"),
            ),
            (
                "credential_configuration_id",
                "IdentityCredential",
                Some("unknown_credential_configuration"),
            ),
            ("credential_identifier", "AddressCredential", None),
        ] {
            let mut body = json!({"proofs": {"jwt": [key.proof(&app.wallet, &nonce)]}});
            body[name] = json!(id);
            let reply = app.credential_request(access_token, &body).await;
            match error {
                Some(error) => reply.assert_error(400, error),
                None => assert_eq!(reply.status, 200, "{}", reply.body),
            }
        }
        // The token covered only one of two: the offer stays ISSUING.
        app.wait_for_status(&offer_id(&created), "ISSUING").await;
    }
}

backend_test! {
    async fn concurrent_redemptions_of_one_code_grant_exactly_one_token(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let attempts = (0..8).map(|_| app.redeem(&created));
        let replies = futures_util::future::join_all(attempts).await;
        let granted = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(granted, 1);
        for reply in replies.iter().filter(|r| r.status != 200) {
            reply.assert_error(400, "invalid_grant");
        }
        let types = app.event_types(&offer_id(&created)).await;
        assert_eq!(types, ["OfferCreated", "OfferRedeemed"]);
    }
}
