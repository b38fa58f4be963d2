//! The OpenAPI 3.1 documents of the two HTTP APIs: the management API ([`management`]) and
//! the wallet API ([`wallet`]). Each is one table of operations (method, path, scope,
//! parameters, request body, responses with their status codes and error envelopes),
//! built with [`Op`]; a test compares every table with the routes the HTTP layer
//! registers, so a route cannot be added or removed without its contract. Served at
//! `GET /openapi.json` on each listener, printed by `issuance openapi` and checked in
//! under docs/contracts/openapi-{wallet,management}.json.

mod derived;
pub mod management;
mod management_ops;
mod management_schemas;
mod schemas;
pub mod wallet;
mod wallet_schemas;

use serde_json::{json, Map, Value};

/// Which API a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The wallet API (OID4VCI, OAuth), under the issuer identifier's path.
    Wallet,
    /// The management API, health and the published contracts.
    Management,
}

impl Api {
    /// The name used by `issuance openapi --api` and in the checked-in file names.
    pub fn name(self) -> &'static str {
        match self {
            Api::Wallet => "wallet",
            Api::Management => "management",
        }
    }

    /// The checked-in file name under docs/contracts/.
    pub fn file_name(self) -> String {
        format!("openapi-{}.json", self.name())
    }

    /// The document as checked in: the wallet API at the root path (no issuer path prefix)
    /// and without the configuration-dependent type metadata routes.
    pub fn default_document(self) -> Value {
        match self {
            Api::Wallet => wallet::document("", &[]),
            Api::Management => management::document(),
        }
    }
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone (no credentials).
    Public,
    /// A management API key holding this scope (`admin` implies every scope).
    Scope(&'static str),
    /// A wallet access token, `Bearer` or `DPoP`.
    AccessToken,
}

/// One operation of a document: a row of its table.
#[derive(Debug, Clone)]
pub struct Op {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// The path template, e.g. `/offers/{offer_id}`.
    pub path: String,
    operation: Map<String, Value>,
    error_schema: &'static str,
}

impl Op {
    /// A management API operation (errors are the management envelope).
    pub fn management(method: &'static str, path: &str, id: &str, summary: &str) -> Op {
        Op::new(method, path, id, summary, "ManagementError")
    }

    /// A wallet API operation (errors are OAuth-style).
    pub fn wallet(method: &'static str, path: &str, id: &str, summary: &str) -> Op {
        Op::new(method, path, id, summary, "WalletError")
    }

    fn new(method: &'static str, path: &str, id: &str, summary: &str, error: &'static str) -> Op {
        let mut operation = Map::new();
        operation.insert("operationId".into(), id.into());
        operation.insert("summary".into(), summary.into());
        let parameters: Vec<Value> = path_parameters(path)
            .into_iter()
            .map(|name| {
                let schema = path_parameter_schema(&name);
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        if !parameters.is_empty() {
            operation.insert("parameters".into(), parameters.into());
        }
        operation.insert("responses".into(), json!({}));
        Op {
            method,
            path: path.to_string(),
            operation,
            error_schema: error,
        }
    }

    /// Groups the operation under `tag`.
    pub fn tag(mut self, tag: &str) -> Op {
        self.operation.insert("tags".into(), json!([tag]));
        self
    }

    /// Who may call it; adds the 401 (and 403 for a scope) it answers otherwise.
    pub fn access(mut self, access: Access) -> Op {
        let security = match access {
            Access::Public => json!([]),
            Access::Scope(scope) => {
                self = self
                    .error(401, "No or unknown API key")
                    .error(403, "The key lacks the scope");
                json!([{"apiKey": [scope]}])
            }
            Access::AccessToken => {
                // Without a token the body is empty (RFC 6750 §3.1: no error code when the
                // request had no credentials), so the response documents no content.
                self = self.response(
                    401,
                    json!({
                        "description": "No, invalid or expired access token (RFC 6750 §3): \
                            `WWW-Authenticate` names the scheme and, for a token that was \
                            presented, the error; then the body is `{\"error\": \"invalid_token\"}` \
                            (`WalletError`), without a token it is empty.",
                        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                    }),
                );
                json!([{"bearerAccessToken": []}, {"dpopAccessToken": []}])
            }
        };
        self.operation.insert("security".into(), security);
        self
    }

    /// A query parameter.
    pub fn query(mut self, name: &str, schema: Value, description: &str) -> Op {
        let parameter = json!({"name": name, "in": "query", "required": false,
                               "description": description, "schema": schema});
        if let Some(parameters) = self
            .operation
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            parameters.push(parameter);
        }
        self
    }

    /// A request body of `content_type`; adds the 413 and 415 the body extractors answer
    /// for one too large or of another media type.
    pub fn body(mut self, content_type: &str, schema: Value, required: bool) -> Op {
        self.operation.insert(
            "requestBody".into(),
            json!({"required": required, "content": {content_type: {"schema": schema}}}),
        );
        self.error(413, "The body is larger than `limits.max_body_bytes`")
            .error(415, &format!("The body is not {content_type}"))
    }

    /// Another media type the request body may have (after [`Op::body`]).
    pub fn also_body(mut self, content_type: &str, schema: Value) -> Op {
        if let Some(content) = self
            .operation
            .get_mut("requestBody")
            .and_then(|body| body.get_mut("content"))
            .and_then(Value::as_object_mut)
        {
            content.insert(content_type.into(), json!({"schema": schema}));
        }
        self
    }

    /// A JSON request body.
    pub fn json_body(self, schema: Value) -> Op {
        self.body("application/json", schema, true)
    }

    /// A successful (or otherwise expected) answer with a body of `content_type`.
    pub fn answer(self, status: u16, description: &str, content_type: &str, schema: Value) -> Op {
        self.response(
            status,
            json!({"description": description,
                   "content": {content_type: {"schema": schema}}}),
        )
    }

    /// A JSON answer.
    pub fn ok(self, status: u16, description: &str, schema: Value) -> Op {
        self.answer(status, description, "application/json", schema)
    }

    /// An answer without a body.
    pub fn empty(self, status: u16, description: &str) -> Op {
        self.response(status, json!({"description": description}))
    }

    /// An error answer with the API's error envelope.
    pub fn error(self, status: u16, description: &str) -> Op {
        let schema = reference(self.error_schema);
        self.ok(status, description, schema)
    }

    /// The common errors of every operation with a body or parameters: 400, and 503 for
    /// a failing backing store.
    pub fn errors(self, statuses: &[(u16, &str)]) -> Op {
        statuses.iter().fold(self, |op, (status, description)| {
            op.error(*status, description)
        })
    }

    fn response(mut self, status: u16, response: Value) -> Op {
        if let Some(responses) = self
            .operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        {
            // A second answer with the same status adds its media type.
            let key = status.to_string();
            match (responses.get_mut(&key), response) {
                (Some(Value::Object(existing)), Value::Object(mut added)) => {
                    if let (Some(Value::Object(have)), Some(Value::Object(more))) =
                        (existing.get_mut("content"), added.remove("content"))
                    {
                        have.extend(more);
                    }
                }
                (_, response) => {
                    responses.insert(key, response);
                }
            }
        }
        self
    }
}

/// A `$ref` to a schema of the document's components.
pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The schema of a path parameter: the ids the handlers parse as UUIDs, the status actions,
/// else a string.
fn path_parameter_schema(name: &str) -> Value {
    match name {
        "offer_id" | "credential_id" => json!({"type": "string", "format": "uuid"}),
        "action" => json!({"type": "string", "enum": ["revoke", "suspend", "reinstate"]}),
        _ => json!({"type": "string"}),
    }
}

/// The `{name}` segments of a path template.
pub fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_string)
        .collect()
}

/// Assembles a document from its operations (in table order, paths sorted).
pub(crate) fn assemble(info: Value, ops: Vec<Op>, components: Value) -> Value {
    let mut paths = std::collections::BTreeMap::<String, Map<String, Value>>::new();
    for op in ops {
        paths
            .entry(op.path)
            .or_default()
            .insert(op.method.to_string(), Value::Object(op.operation));
    }
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": info,
        "paths": paths,
        "components": components,
    })
}

/// Every `(method, path)` a document lists, upper-case method.
pub fn operations(document: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
                found.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests;
