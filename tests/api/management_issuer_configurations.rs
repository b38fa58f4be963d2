//! `/issuers/{id}/credential-configurations`: versions published with `PUT` (201 new,
//! 200 new version, 200 unchanged), listed, read with their history and retired; invalid
//! configurations refused with every problem by field.

use reqwest::Method;
use serde_json::{json, Value};

use crate::management_issuers::{call, create_issuer};
use crate::support::*;

const CONFIG: &str = "/issuers/acme/credential-configurations/AcmeId";

fn identity(vct: &str) -> Value {
    json!({
        "format": "dc+sd-jwt",
        "vct": vct,
        "scope": "acme_id",
        "validity_days": 30,
        "display": [{"name": "ACME ID", "locale": "en-US"}],
        "claims": [
            {"path": "given_name", "mandatory": true, "value_type": "string"},
            {"path": "birthdate", "value_type": "date"},
        ],
    })
}

async fn event_count_of(app: &TestApp, stream: &str) -> usize {
    app.state.events.read_stream(stream).await.unwrap().len()
}

backend_test! {
    async fn configurations_are_published_in_versions_listed_and_retired(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;

        // New: 201, version 1.
        let (status, first) = call(&app, Method::PUT, CONFIG, Some(identity("https://acme.example/v1"))).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!((first["id"].as_str(), first["version"].as_u64()), (Some("AcmeId"), Some(1)));
        assert_eq!(first["changed"], true);
        assert_eq!(first["configuration"]["vct"], "https://acme.example/v1");
        assert_eq!(first["published_by"], "admin");

        // The same again: 200, unchanged, no event.
        let events = event_count_of(&app, "issuer-acme").await;
        let (status, same) = call(&app, Method::PUT, CONFIG, Some(identity("https://acme.example/v1"))).await;
        assert_eq!((status, &same["version"], &same["changed"]), (200, &json!(1), &json!(false)));
        assert_eq!(event_count_of(&app, "issuer-acme").await, events);

        // Changed: 200, version 2 (its `id` may be written, if it is the path's).
        let mut changed = identity("https://acme.example/v2");
        changed["id"] = json!("AcmeId");
        let (status, second) = call(&app, Method::PUT, CONFIG, Some(changed)).await;
        assert_eq!((status, &second["version"], &second["changed"]), (200, &json!(2), &json!(true)));

        let mdoc = json!({"format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL", "scope": "mdl",
                          "claims": [{"path": ["org.iso.18013.5.1", "family_name"], "value_type": "tstr"}]});
        let (status, created) = call(&app, Method::PUT,
            "/issuers/acme/credential-configurations/Mdl", Some(mdoc)).await;
        assert_eq!(status, 201, "{created}");

        // The list shows the current versions; the issuer names them.
        let (status, list) = call(&app, Method::GET, "/issuers/acme/credential-configurations", None).await;
        assert_eq!(status, 200);
        let items = list["items"].as_array().unwrap();
        let current: Vec<_> = items.iter().map(|i| (i["id"].as_str().unwrap(), i["version"].as_u64().unwrap())).collect();
        assert_eq!(current, [("AcmeId", 2), ("Mdl", 1)]);
        assert_eq!(items[0]["configuration"]["vct"], "https://acme.example/v2");
        let (_, issuer) = call(&app, Method::GET, "/issuers/acme", None).await;
        assert_eq!(issuer["credential_configurations"],
            json!([{"id": "AcmeId", "version": 2}, {"id": "Mdl", "version": 1}]));

        // One, with its history.
        let (status, one) = call(&app, Method::GET, CONFIG, None).await;
        assert_eq!(status, 200);
        assert_eq!((&one["status"], &one["version"]), (&json!("active"), &json!(2)));
        let versions: Vec<_> = one["versions"].as_array().unwrap().iter()
            .map(|v| (v["version"].as_u64().unwrap(), v["configuration"]["vct"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(versions, [(1, "https://acme.example/v1".to_string()), (2, "https://acme.example/v2".to_string())]);

        // Retired: 204; it leaves the list, its history stays readable; no new version.
        let (status, _) = call(&app, Method::DELETE, CONFIG, None).await;
        assert_eq!(status, 204);
        let (_, list) = call(&app, Method::GET, "/issuers/acme/credential-configurations", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let (status, one) = call(&app, Method::GET, CONFIG, None).await;
        assert_eq!((status, &one["status"]), (200, &json!("retired")));
        assert_eq!(one["versions"].as_array().unwrap().len(), 2);
        let (status, error) = call(&app, Method::DELETE, CONFIG, None).await;
        assert_eq!((status, &error["error"]), (409, &json!("configuration_retired")));
        let (status, error) = call(&app, Method::PUT, CONFIG, Some(identity("https://acme.example/v3"))).await;
        assert_eq!((status, &error["error"]), (409, &json!("configuration_retired")));

        // A retired issuer's configurations stay readable but change no more.
        call(&app, Method::DELETE, "/issuers/acme", None).await;
        let (status, _) = call(&app, Method::GET, "/issuers/acme/credential-configurations/Mdl", None).await;
        assert_eq!(status, 200);
        let (status, error) = call(&app, Method::PUT,
            "/issuers/acme/credential-configurations/Other", Some(identity("https://acme.example/o"))).await;
        assert_eq!((status, &error["error"]), (409, &json!("issuer_retired")));
        let (status, error) = call(&app, Method::DELETE,
            "/issuers/acme/credential-configurations/Mdl", None).await;
        assert_eq!((status, &error["error"]), (409, &json!("issuer_retired")));
    }
}

backend_test! {
    async fn invalid_configurations_are_refused_with_every_problem_by_field(backend) {
        let app = spawn_app_on(backend).await;
        create_issuer(&app, "acme").await;
        let events = event_count_of(&app, "issuer-acme").await;

        let (status, error) = call(&app, Method::PUT, CONFIG, Some(json!({
            "vct": "", "validity_days": 4000,
            "claims": [{"path": "vct"}, {"path": "a[x]"}],
        }))).await;
        assert_eq!((status, &error["error"]), (400, &json!("invalid_configuration")), "{error}");
        let fields: Vec<_> = error["details"].as_array().unwrap().iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["vct", "validity_days", "claims[0].path", "claims[1].path"]);
        assert!(error["details"].as_array().unwrap().iter().all(|d| d["problem"].as_str().is_some_and(|p| !p.is_empty())));

        // The id in the body must be the path's; unknown fields and non-objects are refused.
        for (body, field) in [
            (json!({"id": "Other", "vct": "v"}), "id"),
            (json!({"vct": "v", "doctype": "d"}), ""),
            (json!(["not", "an", "object"]), ""),
        ] {
            let (status, error) = call(&app, Method::PUT, CONFIG, Some(body.clone())).await;
            assert_eq!((status, &error["error"]), (400, &json!("invalid_configuration")), "{body}");
            assert_eq!(error["details"][0]["field"], field, "{error}");
        }
        // A scope another current configuration uses.
        call(&app, Method::PUT, CONFIG, Some(identity("https://acme.example/v1"))).await;
        let (status, error) = call(&app, Method::PUT,
            "/issuers/acme/credential-configurations/Second", Some(identity("https://acme.example/2"))).await;
        assert_eq!((status, &error["details"][0]["field"]), (400, &json!("scope")), "{error}");
        assert_eq!(event_count_of(&app, "issuer-acme").await, events + 1);

        // Unknown issuer or configuration: 404.
        for (method, path, body) in [
            (Method::PUT, "/issuers/nobody/credential-configurations/AcmeId", Some(identity("v"))),
            (Method::GET, "/issuers/nobody/credential-configurations", None),
            (Method::GET, "/issuers/nobody/credential-configurations/AcmeId", None),
            (Method::DELETE, "/issuers/nobody/credential-configurations/AcmeId", None),
            (Method::GET, "/issuers/acme/credential-configurations/Unknown", None),
            (Method::DELETE, "/issuers/acme/credential-configurations/Unknown", None),
        ] {
            let (status, error) = call(&app, method.clone(), path, body).await;
            assert_eq!((status, &error["error"]), (404, &json!("not_found")), "{method} {path}");
        }
    }
}
