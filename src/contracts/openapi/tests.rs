//! The OpenAPI documents: valid (3.1, references resolve, schemas are draft 2020-12),
//! listing exactly the routes the HTTP layer registers, and equal to the checked-in copy.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::*;

const APIS: [Api; 2] = [Api::Wallet, Api::Management];

fn documents() -> Vec<(Api, Value)> {
    let mut documents: Vec<(Api, Value)> = APIS
        .iter()
        .map(|api| (*api, api.default_document()))
        .collect();
    // With an issuer path and type metadata, as a deployment serves it.
    documents.push((
        Api::Wallet,
        wallet::document("/tenant", &["/tenant/types/pid".to_string()]),
    ));
    documents
}

fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

/// Every schema in the document: components, parameters, request and response bodies.
fn schemas_of(document: &Value) -> Vec<(String, Value)> {
    let mut found: Vec<(String, Value)> = document["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, schema)| (name.clone(), schema.clone()))
        .collect();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                found.push((at.clone(), parameter["schema"].clone()));
            }
            let bodies = operation["responses"]
                .as_object()
                .unwrap()
                .values()
                .chain(operation.get("requestBody"));
            for body in bodies {
                for media in body["content"]
                    .as_object()
                    .into_iter()
                    .flat_map(|c| c.values())
                {
                    found.push((at.clone(), media["schema"].clone()));
                }
            }
        }
    }
    found
}

#[test]
fn the_documents_are_openapi_3_1_with_valid_schemas_and_resolving_references() {
    for (api, document) in documents() {
        let name = api.name();
        assert_eq!(document["openapi"], "3.1.0");
        assert!(document["info"]["title"].is_string());
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let target = reference
                .strip_prefix('#')
                .and_then(|pointer| document.pointer(pointer));
            assert!(target.is_some(), "{name}: dangling {reference}");
        }
        let components = document["components"]["schemas"].clone();
        for (at, schema) in schemas_of(&document) {
            jsonschema::draft202012::meta::validate(&schema)
                .unwrap_or_else(|e| panic!("{name} {at}: {e}"));
            // Compiled with the components beside it, so `$ref`s resolve.
            let mut standalone = schema.clone();
            if let Value::Object(map) = &mut standalone {
                map.insert(
                    "components".into(),
                    serde_json::json!({"schemas": components}),
                );
            }
            jsonschema::draft202012::new(&standalone)
                .unwrap_or_else(|e| panic!("{name} {at}: {e}"));
        }
        let mut ids = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            assert!(path.starts_with('/'), "{name}: {path}");
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_string()), "{name}: {id} twice");
                assert!(
                    ["get", "post", "put", "patch", "delete"].contains(&method.as_str()),
                    "{name}: {method} {path}"
                );
                let declared: BTreeSet<String> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap().to_string())
                    .collect();
                let templated: BTreeSet<String> = path_parameters(path).into_iter().collect();
                assert_eq!(declared, templated, "{name}: {method} {path}");
                let responses = operation["responses"].as_object().unwrap();
                assert!(!responses.is_empty(), "{name}: {method} {path}");
                for status in responses.keys() {
                    assert!(status.parse::<u16>().is_ok(), "{name}: {method} {path}");
                }
                for requirement in operation["security"].as_array().unwrap() {
                    for scheme in requirement.as_object().unwrap().keys() {
                        assert!(
                            document["components"]["securitySchemes"][scheme].is_object(),
                            "{name}: {method} {path}: unknown scheme {scheme}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn management_operations_name_only_known_scopes_and_answer_errors_with_the_envelope() {
    let document = management::document();
    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][method.to_lowercase()];
        for requirement in operation["security"].as_array().unwrap() {
            for scope in requirement["apiKey"].as_array().unwrap() {
                let scope = scope.as_str().unwrap();
                assert!(
                    crate::config::api_keys::Scope::parse(scope).is_some(),
                    "{method} {path}: {scope}"
                );
            }
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            if status.starts_with('4') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ManagementError",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

/// `(method, path)` of every `.route("…", web::method()…)` and
/// `web::resource("…")…route(web::method()…)` in `source`, with `{prefix}` (the wallet
/// issuer path) removed and `{{`/`}}` unescaped.
fn registered_in(source: &str) -> BTreeSet<(String, String)> {
    let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut found = BTreeSet::new();
    for (start, _) in flat
        .match_indices("route(")
        .chain(flat.match_indices("resource("))
    {
        let rest = &flat[start..];
        let Some(open) = rest.find('"') else { continue };
        // The literal must be the call's first argument.
        let head = rest[..open].trim_end();
        if !(head.ends_with("route(") || head.ends_with("resource(") || head.ends_with("format!("))
        {
            continue;
        }
        let Some(close) = rest[open + 1..].find('"') else {
            continue;
        };
        let path = rest[open + 1..open + 1 + close]
            .replace("{prefix}", "")
            .replace("{{", "{")
            .replace("}}", "}");
        if !path.starts_with('/') {
            continue;
        }
        let after = &rest[open + 1 + close..];
        let method = ["get", "post", "put", "patch", "delete"]
            .into_iter()
            .filter_map(|m| after.find(&format!("web::{m}()")).map(|at| (at, m)))
            .min();
        if let Some((_, method)) = method {
            found.insert((method.to_uppercase(), path));
        }
    }
    found
}

fn registered(files: &[&str]) -> BTreeSet<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut found = BTreeSet::new();
    let mut stack: Vec<std::path::PathBuf> = files.iter().map(|f| root.join(f)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("tests"))
        {
            found.extend(registered_in(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    found
}

fn documented(document: &Value) -> BTreeSet<(String, String)> {
    operations(document).into_iter().collect()
}

#[test]
fn the_management_document_lists_exactly_the_registered_routes() {
    let registered = registered(&["management", "health.rs", "contracts.rs", "docs.rs"]);
    assert!(registered.len() > 40, "{registered:?}");
    let documented = documented(&management::document());
    let missing: Vec<_> = registered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "registered, not documented: {missing:?}"
    );
    assert!(extra.is_empty(), "documented, not registered: {extra:?}");
}

#[test]
fn the_wallet_document_lists_exactly_the_registered_routes() {
    let mut registered = registered(&["wallet/routes.rs"]);
    // The well-known documents of runtime issuers are registered in the same loop (the
    // inserted form, and the appended one under the issuer scope): the document's second
    // server describes them.
    for path in ["/.well-known/{name}", "/.well-known/{name}{issuer_prefix}"] {
        assert!(
            registered.remove(&("GET".to_string(), path.to_string())),
            "{path}"
        );
    }
    let document = wallet::document("", &[]);
    // The well-known documents are registered in a loop over their names.
    let mut documented = documented(&document);
    for (name, _, _) in wallet::WELL_KNOWN {
        assert!(documented.remove(&("GET".to_string(), format!("/.well-known/{name}"))));
        let source = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/wallet/routes.rs"),
        )
        .unwrap();
        assert!(
            source.contains(&format!("(\"{name}\", WellKnown::")),
            "{name}"
        );
    }
    let missing: Vec<_> = registered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "registered, not documented: {missing:?}"
    );
    assert!(extra.is_empty(), "documented, not registered: {extra:?}");
}

#[test]
fn the_route_scan_sees_a_route_added_without_its_contract() {
    let source = r#"cfg.route("/offers", web::post().to(create))
        .route(
            "/offers/{offer_id}/pause",
            web::put().to(pause),
        )
        .service(web::resource(format!("{prefix}/token")).app_data(x(limit)).route(web::post().to(t)))
        .route(&format!("{prefix}/credential-offers/{{reference}}"), web::get().to(o));"#;
    let found = registered_in(source);
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/offers"),
        ("PUT", "/offers/{offer_id}/pause"),
        ("POST", "/token"),
        ("GET", "/credential-offers/{reference}"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(found, expected);
    let documented = documented(&management::document());
    assert!(!documented.contains(&("PUT".to_string(), "/offers/{offer_id}/pause".to_string())));
}

/// `issuance openapi --api <api> > docs/contracts/openapi-<api>.json` regenerates the copy.
#[test]
fn the_checked_in_documents_are_the_generated_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/contracts");
    for api in APIS {
        let file = api.file_name();
        let checked_in = std::fs::read_to_string(dir.join(&file)).unwrap_or_default();
        assert!(
            checked_in == crate::contracts::output::render(&api.default_document()),
            "docs/contracts/{file} differs from the generated document: run \
             `cargo run -- openapi --api {} > docs/contracts/{file}` and review the change",
            api.name()
        );
    }
}

#[test]
fn response_components_have_unique_names_and_the_opened_fields_are_typed() {
    let bodies: Vec<String> = schemas::management_bodies()
        .into_iter()
        .chain(schemas::wallet_bodies())
        .map(|(name, _)| name.to_string())
        .collect();
    for responses in [
        management_schemas::management_responses(),
        wallet_schemas::wallet_responses(),
    ] {
        let mut names = BTreeSet::new();
        for (name, _) in &responses {
            assert!(names.insert(name.clone()), "{name} twice");
            assert!(!bodies.contains(name), "{name} is also a request body");
            assert!(!["ManagementError", "WalletError"].contains(&name.as_str()));
        }
    }
    let document = management::document();
    let view = &document["components"]["schemas"]["OfferView"];
    assert_eq!(
        view["properties"]["subject"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(view["additionalProperties"], false);
    assert!(
        view["properties"].get("subject_pseudonym").is_none(),
        "never shown"
    );
    let issued = &document["components"]["schemas"]["IssuedCredentialView"];
    assert_eq!(
        issued["properties"]["holder_key_thumbprint"]["type"],
        serde_json::json!(["string", "null"])
    );
}
