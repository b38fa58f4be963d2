//! The offer endpoints of the management API.

use std::collections::HashSet;

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use issuance::contracts::openapi::Api;

use crate::support::openapi::checked;
use crate::support::wallet::{offer_reference_path, pre_authorized_code};
use crate::support::*;

backend_test! {
    async fn creating_an_offer_returns_the_offer_uri_codes_and_links(backend) {
        let app = spawn_app_on(backend).await;
        let mut body = identity_offer();
        body["subject"] = json!("customer-4711");
        body["correlation"] = json!({"case": 17});
        body["expires_in"] = json!(600);
        let response = app
            .admin(Method::POST, "/offers")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let (_, created) = checked(Api::Management, "POST", "/offers", response).await;
        let id = created["offer_id"].as_str().unwrap();
        assert_eq!(created["status"], "CREATED");
        // The offer URI names an unguessable reference: neither the offer id nor the code.
        let path = offer_reference_path(&created);
        let reference = path.strip_prefix("/credential-offers/").unwrap();
        assert!(reference.len() >= 43, "at least 256 bits: {reference}");
        assert!(!reference.contains(id));
        assert_ne!(reference, pre_authorized_code(&created));
        let expected_url = format!("{}{path}", app.wallet);
        assert_eq!(
            created["credential_offer_uri"],
            format!(
                "openid-credential-offer://?credential_offer_uri={}",
                urlencoding::encode(&expected_url)
            )
        );
        let offer = &created["credential_offer"];
        assert_eq!(offer["credential_issuer"], app.wallet.as_str());
        assert_eq!(
            offer["credential_configuration_ids"],
            json!(["IdentityCredential"])
        );
        let grant = &offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
        assert!(grant["pre-authorized_code"].as_str().unwrap().len() >= 43);
        assert_eq!(
            grant["tx_code"],
            json!({"input_mode": "numeric", "length": 6, "description": "Code sent by SMS"})
        );
        let tx = created["tx_code_value"].as_str().unwrap();
        assert!(tx.len() == 6 && tx.chars().all(|c| c.is_ascii_digit()));
        let created_at =
            chrono::DateTime::parse_from_rfc3339(created["created_at"].as_str().unwrap()).unwrap();
        let expires_at =
            chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!((expires_at - created_at).num_seconds(), 600);
        assert_eq!(created["_links"]["self"]["href"], format!("/offers/{id}"));
        assert_eq!(
            created["_links"]["qr_code"]["href"],
            format!("/offers/{id}/qr.png")
        );
        assert_eq!(
            created["_links"]["events"]["href"],
            format!("/offers/{id}/events")
        );
    }
}

backend_test! {
    async fn a_get_right_after_the_post_sees_the_offer(backend) {
        let app = spawn_app_on(backend).await;
        for _ in 0..20 {
            let created = app.create_offer(&identity_offer()).await;
            let id = created["offer_id"].as_str().unwrap();
            let (status, view) = app.get_json(&format!("/offers/{id}")).await;
            assert_eq!(status, 200);
            assert_eq!(view["offer_id"], id);
        }
    }
}

backend_test! {
    async fn the_offer_view_shows_state_but_never_claims_or_codes(backend) {
        let app = spawn_app_on(backend).await;
        let mut body = identity_offer();
        body["subject"] = json!("customer-4711");
        body["correlation"] = json!({"case": 17});
        body["single_use"] = json!(true);
        let created = app.create_offer(&body).await;
        let id = created["offer_id"].as_str().unwrap();
        let (_, view) = app.get_json(&format!("/offers/{id}")).await;
        assert_eq!(view["status"], "CREATED");
        assert_eq!(
            view["credential_configuration_ids"],
            json!(["IdentityCredential"])
        );
        assert_eq!(view["grant"], "pre-authorized_code");
        assert_eq!(view["single_use"], true);
        assert_eq!(view["subject"], "customer-4711");
        assert_eq!(view["correlation"], json!({"case": 17}));
        assert_eq!(view["tx_code_attempts_remaining"], 3);
        assert_eq!(view["issued"], json!([]));
        assert_eq!(view["version"], 1);
        assert!(view["failure"].is_null());
        for field in ["created_at", "expires_at", "updated_at"] {
            assert!(view[field].is_string(), "{field}");
        }
        let text = view.to_string();
        assert!(!text.contains("Erika") && !text.contains("Mustermann"));
        let code = created["credential_offer"]["grants"]
            ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .unwrap();
        assert!(!text.contains(code));
        assert!(!text.contains(created["tx_code_value"].as_str().unwrap()));
    }
}

backend_test! {
    async fn the_event_store_holds_no_plaintext_claims_or_codes(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let events = app
            .state
            .events
            .read_all(Default::default(), 100)
            .await
            .unwrap();
        let stored =
            serde_json::to_string(&events.iter().map(|e| &*e.payload).collect::<Vec<_>>()).unwrap();
        assert!(
            !stored.contains("Erika")
                && !stored.contains("Mustermann")
                && !stored.contains("1964-08-12")
        );
        let code = created["credential_offer"]["grants"]
            ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .unwrap();
        assert!(!stored.contains(code));
        assert!(!stored.contains(&format!(
            "\"{}\"",
            created["tx_code_value"].as_str().unwrap()
        )));
    }
}

backend_test! {
    async fn multiple_configurations_and_the_authorization_code_grant(backend) {
        let app = spawn_app_on(backend).await;
        let created = app
            .create_offer(&json!({
                "credential_configuration_ids": ["IdentityCredential", "AddressCredential"],
                "claims": {"given_name": "Erika", "family_name": "M", "address": {"street_address": "Hauptstr. 1", "locality": "Berlin", "country": "DE"}},
                "grant": "authorization_code",
                "single_use": false,
            }))
            .await;
        assert!(created.get("tx_code_value").is_none());
        let grants = &created["credential_offer"]["grants"];
        assert!(grants["authorization_code"]["issuer_state"].is_string());
        assert!(grants
            .get("urn:ietf:params:oauth:grant-type:pre-authorized_code")
            .is_none());
        let (_, view) = app
            .get_json(&format!(
                "/offers/{}",
                created["offer_id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(view["grant"], "authorization_code");
        assert_eq!(view["single_use"], false);
        assert_eq!(
            view["credential_configuration_ids"],
            json!(["IdentityCredential", "AddressCredential"])
        );
    }
}

backend_test! {
    async fn an_idempotent_retry_returns_the_same_offer_and_creates_nothing(backend) {
        let app = spawn_app_on(backend).await;
        let post = |key: &'static str, body: Value| {
            let request = app
                .admin(Method::POST, "/offers")
                .header("Idempotency-Key", key)
                .json(&body);
            async move {
                let response = request.send().await.unwrap();
                checked(Api::Management, "POST", "/offers", response).await
            }
        };
        let (status, first) = post("order-1", identity_offer()).await;
        assert_eq!(status, 201);
        let events = app.event_count().await;
        let (status, second) = post("order-1", identity_offer()).await;
        assert_eq!(status, 200);
        assert_eq!(second["offer_id"], first["offer_id"]);
        assert!(first["tx_code_value"].is_string());
        assert!(
            second.get("tx_code_value").is_none(),
            "the transaction code is shown once: {second}"
        );
        assert_eq!(second["credential_offer"], first["credential_offer"]);
        assert_eq!(second["created_at"], first["created_at"]);
        assert_eq!(app.event_count().await, events);

        let mut different = identity_offer();
        different["claims"]["given_name"] = json!("Max");
        let (status, conflict) = post("order-1", different).await;
        assert_eq!(status, 409);
        assert_eq!(conflict["error"], "idempotency_key_reused");
        assert_eq!(app.event_count().await, events);

        let (status, other) = post("order-2", identity_offer()).await;
        assert_eq!(status, 201);
        assert_ne!(other["offer_id"], first["offer_id"]);
    }
}

backend_test! {
    async fn concurrent_retries_with_one_idempotency_key_create_one_offer(backend) {
        let app = spawn_app_on(backend).await;
        let mut requests = Vec::new();
        for _ in 0..8 {
            let request = app
                .admin(Method::POST, "/offers")
                .header("Idempotency-Key", "burst")
                .json(&identity_offer());
            requests.push(tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.unwrap(),
                )
            }));
        }
        let mut ids = HashSet::new();
        let mut created = 0;
        for request in requests {
            let (status, body) = request.await.unwrap();
            assert!(status == 201 || status == 200, "{status} {body}");
            created += usize::from(status == 201);
            assert_eq!(
                body.get("tx_code_value").is_some(),
                status == 201,
                "only the creating answer carries the transaction code: {body}"
            );
            ids.insert(body["offer_id"].as_str().unwrap().to_string());
        }
        assert_eq!(created, 1);
        assert_eq!(ids.len(), 1);
        assert_eq!(app.event_count().await, 1);
    }
}

backend_test! {
    async fn listing_pages_newest_first_with_exact_filters(backend) {
        let app = spawn_app_on(backend).await;
        let mut ids = Vec::new();
        for i in 0..7 {
            let mut body = identity_offer();
            body["subject"] = json!(if i % 2 == 0 { "even" } else { "odd" });
            ids.push(
                app.create_offer(&body).await["offer_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let account = app
            .create_offer(&json!({"credential_configuration_id": "AccountOwnershipCredential", "claims": {"account_holder": "E", "iban": "DE89370400440532013000"}}))
            .await;
        ids.push(account["offer_id"].as_str().unwrap().to_string());
        let revoked = ids[2].clone();
        assert_eq!(
            app.admin(Method::DELETE, &format!("/offers/{revoked}"))
                .send()
                .await
                .unwrap()
                .status(),
            204
        );

        // All, three per page, newest first.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(c) => format!("/offers?limit=3&cursor={c}"),
                None => "/offers?limit=3".to_string(),
            };
            let (status, page) = app.get_json(&query).await;
            assert_eq!(status, 200);
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            seen.extend(
                items
                    .iter()
                    .map(|v| v["offer_id"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        let mut expected = ids.clone();
        expected.reverse();
        assert_eq!(seen, expected);

        let filtered = |query: &str| {
            let query = query.to_string();
            let app = &app;
            async move {
                let (status, page) = app.get_json(&format!("/offers?{query}")).await;
                assert_eq!(status, 200, "{query}: {page}");
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v["offer_id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(filtered("status=REVOKED").await, vec![revoked.clone()]);
        assert_eq!(
            filtered("credential_configuration_id=AccountOwnershipCredential").await,
            vec![ids[7].clone()]
        );
        assert_eq!(
            filtered("subject=odd").await,
            vec![ids[5].clone(), ids[3].clone(), ids[1].clone()]
        );
        assert_eq!(
            filtered("subject=even&status=CREATED").await,
            vec![ids[6].clone(), ids[4].clone(), ids[0].clone()]
        );
        let (_, first_view) = app.get_json(&format!("/offers/{}", ids[4])).await;
        let boundary = urlencoding::encode(first_view["created_at"].as_str().unwrap()).into_owned();
        assert_eq!(
            filtered(&format!("created_before={boundary}")).await.len(),
            4
        );
        assert_eq!(
            filtered(&format!("created_after={boundary}")).await.len(),
            4
        );
    }
}

backend_test! {
    async fn revoking_twice_is_a_conflict(backend) {
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let created = app.create_offer(&identity_offer()).await;
        let id = created["offer_id"].as_str().unwrap();
        let response = app
            .admin(
                Method::DELETE,
                &format!("/offers/{id}?reason=customer%20cancelled"),
            )
            .send()
            .await
            .unwrap();
        let (status, _) = checked(Api::Management, "DELETE", &format!("/offers/{id}"), response).await;
        assert_eq!(status, 204);
        let (_, view) = app.get_json(&format!("/offers/{id}")).await;
        assert_eq!(view["status"], "REVOKED");
        let events_before = app.event_count().await;
        let response = app
            .admin(Method::DELETE, &format!("/offers/{id}"))
            .send()
            .await
            .unwrap();
        let (status, body) =
            checked(Api::Management, "DELETE", &format!("/offers/{id}"), response).await;
        assert_eq!(status, 409);
        assert_eq!(body["error"], "offer_terminal");
        assert_eq!(app.event_count().await, events_before);
    }
}

backend_test! {
    async fn the_history_lists_every_event_without_personal_data(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let id = created["offer_id"].as_str().unwrap();
        app.admin(Method::DELETE, &format!("/offers/{id}?reason=test"))
            .header("X-Request-Id", "revoke-1")
            .send()
            .await
            .unwrap();
        let (status, events) = app.get_json(&format!("/offers/{id}/events")).await;
        assert_eq!(status, 200);
        let events = events.as_array().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0]["sequence"], 1);
        assert_eq!(events[0]["type"], "OfferCreated");
        assert_eq!(events[1]["sequence"], 2);
        assert_eq!(events[1]["type"], "OfferRevoked");
        assert_eq!(events[1]["request_id"], "revoke-1");
        assert_eq!(events[1]["data"]["reason"], "test");
        for event in events {
            assert!(
                event["event_id"].is_string()
                    && event["occurred_at"].is_string()
                    && event["actor"] == "admin"
            );
        }
        let text = serde_json::to_string(events).unwrap();
        assert!(
            !text.contains("Erika") && !text.contains("sealed_claims") && !text.contains("code_hash")
        );
    }
}

backend_test! {
    async fn the_qr_code_decodes_to_the_offer_uri(backend) {
        let app = spawn_app_on(backend).await;
        let created = app.create_offer(&identity_offer()).await;
        let id = created["offer_id"].as_str().unwrap();
        let response = app
            .admin(Method::GET, &format!("/offers/{id}/qr.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/png");
        let png = response.bytes().await.unwrap();
        assert_eq!(
            decode_qr(&png),
            created["credential_offer_uri"].as_str().unwrap()
        );

        let response = app
            .admin(Method::GET, &format!("/offers/{id}/qr"))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        let data_uri = body["data_uri"].as_str().unwrap();
        let encoded = data_uri.strip_prefix("data:image/png;base64,").unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(
            decode_qr(&png),
            created["credential_offer_uri"].as_str().unwrap()
        );

        let (status, _) = app
            .get_json("/offers/6a1f0e9e-0000-4000-8000-000000000009/qr.png")
            .await;
        assert_eq!(status, 404);
    }
}

/// Decodes the QR code in `png` with an independent decoder. rqrr (like quirc, which it
/// ports) misses the finder patterns of about one code in 200 in one orientation that
/// ZXing reads; a code reads the same turned, as a scanner held at an angle sees it.
fn decode_qr(png: &[u8]) -> String {
    use image::imageops::{rotate180, rotate270, rotate90};
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let turns = [
        image.clone(),
        rotate90(&image),
        rotate180(&image),
        rotate270(&image),
    ];
    for turned in turns {
        let mut prepared = rqrr::PreparedImage::prepare(turned);
        let grids = prepared.detect_grids();
        if let [grid] = grids.as_slice() {
            return grid.decode().unwrap().1;
        }
    }
    panic!("no QR code found in any orientation");
}

backend_test! {
    async fn credential_configurations_are_listed(backend) {
        let app = spawn_app_on(backend).await;
        let (status, body) = app.get_json("/credential-configurations").await;
        assert_eq!(status, 200);
        let items = body["items"].as_array().unwrap();
        let ids: Vec<&str> = items.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"IdentityCredential") && ids.contains(&"AccountOwnershipCredential"));
        let identity = items
            .iter()
            .find(|c| c["id"] == "IdentityCredential")
            .unwrap();
        assert_eq!(identity["format"], "dc+sd-jwt");
        let given = identity["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "given_name")
            .unwrap();
        assert_eq!(given["mandatory"], true);
        assert_eq!(given["path"], json!(["given_name"]));
    }
}

backend_test! {
    async fn an_idempotent_retry_after_erasure_is_a_clear_conflict_and_creates_no_key(backend) {
        let app = spawn_app_on(backend).await;
        let post = || {
            app.admin(Method::POST, "/offers")
                .header("Idempotency-Key", "order-erased")
                .json(&identity_offer())
                .send()
        };
        let first = post().await.unwrap();
        assert_eq!(first.status(), 201);
        let offer: Uuid = first.json::<Value>().await.unwrap()["offer_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let erased = app
            .admin(Method::POST, &format!("/offers/{offer}/erase"))
            .send()
            .await
            .unwrap();
        assert_eq!(erased.status(), 204);
        let events = app.event_count().await;

        let retry = post().await.unwrap();

        assert_eq!(retry.status(), 409);
        assert_eq!(
            retry.json::<Value>().await.unwrap()["error"],
            "claims_already_erased"
        );
        assert_eq!(app.event_count().await, events);
        assert!(
            app.state.secrets.data_key(offer).await.unwrap().is_none(),
            "no new key for an erased offer"
        );
    }
}
