//! Requests under a runtime issuer's path reach that issuer however the wallet listener
//! routes them (a root identifier takes a shortcut past the issuer scope): the issuer's
//! type metadata, its endpoints' rate limits, and 404 `not_found` for what only the root
//! serves, for unknown endpoints and for unknown issuers.

use reqwest::Method;

use crate::issuer_wallets::ready_issuer;
use crate::support::wallet::Reply;
use crate::support::*;

async fn request(app: &TestApp, method: Method, path: &str) -> Reply {
    let url = format!("{}{path}", app.wallet);
    Reply::from_response(app.client.request(method, url).send().await.unwrap()).await
}

#[tokio::test]
async fn an_issuers_path_serves_its_own_documents_and_nothing_only_the_root_serves() {
    let app = spawn_app().await;
    let vct = format!("{}/acme/types/id", app.wallet);
    ready_issuer(&app, "acme", &vct).await;

    let document = request(&app, Method::GET, "/acme/types/id").await;
    assert_eq!(document.status, 200, "{}", document.body);
    assert_eq!(document.body["vct"], vct.as_str());
    let metadata = request(
        &app,
        Method::GET,
        "/acme/.well-known/openid-credential-issuer",
    )
    .await;
    assert_eq!(metadata.status, 200);
    assert_eq!(
        metadata.body["credential_issuer"],
        format!("{}/acme", app.wallet).as_str()
    );
    // The root's own documents are still the root's.
    assert_eq!(
        request(&app, Method::GET, "/status-lists").await.status,
        200
    );
    assert_eq!(
        request(&app, Method::GET, "/openapi.json").await.status,
        200
    );

    for (method, path) in [
        (Method::GET, "/acme/status-lists"),
        (Method::GET, "/acme/openapi.json"),
        (Method::GET, "/acme/types/other"),
        (Method::POST, "/acme/no-such-endpoint"),
        (Method::POST, "/nobody/nonce"),
        (Method::GET, "/nobody/.well-known/openid-credential-issuer"),
    ] {
        let reply = request(&app, method.clone(), path).await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (404, Some("not_found")),
            "{method} {path}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn an_issuers_endpoints_are_rate_limited_like_the_roots() {
    let app = spawn_app_with(TestOptions::default().with_rate_limits()).await;
    ready_issuer(&app, "acme", "https://example.com/acme-id").await;
    let mut statuses = Vec::new();
    for _ in 0..200 {
        let reply = request(&app, Method::POST, "/acme/nonce").await;
        statuses.push(reply.status);
        if reply.status == 429 {
            reply.assert_error(429, "temporarily_unavailable");
            assert!(reply.header("retry-after").is_some());
            break;
        }
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(statuses.last(), Some(&429), "never limited: {statuses:?}");
}

#[tokio::test]
async fn an_issuers_requests_are_counted_under_the_issuer_routes_patterns() {
    let app = spawn_app().await;
    ready_issuer(&app, "acme", "https://example.com/acme-id").await;
    for (method, path) in [
        (Method::POST, "/acme/nonce"),
        (Method::POST, "/acme/token"),
        (Method::GET, "/acme/credential-offers/unknown"),
        (Method::GET, "/acme/.well-known/openid-credential-issuer"),
        (Method::POST, "/nonce"),
    ] {
        request(&app, method, path).await;
    }
    let metrics = app.metrics().await;
    for route in [
        "/{issuer_id}/nonce",
        "/{issuer_id}/token",
        "/{issuer_id}/credential-offers/{reference}",
        "/{issuer_id}/.well-known/openid-credential-issuer",
        "/nonce",
    ] {
        assert!(
            metrics.contains(&format!("api=\"wallet\",route=\"{route}\"")),
            "{route} not counted: {metrics}"
        );
    }
    // Never the raw path, which carries the issuer and the offer reference.
    assert!(!metrics.contains("/acme/"), "{metrics}");
}
