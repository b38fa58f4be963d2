//! Responses checked against the OpenAPI documents ([`issuance::contracts::openapi`]): the
//! status must be documented for the operation, the media type one the document lists, and
//! a JSON body valid against the response's schema (`$ref`s resolved in the document's
//! components). The typed helpers of [`super::TestApp`] and the test wallet run every
//! answer through [`check`], so the main flows fail when a handler and its contract part.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use issuance::contracts::openapi::Api;
use jsonschema::Validator;
use serde_json::Value;

/// The checked-in document of `api` (what integrators generate clients from).
pub fn document(api: Api) -> &'static Value {
    static WALLET: OnceLock<Value> = OnceLock::new();
    static MANAGEMENT: OnceLock<Value> = OnceLock::new();
    let cell = match api {
        Api::Wallet => &WALLET,
        Api::Management => &MANAGEMENT,
    };
    cell.get_or_init(|| api.default_document())
}

/// The documented path template of `method` that the concrete `path` (query ignored)
/// matches; of several, the one with the most literal segments.
pub fn template(document: &Value, method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let method = method.to_lowercase();
    let mut best: Option<(usize, String)> = None;
    for (candidate, item) in document["paths"].as_object()? {
        if item.get(&method).is_none() {
            continue;
        }
        let parts: Vec<&str> = candidate.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let matches = parts.iter().zip(&segments).all(|(part, segment)| {
            if part.starts_with('{') && part.ends_with('}') {
                !segment.is_empty()
            } else {
                literal += 1;
                part == segment
            }
        });
        if matches && best.as_ref().is_none_or(|(most, _)| literal > *most) {
            best = Some((literal, candidate.clone()));
        }
    }
    best.map(|(_, template)| template)
}

/// The schema of a media type, compiled with the document's components beside it.
fn compile(document: &Value, schema: &Value) -> Result<Validator, String> {
    let mut schema = schema.clone();
    if let Value::Object(map) = &mut schema {
        map.insert("components".into(), document["components"].clone());
    }
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| format!("the document's schema does not compile: {e}"))
}

fn validator(
    api: Option<Api>,
    document: &Value,
    key: String,
    schema: &Value,
) -> Result<Arc<Validator>, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    let Some(api) = api else {
        return compile(document, schema).map(Arc::new);
    };
    let cache = CACHE.get_or_init(Default::default);
    let key = format!("{}:{key}", api.name());
    if let Some(found) = cache.lock().unwrap().get(&key) {
        return Ok(found.clone());
    }
    let compiled = Arc::new(compile(document, schema)?);
    cache.lock().unwrap().insert(key, compiled.clone());
    Ok(compiled)
}

/// Why answering `status` with `body` (`Null`: none, or not JSON) of media type
/// `content_type` to `method template` is outside `document` (empty when it is not).
pub fn violations_in(
    document: &Value,
    method: &str,
    template: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) -> Vec<String> {
    violations_of(None, document, method, template, status, content_type, body)
}

fn violations_of(
    api: Option<Api>,
    document: &Value,
    method: &str,
    template: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) -> Vec<String> {
    let at = format!("{} {template} → {status}", method.to_uppercase());
    let operation = &document["paths"][template][method.to_lowercase()];
    if !operation.is_object() {
        return vec![format!("{at}: the operation is not documented")];
    }
    let response = &operation["responses"][status.to_string()];
    if !response.is_object() {
        return vec![format!("{at}: the status is not documented")];
    }
    let Some(content) = response["content"].as_object() else {
        // An error documented without content may still explain itself (the wallet's 401
        // carries `invalid_token` when a token was presented, nothing without one).
        return match body.is_null() || status >= 400 {
            true => Vec::new(),
            false => vec![format!("{at}: documented without a body, answered {body}")],
        };
    };
    let essence = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_lowercase());
    let media = match &essence {
        Some(essence) => match content.get(essence) {
            Some(_) => essence.clone(),
            None => {
                let listed: Vec<&String> = content.keys().collect();
                return vec![format!(
                    "{at}: media type {essence} is not one of {listed:?}"
                )];
            }
        },
        None => match content.keys().find(|m| m.contains("json")) {
            Some(media) => media.clone(),
            None => return Vec::new(),
        },
    };
    if !media.contains("json") {
        return Vec::new();
    }
    let key = format!("{method} {template} {status} {media}");
    let validator = match validator(api, document, key, &content[&media]["schema"]) {
        Ok(validator) => validator,
        Err(error) => return vec![format!("{at}: {error}")],
    };
    let found: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{at}: {e} at `{}`", e.instance_path()))
        .collect();
    found
}

/// Why the answer to `method path` (concrete, as requested, or a full URL) is outside
/// `api`'s document; empty when it conforms, when no documented operation matches the path,
/// or when the service routes none there (its `no such endpoint` 404: a deployment with an
/// issuer path serves the wallet operations under it). The route coverage test in
/// tests/api/openapi.rs is what catches routes and documents that differ.
pub fn violations(
    api: Api,
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) -> Vec<String> {
    let unrouted = status == 404 && body["error_description"] == "no such endpoint";
    if unrouted {
        return Vec::new();
    }
    let document = document(api);
    // A full URL (as metadata documents hand them out) stands for its path.
    let path = match reqwest::Url::parse(path) {
        Ok(url) => url.path().to_string(),
        Err(_) => path.to_string(),
    };
    match template(document, method, &path) {
        Some(template) => violations_of(
            Some(api),
            document,
            method,
            &template,
            status,
            content_type,
            body,
        ),
        None => Vec::new(),
    }
}

/// Panics with the violations of an answer (see [`violations`]).
pub fn check(
    api: Api,
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) {
    let found = violations(api, method, path, status, content_type, body);
    assert!(
        found.is_empty(),
        "the answer to {method} {path} is outside the {} API's OpenAPI document \
         (docs/contracts/{}):\n{}\nbody: {body}",
        api.name(),
        api.file_name(),
        found.join("\n")
    );
}

/// The `Content-Type` of a response.
pub fn content_type(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads a response (status, content type, JSON body or `Null`) and checks it against the
/// operation `method path` of `api`.
pub async fn checked(
    api: Api,
    method: &str,
    path: &str,
    response: reqwest::Response,
) -> (u16, Value) {
    let status = response.status().as_u16();
    let kind = content_type(response.headers());
    let bytes = response.bytes().await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    check(api, method, path, status, kind.as_deref(), &body);
    (status, body)
}
