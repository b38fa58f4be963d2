//! The OpenAPI documents: `GET /openapi.json` on both listeners (no key needed), and every
//! documented operation answered by a registered route (not the `no such endpoint` 404,
//! not 405), and `issuance openapi`.

use std::process::Command;

use issuance::contracts::openapi::{self, Api};
use serde_json::Value;

use crate::support::authcode::spawn_authcode_app;
use crate::support::spawn_app;

/// The documented path with every `{parameter}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "00000000-0000-7000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn assert_every_operation_is_routed(client: &reqwest::Client, base: &str, document: &Value) {
    let operations = openapi::operations(document);
    assert!(operations.len() > 10);
    for (method, path) in operations {
        let url = format!("{base}{}", concrete(&path));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client.request(method.clone(), &url).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(
            !(status == 404 && body.contains("no such endpoint")),
            "{method} {path} is documented but not routed: {body}"
        );
    }
    // The probe has teeth: an undocumented path is the `no such endpoint` answer.
    let response = client
        .get(format!("{base}/no-such-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("no such endpoint"));
}

#[tokio::test]
async fn both_listeners_serve_their_document_and_route_every_documented_operation() {
    let app = spawn_authcode_app().await;
    let management: Value = app
        .client
        .get(format!("{}/openapi.json", app.management))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(management, Api::Management.default_document());
    let wallet: Value = app
        .client
        .get(format!("{}/openapi.json", app.wallet))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wallet["openapi"], "3.1.0");
    // The served wallet document is the checked-in one plus this configuration's type
    // metadata routes.
    let served: Vec<_> = openapi::operations(&wallet);
    for operation in openapi::operations(&Api::Wallet.default_document()) {
        assert!(served.contains(&operation), "{operation:?}");
    }
    assert_every_operation_is_routed(&app.client, &app.management, &management).await;
    assert_every_operation_is_routed(&app.client, &app.wallet, &wallet).await;
    app.stop().await;
}

#[test]
fn issuance_openapi_prints_either_document() {
    let binary = env!("CARGO_BIN_EXE_issuance");
    for (args, api) in [
        (vec!["openapi"], Api::Management),
        (vec!["openapi", "--api", "management"], Api::Management),
        (vec!["openapi", "--api", "wallet"], Api::Wallet),
    ] {
        let output = Command::new(binary).args(&args).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(printed, api.default_document(), "{args:?}");
    }
    let output = Command::new(binary)
        .args(["openapi", "--api", "other"])
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[tokio::test]
async fn the_management_listener_serves_swagger_ui_from_vendored_assets() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/docs", app.management))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
    for (asset, kind, marker) in [
        (
            "/docs/swagger-ui-bundle.js",
            "text/javascript",
            "SwaggerUIBundle",
        ),
        ("/docs/swagger-ui.css", "text/css", ".swagger-ui"),
        ("/docs/init.js", "text/javascript", "/openapi.json"),
    ] {
        assert!(html.contains(asset) || asset == "/docs/init.js" && html.contains("init.js"));
        let response = app
            .client
            .get(format!("{}{asset}", app.management))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with(kind), "{asset}: {content_type}");
        assert!(response.text().await.unwrap().contains(marker), "{asset}");
    }
}
