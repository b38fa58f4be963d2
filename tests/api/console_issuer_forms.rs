//! The console's issuer forms over HTTP (`issuers:write`, through the API's own code):
//! creating an issuer, changing its display and retiring it after a confirmation step;
//! generating, activating and retiring (confirmed, with its `published_until`) signing
//! keys; publishing a configuration or a new version from JSON (the API's refusal listed
//! per field in the page) and retiring one. Refusals as in the API: no forms and 403
//! without the scope, 403 without the CSRF token, 404 for an issuer a restricted key does
//! not see.

use serde_json::{json, Value};

use crate::console::Browser;
use crate::support::{spawn_app_with, TestApp, TestOptions, ADMIN_KEY};

/// A key with `issuers:read` and `issuers:write`, restricted to issuer `acme`.
const ACME_KEY: &str = "test-console-key-of-acme-only";
/// A key with `issuers:read` only.
const READ_KEY: &str = "test-console-issuer-reader";

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn app() -> TestApp {
    let keys = json!([
        {"name": "acme-console", "sha256": sha256_hex(ACME_KEY),
         "scopes": ["issuers:read", "issuers:write"], "issuers": ["acme"]},
        {"name": "issuer-reader", "sha256": sha256_hex(READ_KEY), "scopes": ["issuers:read"]},
    ]);
    spawn_app_with(TestOptions::default().set("api_keys", keys)).await
}

async fn signed_in(app: &TestApp, key: &str) -> Browser {
    let mut browser = Browser::new(app);
    browser.sign_in(key).await;
    browser
}

/// The configuration of the tests' issuers.
fn configuration() -> Value {
    json!({
        "vct": "https://acme.example/id",
        "validity_days": 30,
        "display": [{"name": "ID", "locale": "en-US"}],
        "claims": [{"path": "given_name", "mandatory": true}],
    })
}

#[tokio::test]
async fn an_issuer_is_created_keyed_configured_and_retired_through_the_forms() {
    let app = app().await;
    let mut admin = signed_in(&app, ADMIN_KEY).await;
    let list = admin.get("/console/issuers").await;
    assert!(list.body.contains("id=\"new-issuer\""), "{}", list.body);
    let csrf = list.csrf();

    let invalid = admin
        .post("/console/issuers", &[("csrf", &csrf), ("id", "Not A Slug")])
        .await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert!(invalid.body.contains("id=\"problem\""), "{}", invalid.body);
    assert!(invalid.body.contains("value=\"Not A Slug\""), "kept");
    let created = admin
        .post(
            "/console/issuers",
            &[
                ("csrf", &csrf),
                ("id", "acme"),
                ("name", "ACME"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.location(), "/console/issuers/acme");
    let (_, api) = app.get_json("/issuers/acme").await;
    assert_eq!(api["display"], json!([{"name": "ACME", "locale": "en"}]));
    let again = admin
        .post("/console/issuers", &[("csrf", &csrf), ("id", "acme")])
        .await;
    assert_eq!(again.status, 409, "{}", again.body);

    // The display, as JSON.
    let form = admin.get("/console/issuers/acme/display").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("ACME"), "{}", form.body);
    let broken = admin
        .post(
            "/console/issuers/acme/display",
            &[("csrf", &csrf), ("display", "[{\"name\": ")],
        )
        .await;
    assert_eq!(broken.status, 400);
    assert!(
        broken.body.contains("is not a JSON list"),
        "{}",
        broken.body
    );
    let display = r#"[{"name": "ACME Corp", "locale": "en"}, {"name": "ACME AG", "locale": "de"}]"#;
    let changed = admin
        .post(
            "/console/issuers/acme/display",
            &[("csrf", &csrf), ("display", display)],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let (_, api) = app.get_json("/issuers/acme").await;
    assert_eq!(api["display"][1]["name"], "ACME AG");

    // Keys: the first signs at once, the second is pending until activated.
    for _ in 0..2 {
        let generated = admin
            .post("/console/issuers/acme/keys", &[("csrf", &csrf)])
            .await;
        assert_eq!(generated.status, 303, "{}", generated.body);
    }
    let (_, keys) = app.get_json("/issuers/acme/keys").await;
    let first = keys["active_kid"].as_str().unwrap().to_string();
    let second = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["status"] == "pending")
        .expect("a pending key")["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let page = admin.get("/console/issuers/acme").await;
    let activate = format!("/console/issuers/acme/keys/{second}/activate");
    assert!(page.body.contains(&activate), "{}", page.body);
    let confirm = admin
        .get(&format!("/console/issuers/acme/keys/{first}/retire"))
        .await;
    assert!(confirm.body.contains("activate another key first"));
    assert!(!confirm.body.contains("Retire the key"));
    assert_eq!(admin.post(&activate, &[("csrf", &csrf)]).await.status, 303);
    let retire = format!("/console/issuers/acme/keys/{first}/retire");
    let confirm = admin.get(&retire).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Retire the key"), "{}", confirm.body);
    assert!(
        confirm.body.contains("365 days from now"),
        "{}",
        confirm.body
    );
    assert_eq!(admin.post(&retire, &[]).await.status, 403, "no CSRF");
    assert_eq!(admin.post(&retire, &[("csrf", &csrf)]).await.status, 303);
    let (_, keys) = app.get_json("/issuers/acme/keys").await;
    assert_eq!(keys["active_kid"], second.as_str());
    let retired = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == first.as_str())
        .unwrap();
    assert_eq!(retired["status"], "retired");
    assert!(retired["published_until"].is_string());

    // Configurations: an invalid one lists the API's details, a valid one is published,
    // a new version starts from the current one.
    let form = admin.get("/console/issuers/acme/publish").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("dc+sd-jwt"), "the skeleton");
    let invalid = json!({"vct": "", "claims": []}).to_string();
    let refused = admin
        .post(
            "/console/issuers/acme/publish",
            &[
                ("csrf", &csrf),
                ("configuration_id", "Id"),
                ("configuration", &invalid),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("<li><code>vct</code>: "),
        "per field: {}",
        refused.body
    );
    let not_json = admin
        .post(
            "/console/issuers/acme/publish",
            &[
                ("csrf", &csrf),
                ("configuration_id", "Id"),
                ("configuration", "{"),
            ],
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert!(not_json.body.contains("is not JSON"));
    let valid = configuration().to_string();
    let published = admin
        .post(
            "/console/issuers/acme/publish",
            &[
                ("csrf", &csrf),
                ("configuration_id", "Id"),
                ("configuration", &valid),
            ],
        )
        .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let edit = admin
        .get("/console/issuers/acme/publish?configuration=Id")
        .await;
    assert_eq!(edit.status, 200);
    assert!(
        edit.body.contains("https://acme.example/id"),
        "{}",
        edit.body
    );
    assert!(edit.body.contains("version 1"), "{}", edit.body);
    let mut second_version = configuration();
    second_version["validity_days"] = json!(60);
    let second_version = second_version.to_string();
    let republished = admin
        .post(
            "/console/issuers/acme/publish",
            &[
                ("csrf", &csrf),
                ("configuration_id", "Id"),
                ("version", "1"),
                ("configuration", &second_version),
            ],
        )
        .await;
    assert_eq!(republished.status, 303, "{}", republished.body);
    let (_, history) = app
        .get_json("/issuers/acme/credential-configurations/Id")
        .await;
    assert_eq!(history["version"], 2, "{history}");
    assert_eq!(history["versions"][1]["published_by"], "admin");
    assert_eq!(
        admin
            .get("/console/issuers/acme/publish?configuration=Nope")
            .await
            .status,
        404
    );
    let retire = "/console/issuers/acme/configurations/Id/retire";
    let confirm = admin.get(retire).await;
    assert!(confirm.body.contains("Retire the configuration"));
    assert_eq!(admin.post(retire, &[("csrf", &csrf)]).await.status, 303);
    let (_, history) = app
        .get_json("/issuers/acme/credential-configurations/Id")
        .await;
    assert_eq!(history["status"], "retired");

    // Retiring the issuer, after confirming; no forms afterwards.
    let confirm = admin.get("/console/issuers/acme/retire").await;
    assert!(
        confirm.body.contains("Retire the issuer"),
        "{}",
        confirm.body
    );
    assert_eq!(
        admin
            .post("/console/issuers/acme/retire", &[("csrf", "forged")])
            .await
            .status,
        403
    );
    let retired = admin
        .post("/console/issuers/acme/retire", &[("csrf", &csrf)])
        .await;
    assert_eq!(retired.status, 303);
    let (_, api) = app.get_json("/issuers/acme").await;
    assert_eq!(api["status"], "retired");
    let page = admin.get("/console/issuers/acme").await;
    assert!(
        !page.body.contains("/console/issuers/acme/keys\""),
        "{}",
        page.body
    );
    let late = admin
        .post("/console/issuers/acme/keys", &[("csrf", &csrf)])
        .await;
    assert_eq!(late.status, 409, "the API's refusal: {}", late.body);
    assert!(late.body.contains("<!DOCTYPE html>"), "an HTML page");
}

#[tokio::test]
async fn keys_without_the_scope_or_the_issuer_are_refused_as_by_the_api() {
    let app = app().await;
    let mut admin = signed_in(&app, ADMIN_KEY).await;
    let csrf = admin.get("/console/issuers").await.csrf();
    for id in ["acme", "other"] {
        let created = admin
            .post("/console/issuers", &[("csrf", &csrf), ("id", id)])
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
    }

    let mut reader = signed_in(&app, READ_KEY).await;
    let list = reader.get("/console/issuers").await;
    assert!(!list.body.contains("id=\"new-issuer\""), "{}", list.body);
    let page = reader.get("/console/issuers/acme").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/console/issuers/acme/keys\""));
    assert!(!page.body.contains("/console/issuers/acme/publish"));
    assert!(!page.body.contains("/console/issuers/acme/retire"));
    let csrf = page.csrf();
    for (path, form) in [
        (
            "/console/issuers",
            vec![("csrf", csrf.as_str()), ("id", "mine")],
        ),
        ("/console/issuers/acme/keys", vec![("csrf", csrf.as_str())]),
        (
            "/console/issuers/acme/retire",
            vec![("csrf", csrf.as_str())],
        ),
        (
            "/console/issuers/acme/publish",
            vec![
                ("csrf", csrf.as_str()),
                ("configuration_id", "Id"),
                ("configuration", "{}"),
            ],
        ),
    ] {
        assert_eq!(reader.post(path, &form).await.status, 403, "{path}");
    }
    for path in [
        "/console/issuers/acme/display",
        "/console/issuers/acme/retire",
        "/console/issuers/acme/publish",
    ] {
        assert_eq!(reader.get(path).await.status, 403, "{path}");
    }

    // A key restricted to acme changes acme, and other issuers do not exist for it.
    let mut acme = signed_in(&app, ACME_KEY).await;
    let list = acme.get("/console/issuers").await;
    assert!(!list.body.contains("/console/issuers/other"));
    let csrf = list.csrf();
    let generated = acme
        .post("/console/issuers/acme/keys", &[("csrf", &csrf)])
        .await;
    assert_eq!(generated.status, 303, "{}", generated.body);
    assert_eq!(
        acme.post("/console/issuers/acme/keys", &[]).await.status,
        403,
        "no CSRF"
    );
    for path in [
        "/console/issuers/other/keys",
        "/console/issuers/other/retire",
        "/console/issuers/nope/keys",
    ] {
        assert_eq!(
            acme.post(path, &[("csrf", &csrf)]).await.status,
            404,
            "{path}"
        );
    }
    for path in [
        "/console/issuers/other/display",
        "/console/issuers/other/publish",
        "/console/issuers/other/retire",
    ] {
        assert_eq!(acme.get(path).await.status, 404, "{path}");
    }
    let foreign = acme
        .post("/console/issuers", &[("csrf", &csrf), ("id", "mine")])
        .await;
    assert_eq!(
        foreign.status, 403,
        "as POST /issuers answers: {}",
        foreign.body
    );
    let (_, other) = app.get_json("/issuers/other/keys").await;
    assert_eq!(other["items"], json!([]), "nothing changed");
}
