//! Management API authentication and scopes.

use reqwest::Method;
use serde_json::Value;

use crate::support::*;

backend_test! {
    async fn requests_without_a_key_get_401_with_a_json_body(backend) {
        let app = spawn_app_on(backend).await;
        for (method, path) in [
            (Method::GET, "/offers"),
            (Method::POST, "/offers"),
            (Method::GET, "/credential-configurations"),
        ] {
            let response = app
                .client
                .request(method, format!("{}{path}", app.management))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{path}");
            assert!(response.headers().get("www-authenticate").is_some());
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized");
        }
    }
}

backend_test! {
    async fn a_wrong_key_gets_401(backend) {
        let app = spawn_app_on(backend).await;
        let response = app
            .with_key(Method::GET, "/offers", "not-a-key")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
}

backend_test! {
    async fn a_key_without_the_scope_gets_403_and_writes_nothing(backend) {
        let app = spawn_app_on(backend).await;
        let before = app.event_count().await;
        let response = app
            .with_key(Method::POST, "/offers", READER_KEY)
            .json(&identity_offer())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "insufficient_scope");
        assert_eq!(app.event_count().await, before);

        let response = app
            .with_key(Method::GET, "/offers", WRITER_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let response = app
            .with_key(Method::GET, "/offers", AUDITOR_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
}

backend_test! {
    async fn the_actor_of_every_event_is_the_key_name(backend) {
        let app = spawn_app_on(backend).await;
        let response = app
            .with_key(Method::POST, "/offers", WRITER_KEY)
            .json(&identity_offer())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let id = created["offer_id"].as_str().unwrap();
        let response = app
            .with_key(Method::DELETE, &format!("/offers/{id}"), WRITER_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let events: Value = app
            .with_key(Method::GET, &format!("/offers/{id}/events"), READER_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let actors: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["actor"].as_str().unwrap())
            .collect();
        assert_eq!(actors, vec!["writer", "writer"]);
    }
}

backend_test! {
    async fn health_and_metrics_need_no_key(backend) {
        let app = spawn_app_on(backend).await;
        for path in ["/health/live", "/health/ready"] {
            let response = app
                .client
                .get(format!("{}{path}", app.management))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
        }
        let _ = app.create_offer(&identity_offer()).await;
        let metrics = app.metrics().await;
        assert!(
            metrics.contains("issuance_http_requests_total"),
            "{metrics}"
        );
        assert!(metrics.contains("route=\"/offers\""), "{metrics}");
    }
}

backend_test! {
    async fn request_ids_are_echoed_or_generated(backend) {
        let app = spawn_app_on(backend).await;
        let response = app
            .admin(Method::GET, "/offers")
            .header("X-Request-Id", "req-123")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "req-123");
        let response = app
            .admin(Method::GET, "/offers")
            .header("X-Request-Id", "bad id with spaces")
            .send()
            .await
            .unwrap();
        let generated = response.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(generated, "bad id with spaces");
        assert_eq!(generated.len(), 36);
    }
}
