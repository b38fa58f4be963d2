//! API keys restricted to issuers (issue 19): a key with `issuers = ["acme"]` creates,
//! lists and reads acme's offers, issuers, configurations, keys and audit entries; every
//! other issuer's (the default one's included) answer it exactly as if they did not exist
//! (the same 404 as an unknown id), listings leave them out, and the whole audit chain
//! (head, verification) needs a key that sees every issuer. An unrestricted key sees all.

use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::issuer_wallets::{offer_of, ready_issuer};
use crate::management_issuers::call_with;
use crate::support::*;

/// A key restricted to issuer `acme`, with every scope but `admin`.
const ACME_KEY: &str = "test-key-of-acme-only";
/// A key of every issuer, with the same scopes.
const EVERYONE_KEY: &str = "test-key-of-every-issuer";

const SCOPES: [&str; 6] = [
    "offers:write",
    "offers:read",
    "audit:read",
    "credentials:write",
    "issuers:read",
    "issuers:write",
];

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The app with the two keys (and the bootstrap admin key).
async fn app_with_keys(backend: Backend) -> TestApp {
    let keys = json!([
        {"name": "acme-backend", "sha256": sha256_hex(ACME_KEY), "scopes": SCOPES,
         "issuers": ["acme"]},
        {"name": "platform", "sha256": sha256_hex(EVERYONE_KEY), "scopes": SCOPES},
    ]);
    spawn_app_with(TestOptions::on(backend).set("api_keys", keys)).await
}

/// `GET path` with `key`: status and body.
async fn get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    call_with(app, key, Method::GET, path, None).await
}

fn id_of(created: &Value) -> String {
    created["offer_id"].as_str().unwrap().to_string()
}

/// The offer ids of a `GET /offers` answer.
fn listed(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["offer_id"].as_str().unwrap().to_string())
        .collect()
}

/// Every audit entry `key` lists with `filters`.
async fn audit(app: &TestApp, key: &str, filters: &str) -> Vec<Value> {
    let (status, page) = get(app, key, &format!("/audit?limit=500&{filters}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["next_cursor"].is_null(), "one page holds them all");
    page["items"].as_array().unwrap().clone()
}

/// Asserts that `key` gets exactly the answer to an unknown thing for `hidden`: the same
/// status and body as for `unknown` once the ids are swapped.
async fn hidden_like_unknown(
    app: &TestApp,
    key: &str,
    (method, hidden, unknown): (Method, &str, &str),
    ids: (&str, &str),
) {
    let (status, body) = call_with(app, key, method.clone(), hidden, None).await;
    let (unknown_status, unknown_body) = call_with(app, ACME_KEY, method, unknown, None).await;
    assert_eq!((status, unknown_status), (404, 404), "{hidden}: {body}");
    let swapped = body.to_string().replace(ids.0, ids.1);
    assert_eq!(swapped, unknown_body.to_string(), "{hidden}");
}

backend_test! {
    async fn a_key_restricted_to_an_issuer_sees_only_that_issuer_s_offers(backend) {
        let app = app_with_keys(backend).await;
        ready_issuer(&app, "acme", "https://acme.example/id").await;
        ready_issuer(&app, "globex", "https://globex.example/id").await;
        let body = json!({"credential_configuration_id": "Id", "claims": {"given_name": "Erika"}});
        let (status, acme) =
            call_with(&app, ACME_KEY, Method::POST, "/issuers/acme/offers", Some(body.clone()))
                .await;
        assert_eq!(status, 201, "{acme}");
        let (status, globex) = offer_of(&app, "globex").await;
        assert_eq!(status, 201, "{globex}");
        let default = app.create_offer(&identity_offer()).await;
        let (acme, globex, default) = (id_of(&acme), id_of(&globex), id_of(&default));

        // Its own offer, with its issuer.
        let (status, view) = get(&app, ACME_KEY, &format!("/offers/{acme}")).await;
        assert_eq!((status, &view["issuer_id"]), (200, &json!("acme")), "{view}");
        for path in ["events", "qr", "qr.png", "credentials"] {
            let (status, _) = get(&app, ACME_KEY, &format!("/offers/{acme}/{path}")).await;
            assert_eq!(status, 200, "{path}");
        }

        // Another issuer's offers (the default one's too) do not exist for it.
        let unknown = Uuid::new_v4().to_string();
        for other in [&globex, &default] {
            for (method, path) in [
                (Method::GET, ""),
                (Method::GET, "/events"),
                (Method::GET, "/qr"),
                (Method::GET, "/qr.png"),
                (Method::GET, "/credentials"),
                (Method::POST, "/credentials/revoke"),
                (Method::DELETE, ""),
            ] {
                let (hidden, missing) =
                    (format!("/offers/{other}{path}"), format!("/offers/{unknown}{path}"));
                let request = (method, hidden.as_str(), missing.as_str());
                hidden_like_unknown(&app, ACME_KEY, request, (other.as_str(), &unknown)).await;
            }
        }
        let (_, still) = get(&app, ADMIN_KEY, &format!("/offers/{globex}")).await;
        assert_eq!(still["status"], "CREATED", "the refused revocation changed nothing");

        // Listings leave them out; `issuer_id` filters for everyone.
        let (_, page) = get(&app, ACME_KEY, "/offers").await;
        assert_eq!(listed(&page), vec![acme.clone()]);
        let (_, page) = get(&app, ACME_KEY, "/offers?issuer_id=globex").await;
        assert_eq!(listed(&page), Vec::<String>::new());
        let (_, page) = get(&app, EVERYONE_KEY, "/offers").await;
        assert_eq!(listed(&page), vec![default.clone(), globex.clone(), acme.clone()]);
        let issuers: Vec<&Value> = page["items"].as_array().unwrap().iter().map(|v| &v["issuer_id"]).collect();
        assert_eq!(issuers, [&json!("default"), &json!("globex"), &json!("acme")]);
        for (issuer, offer) in [("default", &default), ("globex", &globex)] {
            let (_, page) = get(&app, EVERYONE_KEY, &format!("/offers?issuer_id={issuer}")).await;
            assert_eq!(listed(&page), vec![offer.clone()], "{issuer}");
        }
        let (status, _) = get(&app, EVERYONE_KEY, &format!("/offers/{globex}/events")).await;
        assert_eq!(status, 200);

        // Offers of the default issuer need `default` among the key's issuers.
        let (status, refused) =
            call_with(&app, ACME_KEY, Method::POST, "/offers", Some(identity_offer())).await;
        assert_eq!((status, &refused["error_description"]), (404, &json!("issuer not found")));
        let (status, _) = get(&app, ACME_KEY, "/credential-configurations").await;
        assert_eq!(status, 404);
        let (status, _) = get(&app, EVERYONE_KEY, "/credential-configurations").await;
        assert_eq!(status, 200);
    }
}

backend_test! {
    async fn a_key_restricted_to_an_issuer_sees_only_that_issuer_and_its_configurations(backend) {
        let app = app_with_keys(backend).await;
        ready_issuer(&app, "acme", "https://acme.example/id").await;
        ready_issuer(&app, "globex", "https://globex.example/id").await;

        let (_, list) = get(&app, ACME_KEY, "/issuers").await;
        let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["acme"]);
        let (_, list) = get(&app, EVERYONE_KEY, "/issuers").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 3, "default, acme, globex: {list}");
        for path in ["", "/credential-configurations", "/credential-configurations/Id", "/keys", "/jwks"] {
            let (status, _) = get(&app, ACME_KEY, &format!("/issuers/acme{path}")).await;
            assert_eq!(status, 200, "{path}");
        }

        // Every route of another issuer answers as for an issuer that does not exist,
        // before anything that would tell (its configuration, key, state).
        let kid = {
            let (_, keys) = get(&app, ADMIN_KEY, "/issuers/globex/keys").await;
            keys["active_kid"].as_str().unwrap().to_string()
        };
        for other in ["globex", "default"] {
            for (method, path) in [
                (Method::GET, String::new()),
                (Method::PATCH, String::new()),
                (Method::DELETE, String::new()),
                (Method::GET, "/credential-configurations".into()),
                (Method::GET, "/credential-configurations/Id".into()),
                (Method::PUT, "/credential-configurations/Id".into()),
                (Method::DELETE, "/credential-configurations/Id".into()),
                (Method::GET, "/keys".into()),
                (Method::POST, "/keys".into()),
                (Method::POST, format!("/keys/{kid}/activate")),
                (Method::DELETE, format!("/keys/{kid}")),
                (Method::GET, "/jwks".into()),
                (Method::POST, "/offers".into()),
            ] {
                let hidden = format!("/issuers/{other}{path}");
                let body = if method == Method::PATCH {
                    Some(json!({"display": []}))
                } else if method == Method::GET || method == Method::DELETE {
                    None
                } else {
                    Some(json!({}))
                };
                let (status, answer) =
                    call_with(&app, ACME_KEY, method.clone(), &hidden, body.clone()).await;
                let (_, unknown) =
                    call_with(&app, ADMIN_KEY, Method::GET, "/issuers/nobody", None).await;
                assert_eq!((status, &answer), (404, &unknown), "{method} {hidden}");
            }
        }
        let (_, globex) = get(&app, ADMIN_KEY, "/issuers/globex").await;
        assert_eq!(globex["status"], "active", "the refused retirement changed nothing");

        // Creating an issuer outside its list is refused whether or not it exists.
        for id in ["globex", "initech"] {
            let body = json!({"id": id});
            let (status, refused) =
                call_with(&app, ACME_KEY, Method::POST, "/issuers", Some(body)).await;
            assert_eq!((status, &refused["error"]), (403, &json!("insufficient_scope")), "{id}");
        }
    }
}

backend_test! {
    async fn a_key_restricted_to_an_issuer_sees_only_that_issuer_s_audit_entries(backend) {
        let app = app_with_keys(backend).await;
        ready_issuer(&app, "acme", "https://acme.example/id").await;
        ready_issuer(&app, "globex", "https://globex.example/id").await;
        let (_, acme) = offer_of(&app, "acme").await;
        let (_, globex) = offer_of(&app, "globex").await;
        let default = app.create_offer(&identity_offer()).await;
        let (acme, globex, default) = (id_of(&acme), id_of(&globex), id_of(&default));
        crate::audit_support::wait_for_projections(&app).await;

        // Its offer's entries and its issuer stream's, nothing else.
        let entries = audit(&app, ACME_KEY, "").await;
        let mut offers: Vec<&str> = entries.iter().filter_map(|e| e["offer_id"].as_str()).collect();
        offers.sort_unstable();
        offers.dedup();
        assert_eq!(offers, [acme.as_str()]);
        let others: Vec<&str> = entries
            .iter()
            .filter(|e| e["offer_id"].is_null())
            .map(|e| e["summary"].as_str().unwrap())
            .collect();
        assert!(others.len() >= 3, "created, key, configuration: {others:?}");
        assert!(
            others.iter().all(|s| s.to_lowercase().contains("issuer acme")),
            "{others:?}"
        );
        assert!(entries.iter().any(|e| e["type"] == "OfferCreated"));
        for filters in [format!("offer_id={globex}"), format!("offer_id={default}"), "issuer_id=globex".into()] {
            assert!(audit(&app, ACME_KEY, &filters).await.is_empty(), "{filters}");
        }
        assert_eq!(audit(&app, ACME_KEY, "issuer_id=acme").await, entries);

        // The export holds the same entries.
        let (status, export) = {
            let response = app.with_key(Method::GET, "/audit/export", ACME_KEY).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        };
        assert_eq!(status, 200);
        let exported: Vec<Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(exported, entries);

        // The chain holds every issuer's entries: its head and verification are not its.
        for path in ["/audit/head", "/audit/verify"] {
            let (status, refused) = get(&app, ACME_KEY, path).await;
            assert_eq!((status, &refused["error"]), (403, &json!("insufficient_scope")), "{path}");
        }

        // A key of every issuer sees them all, and the chain still verifies.
        let all = audit(&app, EVERYONE_KEY, "").await;
        for offer in [&acme, &globex, &default] {
            assert!(all.iter().any(|e| e["offer_id"] == json!(offer)), "{offer}");
        }
        assert!(all.len() > entries.len());
        let globex_entries = audit(&app, EVERYONE_KEY, "issuer_id=globex").await;
        assert!(globex_entries.iter().all(|e| e["offer_id"].is_null() || e["offer_id"] == json!(globex)));
        assert!(globex_entries.iter().any(|e| e["offer_id"] == json!(globex)));
        let default_entries = audit(&app, EVERYONE_KEY, "issuer_id=default").await;
        assert!(default_entries.iter().any(|e| e["offer_id"] == json!(default)));
        let (status, report) = get(&app, EVERYONE_KEY, "/audit/verify").await;
        assert_eq!((status, &report["valid"]), (200, &json!(true)), "{report}");
    }
}

#[test]
fn a_configuration_restricting_a_key_to_an_invalid_issuer_is_refused_at_load() {
    let key = |issuers: Value| {
        json!([{"name": "acme-backend", "sha256": sha256_hex(ACME_KEY),
                "scopes": ["offers:read"], "issuers": issuers}])
    };
    let config = issuance::config::BUILT_IN_CONFIG;
    let load = |issuers| {
        issuance::config::LoadedConfig::from_toml_with(config, &[("api_keys", key(issuers))])
    };
    assert!(load(json!(["acme", "default"])).is_ok());
    let errors = load(json!(["ACME Corp"])).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter().any(|e| e.contains("api_keys[0].issuers")
            && e.contains("acme-backend")
            && e.contains("invalid issuer id")),
        "{text:?}"
    );
}
