//! Every AMQP message and status callback the tests capture is checked against its published
//! JSON Schema ([`issuance::contracts`]), so a field changed without its contract fails
//! whichever test sees it.

use std::collections::HashMap;
use std::sync::OnceLock;

use issuance::contracts::messages::{message_schema_name, CALLBACK_SCHEMA};
use issuance::contracts::{schemas, SchemaKind};
use jsonschema::Validator;
use serde_json::Value;

fn validators() -> &'static HashMap<String, Validator> {
    static VALIDATORS: OnceLock<HashMap<String, Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        schemas()
            .iter()
            .filter(|s| s.kind != SchemaKind::Event)
            .map(|s| {
                let validator = jsonschema::options()
                    .should_validate_formats(true)
                    .build(&s.schema)
                    .unwrap_or_else(|e| panic!("{}: {e}", s.name));
                (s.name.clone(), validator)
            })
            .collect()
    })
}

/// Why `body` is not a valid document of schema `name` (empty when it is).
fn violations(name: &str, body: &Value) -> Vec<String> {
    let Some(validator) = validators().get(name) else {
        return vec![format!("no schema {name}")];
    };
    validator
        .iter_errors(body)
        .map(|e| format!("{name}: {e} at {}", e.instance_path()))
        .collect()
}

fn parse(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))
}

/// Why a status callback body is outside its contract (empty when it is not).
pub fn callback_violations(body: &[u8]) -> Vec<String> {
    match parse(body) {
        Ok(body) => violations(CALLBACK_SCHEMA, &body),
        Err(error) => vec![error],
    }
}

/// Why a message from the events exchange is outside its contract: its body against the
/// schema of its routing key, and its `message_id` and `type` properties against the body.
pub fn amqp_violations(
    routing_key: &str,
    message_id: Option<&str>,
    kind: Option<&str>,
    body: &[u8],
) -> Vec<String> {
    let body = match parse(body) {
        Ok(body) => body,
        Err(error) => return vec![error],
    };
    let event_type = body["type"].as_str().unwrap_or_default();
    let name = message_schema_name(event_type);
    let mut found = violations(&name, &body);
    if name != format!("amqp.{routing_key}") {
        found.push(format!(
            "{event_type} published with routing key {routing_key}"
        ));
    }
    if message_id != body["event_id"].as_str() {
        found.push(format!("message_id {message_id:?} is not the event id"));
    }
    if kind != Some(event_type) {
        found.push(format!("type property {kind:?} is not {event_type}"));
    }
    found
}
