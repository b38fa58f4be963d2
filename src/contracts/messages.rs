//! The schemas of what leaves the service: one per AMQP message type (the envelope with
//! the event's `type`, its stored versions and its public `data`), and the status callback
//! body.

use issuance_domain::offer::{current_version, EVENT_TYPES};
use issuance_domain::schema::schema_of;
use issuance_projections::public_data::public_data_schema;
use serde_json::{json, Map, Value};

use crate::integration::callbacks::payload::{CallbackStatus, StatusCallback};
use crate::integration::envelope::{routing_key, EventEnvelope};

/// The name of the status callback body's schema.
pub const CALLBACK_SCHEMA: &str = "callback.status";

/// The name of the schema of the AMQP message of `event_type`: `amqp.<routing key>`.
pub fn message_schema_name(event_type: &str) -> String {
    format!("amqp.{}", routing_key(event_type))
}

/// The AMQP message of `event_type`: the [`EventEnvelope`] with `type` fixed, `version` one
/// of the type's stored versions and `data` its public data (`None` for an unknown type).
pub fn message_schema(event_type: &str) -> Option<Value> {
    let data = public_data_schema(event_type)?;
    let mut envelope = schema_of::<EventEnvelope>();
    let versions: Vec<u32> = (1..=current_version(event_type)).collect();
    let fixed = [
        (
            "type",
            json!({"description": "The stable type name.", "const": event_type}),
        ),
        (
            "version",
            json!({"description": "The stored schema version of the event.", "enum": versions}),
        ),
    ];
    let object = envelope.as_object_mut()?;
    object.insert(
        "title".into(),
        format!("{event_type} ({})", routing_key(event_type)).into(),
    );
    let properties = object.get_mut("properties")?.as_object_mut()?;
    for (name, schema) in fixed {
        properties.insert(name.into(), schema);
    }
    let (data, defs) = split_defs(data);
    properties.insert("data".into(), data);
    if !defs.is_empty() {
        let merged = object
            .entry("$defs")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(merged) = merged.as_object_mut() {
            merged.extend(defs);
        }
    }
    Some(envelope)
}

/// A schema without its `$schema` and `$defs` (to embed), and those definitions.
fn split_defs(mut schema: Value) -> (Value, Map<String, Value>) {
    let Some(object) = schema.as_object_mut() else {
        return (schema, Map::new());
    };
    object.remove("$schema");
    object.remove("title");
    let defs = match object.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        _ => Map::new(),
    };
    (schema, defs)
}

/// Every AMQP message schema, by name, in the event types' lifecycle order.
pub fn message_schemas() -> Vec<(String, Value)> {
    EVENT_TYPES
        .iter()
        .filter_map(|t| Some((message_schema_name(t), message_schema(t)?)))
        .collect()
}

/// The status callback body: the [`StatusCallback`] type, plus which statuses carry
/// `errorDetails` (only `FAILED`) and `credentialId` (only the `CREDENTIAL_*` ones).
pub fn callback_schema() -> Value {
    let mut schema = schema_of::<StatusCallback>();
    let failed = CallbackStatus::Failed.as_str();
    let credential: Vec<&str> = [
        CallbackStatus::CredentialRevoked,
        CallbackStatus::CredentialSuspended,
        CallbackStatus::CredentialReinstated,
    ]
    .map(CallbackStatus::as_str)
    .to_vec();
    if let Some(object) = schema.as_object_mut() {
        object.insert("title".into(), "Status callback".into());
        object.insert(
            "allOf".into(),
            json!([
                {
                    "if": {"properties": {"status": {"const": failed}}},
                    "then": {"properties": {"errorDetails": {"type": "object"}}},
                    "else": {"properties": {"errorDetails": {"type": "null"}}},
                },
                {
                    "if": {"properties": {"status": {"enum": credential}}},
                    "then": {"required": ["credentialId"]},
                    "else": {"not": {"required": ["credentialId"]}},
                },
            ]),
        );
    }
    schema
}
