//! Every malformed `POST /offers` gets a clear JSON 4xx and writes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

async fn assert_rejected(app: &TestApp, body: Value, status: u16, error: &str) -> Value {
    let before = app.event_count().await;
    let (actual, response) = app.post_offer(&body).await;
    assert_eq!(actual, status, "{body} -> {response}");
    assert_eq!(response["error"], error, "{response}");
    assert!(response["error_description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    assert_eq!(app.event_count().await, before, "nothing may be written");
    response
}

backend_test! {
    async fn an_unknown_configuration_is_rejected(backend) {
        let app = spawn_app_on(backend).await;
        let response = assert_rejected(
            &app,
            json!({"credential_configuration_id": "NoSuchCredential", "claims": {}}),
            400,
            "unknown_credential_configuration",
        )
        .await;
        assert_eq!(
            response["details"][0]["credential_configuration_id"],
            "NoSuchCredential"
        );
    }
}

backend_test! {
    async fn missing_and_unknown_claims_are_listed_one_by_one(backend) {
        let app = spawn_app_on(backend).await;
        let response = assert_rejected(
            &app,
            json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": "Erika", "shoe_size": 42, "address": {"planet": "Earth"}}}),
            400,
            "invalid_claims",
        )
        .await;
        let mut details: Vec<(String, String)> = response["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["claim"].as_str().unwrap().to_string(),
                    d["problem"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        details.sort();
        assert_eq!(
            details,
            vec![
                (
                    "address.planet".into(),
                    "not defined by the credential configuration".into()
                ),
                ("family_name".into(), "missing mandatory claim".into()),
                (
                    "shoe_size".into(),
                    "not defined by the credential configuration".into()
                ),
            ]
        );
    }
}

backend_test! {
    async fn wrongly_typed_claims_are_rejected(backend) {
        let app = spawn_app_on(backend).await;
        let response = assert_rejected(
            &app,
            json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": "E", "family_name": "M", "birthdate": "yesterday"}}),
            400,
            "invalid_claims",
        )
        .await;
        assert_eq!(response["details"][0]["claim"], "birthdate");
    }
}

backend_test! {
    async fn bad_expiries_are_rejected(backend) {
        let app = spawn_app_on(backend).await;
        for expires_in in [json!(0), json!(-5), json!(1801), json!(10_000_000)] {
            let mut body = identity_offer();
            body["expires_in"] = expires_in;
            let response = assert_rejected(&app, body, 400, "invalid_request").await;
            assert_eq!(response["details"][0]["field"], "expires_in");
        }
        let mut body = identity_offer();
        body["expires_in"] = json!("soon");
        assert_rejected(&app, body, 400, "invalid_request").await;
    }
}

backend_test! {
    async fn other_field_problems_are_rejected(backend) {
        let app = spawn_app_on(backend).await;
        let cases = [
            json!({"grant": "implicit"}),
            json!({"tx_code": {"length": 3}}),
            json!({"tx_code": {"length": 13}}),
            json!({"tx_code": {"input_mode": "emoji"}}),
            json!({"grant": "authorization_code", "tx_code": {}}),
            json!({"callback_url": "not a url"}),
            json!({"correlation": [1, 2]}),
            json!({"subject": ""}),
            json!({"surprise": true}),
            json!({"credential_configuration_ids": []}),
            json!({"credential_configuration_ids": ["IdentityCredential"]}),
        ];
        for extra in cases {
            let mut body = identity_offer();
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            assert_rejected(&app, body, 400, "invalid_request").await;
        }
        assert_rejected(&app, json!({"claims": {}}), 400, "invalid_request").await;
    }
}

backend_test! {
    async fn malformed_json_is_a_400(backend) {
        let app = spawn_app_on(backend).await;
        let before = app.event_count().await;
        let response = app
            .admin(Method::POST, "/offers")
            .header("content-type", "application/json")
            .body("{\"credential_configuration_id\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn a_wrong_content_type_is_a_415(backend) {
        let app = spawn_app_on(backend).await;
        let before = app.event_count().await;
        let response = app
            .admin(Method::POST, "/offers")
            .header("content-type", "text/plain")
            .body(identity_offer().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unsupported_media_type");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn an_oversized_body_is_a_413(backend) {
        let app = spawn_app_on(backend).await;
        let before = app.event_count().await;
        let mut body = identity_offer();
        body["claims"]["given_name"] = json!("x".repeat(200 * 1024));
        let response = app
            .admin(Method::POST, "/offers")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "payload_too_large");
        assert_eq!(app.event_count().await, before);
    }
}

backend_test! {
    async fn bad_list_parameters_are_400(backend) {
        let app = spawn_app_on(backend).await;
        for query in [
            "status=NOPE",
            "limit=0",
            "limit=501",
            "cursor=%%%",
            "created_after=yesterday",
            "colour=red",
        ] {
            let (status, body) = app.get_json(&format!("/offers?{query}")).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(body["error"], "invalid_request");
        }
    }
}

backend_test! {
    async fn unknown_offers_and_paths_are_404_json(backend) {
        let app = spawn_app_on(backend).await;
        for path in [
            "/offers/6a1f0e9e-0000-4000-8000-000000000001",
            "/offers/not-a-uuid",
            "/offers/6a1f0e9e-0000-4000-8000-000000000001/events",
            "/nope",
        ] {
            let (status, body) = app.get_json(path).await;
            assert_eq!(status, 404, "{path}");
            assert_eq!(body["error"], "not_found");
        }
        let response = app
            .admin(
                Method::DELETE,
                "/offers/6a1f0e9e-0000-4000-8000-000000000001",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
    }
}
