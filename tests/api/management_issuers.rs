//! The `/issuers` endpoints of the management API: issuers created, listed, read, changed
//! and retired through the Issuer aggregate, every refusal, the scopes, and issuer events
//! beside the offers' in the log (the offer flow, the audit chain).

use reqwest::Method;
use serde_json::{json, Value};

use issuance::contracts::openapi::Api;

use crate::support::openapi::checked;
use crate::support::wallet::*;
use crate::support::*;

/// `method path` with the admin key and an optional JSON body: status and body.
pub async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call_with(app, ADMIN_KEY, method, path, body).await
}

/// `method path` with `key`: status and body (checked against the management API's
/// OpenAPI document).
pub async fn call_with(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.with_key(method.clone(), path, key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    checked(Api::Management, method.as_str(), path, response).await
}

/// Creates issuer `id` (asserting 201).
pub async fn create_issuer(app: &TestApp, id: &str) -> Value {
    let body = json!({"id": id, "display": [{"name": "ACME", "locale": "en"}]});
    let (status, created) = call(app, Method::POST, "/issuers", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

/// The listed issuers but the default one (which every start records from the
/// configuration file, see `the_configuration_file_is_recorded_as_the_default_issuer`).
fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .filter(|id| *id != "default")
        .collect()
}

backend_test! {
    async fn an_issuer_is_created_listed_read_changed_and_retired(backend) {
        let app = spawn_app_on(backend).await;

        let created = create_issuer(&app, "acme").await;
        assert_eq!(created["id"], "acme");
        assert_eq!(created["status"], "active");
        assert_eq!(created["display"], json!([{"name": "ACME", "locale": "en"}]));
        assert_eq!(created["credential_configurations"], json!([]));
        create_issuer(&app, "beta-2").await;

        let (status, list) = call(&app, Method::GET, "/issuers", None).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&list), ["acme", "beta-2"]);
        let (status, one) = call(&app, Method::GET, "/issuers/acme", None).await;
        assert_eq!((status, &one["id"]), (200, &json!("acme")));

        let display = json!([{"name": "ACME Corp"}, {"name": "ACME AG", "locale": "de"}]);
        let patch = json!({"display": display});
        let (status, changed) = call(&app, Method::PATCH, "/issuers/acme", Some(patch.clone())).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["display"], display);
        // The same display again changes nothing.
        let (status, same) = call(&app, Method::PATCH, "/issuers/acme", Some(patch.clone())).await;
        assert_eq!((status, &same["version"]), (200, &changed["version"]));

        let (status, _) = call(&app, Method::DELETE, "/issuers/acme", None).await;
        assert_eq!(status, 204);
        let (_, retired) = call(&app, Method::GET, "/issuers/acme", None).await;
        assert_eq!(retired["status"], "retired");
        assert!(retired["retired_at"].is_string());
        // Nothing is deleted: it stays listed, and later changes are refused.
        let (_, list) = call(&app, Method::GET, "/issuers", None).await;
        assert_eq!(ids(&list), ["acme", "beta-2"]);
        let (status, error) = call(&app, Method::PATCH, "/issuers/acme", Some(patch)).await;
        assert_eq!((status, &error["error"]), (409, &json!("issuer_retired")));
        let (status, error) = call(&app, Method::DELETE, "/issuers/acme", None).await;
        assert_eq!((status, &error["error"]), (409, &json!("issuer_retired")));
        // Ids are never reused.
        let body = json!({"id": "acme", "display": []});
        let (status, error) = call(&app, Method::POST, "/issuers", Some(body)).await;
        assert_eq!((status, &error["error"]), (409, &json!("issuer_exists")));

        // Each change is an event of the issuer's stream, by the API key's name.
        let events = app.state.events.read_stream("issuer-acme").await.unwrap();
        let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["IssuerCreated", "IssuerDisplayChanged", "IssuerRetired"]);
        assert!(events.iter().all(|e| e.metadata.actor == "admin"));
    }
}

backend_test! {
    async fn invalid_duplicate_and_unknown_issuers_are_refused(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;

        let (status, error) = call(&app, Method::POST, "/issuers",
            Some(json!({"id": "acme", "display": []}))).await;
        assert_eq!((status, &error["error"]), (409, &json!("issuer_exists")));
        for body in [
            json!({"id": "Not A Slug", "display": []}),
            json!({"id": "", "display": []}),
            json!({"id": "x".repeat(65)}),
            json!({"id": "ok", "display": [{"name": " "}]}),
            json!({"id": "ok", "display": [{"name": "A"}, {"name": "B"}]}),
            json!({"id": "ok", "display": [{"name": "A", "logo": {"uri": "not a uri"}}]}),
            json!({"id": "ok", "unknown": 1}),
            json!({"display": []}),
        ] {
            let (status, error) = call(&app, Method::POST, "/issuers", Some(body.clone())).await;
            assert_eq!((status, &error["error"]), (400, &json!("invalid_request")), "{body}");
        }
        let (status, error) = call(&app, Method::PATCH, "/issuers/acme",
            Some(json!({"display": [{"name": ""}]}))).await;
        assert_eq!((status, &error["error"]), (400, &json!("invalid_request")));

        let patch = json!({"display": []});
        for path in ["/issuers/nobody", "/issuers/NOT%20A%20SLUG"] {
            for (method, body) in [
                (Method::GET, None),
                (Method::PATCH, Some(patch.clone())),
                (Method::DELETE, None),
            ] {
                let (status, error) = call(&app, method.clone(), path, body).await;
                assert_eq!((status, &error["error"]), (404, &json!("not_found")), "{method} {path}");
            }
        }
        // Nothing refused was written.
        let (_, list) = call(&app, Method::GET, "/issuers", None).await;
        assert_eq!(ids(&list), ["acme"]);
        assert_eq!(app.state.events.read_stream("issuer-acme").await.unwrap().len(), 1);
    }
}

backend_test! {
    async fn issuer_routes_need_the_issuer_scopes(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let config = "/issuers/acme/credential-configurations/Identity";
        let reads = [
            "/issuers",
            "/issuers/acme",
            "/issuers/acme/credential-configurations",
            config,
        ];
        let writes = [
            (Method::POST, "/issuers", json!({"id": "other", "display": []})),
            (Method::PATCH, "/issuers/acme", json!({"display": []})),
            (Method::DELETE, "/issuers/acme", Value::Null),
            (Method::PUT, config, json!({"vct": "https://acme.example/id"})),
            (Method::DELETE, config, Value::Null),
        ];
        // Keys with other scopes only: 403 everywhere.
        for key in [READER_KEY, WRITER_KEY, AUDITOR_KEY] {
            for path in reads {
                let (status, error) = call_with(&app, key, Method::GET, path, None).await;
                assert_eq!((status, &error["error"]), (403, &json!("insufficient_scope")), "{path}");
            }
            for (method, path, body) in &writes {
                let (status, _) = call_with(&app, key, method.clone(), path, Some(body.clone())).await;
                assert_eq!(status, 403, "{method} {path}");
            }
        }
        // `issuers:read` reads, never writes.
        let (status, _) = call_with(&app, ISSUER_READER_KEY, Method::GET, "/issuers/acme", None).await;
        assert_eq!(status, 200);
        let (status, _) = call_with(&app, ISSUER_READER_KEY, Method::GET, "/issuers", None).await;
        assert_eq!(status, 200);
        for (method, path, body) in &writes {
            let (status, error) =
                call_with(&app, ISSUER_READER_KEY, method.clone(), path, Some(body.clone())).await;
            assert_eq!((status, &error["error"]), (403, &json!("insufficient_scope")), "{method} {path}");
        }
        // No key: 401.
        let response = app.client.get(format!("{}/issuers", app.management)).send().await.unwrap();
        assert_eq!(response.status(), 401);
        // Still exactly as created.
        assert_eq!(app.state.events.read_stream("issuer-acme").await.unwrap().len(), 1);
    }
}

backend_test! {
    async fn issuers_are_listed_after_a_restart(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        create_issuer(&app, "zeta").await;
        let stopped = app.shutdown().await;

        let app = spawn_app_with(stopped.restart_options()).await;
        let (status, list) = call(&app, Method::GET, "/issuers", None).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&list), ["acme", "zeta"]);
        create_issuer(&app, "beta").await;
        let (_, list) = call(&app, Method::GET, "/issuers", None).await;
        assert_eq!(ids(&list), ["acme", "beta", "zeta"]);
    }
}

/// Two nodes on one PostgreSQL database: an issuer created on one is listed and read on
/// the other at once (the list waits for the other node's index to read the write).
#[tokio::test(flavor = "multi_thread")]
async fn an_issuer_created_on_one_node_is_listed_on_another() {
    // The nodes of one cluster share the server secret.
    let secret = json!("aXNzdWVycy1hcGktdGVzdC1zZWNyZXQtMzItYnl0ZXM");
    let first =
        spawn_app_with(TestOptions::on(Backend::Postgres).set("server_secret", secret.clone()))
            .await;
    // A data directory of its own, with the cluster's signing keys.
    let second_dir = tempfile::tempdir().unwrap();
    crate::support::process::copy_keys(first.data_dir.path(), second_dir.path());
    let second = spawn_app_with(TestOptions {
        database: first.database.clone(),
        data_dir: Some(std::sync::Arc::new(second_dir)),
        ..TestOptions::on(Backend::Postgres).set("server_secret", secret)
    })
    .await;
    let (_, list) = call(&second, Method::GET, "/issuers", None).await;
    assert_eq!(ids(&list), Vec::<&str>::new());
    create_issuer(&first, "acme").await;
    let (_, list) = call(&second, Method::GET, "/issuers", None).await;
    assert_eq!(ids(&list), ["acme"]);
    let (status, _) = call(&second, Method::DELETE, "/issuers/acme", None).await;
    assert_eq!(status, 204);
    let (_, one) = call(&first, Method::GET, "/issuers/acme", None).await;
    assert_eq!(one["status"], "retired");
}

backend_test! {
    async fn issuer_events_leave_the_offer_flow_and_the_audit_chain_intact(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let config = json!({"vct": "https://acme.example/id", "scope": "acme_id",
                            "claims": [{"path": "given_name", "mandatory": true}]});
        let (status, _) = call(&app, Method::PUT,
            "/issuers/acme/credential-configurations/AcmeId", Some(config)).await;
        assert_eq!(status, 201);

        // A whole pre-authorized flow after the issuer events, and more issuer events
        // while the offer is live.
        let created = app.create_offer(&identity_offer()).await;
        let id = offer_id(&created);
        let token = app.access_token(&created).await;
        call(&app, Method::PATCH, "/issuers/acme", Some(json!({"display": [{"name": "A"}]}))).await;
        let reply = app
            .request_credentials(&token, "IdentityCredential", &[&HolderKey::es256()])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        app.wait_for_status(&id, "COMPLETED").await;
        call(&app, Method::DELETE, "/issuers/acme", None).await;

        // The audit view holds every event, issuer events included, and its chain verifies.
        let head = app.written_head().await;
        assert!(app.state.audit_progress.wait_for(head, std::time::Duration::from_secs(10)).await);
        let report = crate::audit_support::verify(&app, "").await;
        assert_eq!(report["valid"], true, "{report}");
        let (status, _) = call(&app, Method::GET, &format!("/offers/{id}"), None).await;
        assert_eq!(status, 200);
    }
}

backend_test! {
    async fn issuer_changes_are_audit_entries_with_their_actor_and_summary(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let (status, _) = call(&app, Method::DELETE, "/issuers/acme", None).await;
        assert_eq!(status, 204);

        crate::audit_support::wait_for_projections(&app).await;
        let entries = crate::audit_support::audit_entries(&app, "", 100).await;
        let summaries: Vec<(&str, &str)> = entries
            .iter()
            .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("Issuer")))
            .filter(|e| e["actor"] != "config")
            .map(|e| (e["actor"].as_str().unwrap(), e["summary"].as_str().unwrap()))
            .collect();
        assert_eq!(
            summaries,
            vec![
                ("admin", "Issuer acme created with 1 display entry (en)"),
                (
                    "admin",
                    "Issuer acme retired: no new offers, live offers still redeem until they end"
                ),
            ]
        );
        // The display name is the institution's text: in the event, not in the summary.
        assert!(entries.iter().all(|e| !e["summary"].as_str().unwrap().contains("ACME")));
        assert_eq!(crate::audit_support::verify(&app, "").await["valid"], true);
    }
}

backend_test! {
    async fn the_configuration_file_is_recorded_as_the_default_issuer(backend) {
        let app = spawn_app_on(backend).await;
        let (status, default) = call(&app, Method::GET, "/issuers/default", None).await;
        assert_eq!(status, 200, "{default}");
        let recorded: Vec<&str> = default["credential_configurations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(recorded.contains(&"IdentityCredential"), "{default}");
        assert!(default["credential_configurations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["version"] == 1));
        let events = app.state.events.read_stream("issuer-default").await.unwrap();
        assert!(events.iter().all(|e| e.metadata.actor == "config"));
        let first = events.len();
        let stopped = app.shutdown().await;

        // The same file again writes nothing; a changed display becomes an event.
        let app = spawn_app_with(stopped.restart_options()).await;
        assert_eq!(app.state.events.read_stream("issuer-default").await.unwrap().len(), first);
        let stopped = app.shutdown().await;
        let app = spawn_app_with(
            stopped
                .restart_options()
                .set("issuer.display", json!([{"name": "Renamed", "locale": "en"}])),
        )
        .await;
        let events = app.state.events.read_stream("issuer-default").await.unwrap();
        assert_eq!(events.len(), first + 1);
        assert_eq!(events[first].event_type, "IssuerDisplayChanged");
        let (_, default) = call(&app, Method::GET, "/issuers/default", None).await;
        assert_eq!(default["display"], json!([{"name": "Renamed", "locale": "en"}]));
    }
}

backend_test! {
    async fn a_configuration_removed_from_the_file_is_retired_at_the_next_start(backend) {
        let app = spawn_app_on(backend).await;
        let path = "/issuers/default/credential-configurations/IdentityCredential";
        let (status, identity) = call(&app, Method::GET, path, None).await;
        assert_eq!(status, 200, "{identity}");
        let (_, default) = call(&app, Method::GET, "/issuers/default", None).await;
        let others: Vec<String> = default["credential_configurations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .filter(|id| id != "IdentityCredential")
            .collect();
        assert!(!others.is_empty(), "{default}");
        let stopped = app.shutdown().await;

        // The file now holds IdentityCredential only, exactly as recorded.
        let only = json!([identity["versions"].as_array().unwrap().last().unwrap()["configuration"]]);
        let app = spawn_app_with(stopped.restart_options().set("credential_configurations", only)).await;
        let (_, default) = call(&app, Method::GET, "/issuers/default", None).await;
        assert_eq!(
            default["credential_configurations"],
            json!([{"id": "IdentityCredential", "version": 1}])
        );
        let events = app.state.events.read_stream("issuer-default").await.unwrap();
        let retired: Vec<&str> = events
            .iter()
            .filter(|e| e.event_type == "ConfigurationRetired")
            .map(|e| e.payload["configuration_id"].as_str().unwrap())
            .collect();
        assert_eq!(retired, others.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
