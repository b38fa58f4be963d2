//! The schemas of what leaves the service: one per AMQP message type (the envelope with
//! the event's `type`, its stored versions and its public `data`), and the status callback
//! body.

use issuance_domain::issuer;
use issuance_domain::offer::{current_version, EVENT_TYPES};
use issuance_domain::schema::schema_of;
use issuance_projections::public_data::public_data_schema;
use serde_json::{json, Map, Value};

use crate::integration::callbacks::payload::{CallbackStatus, StatusCallback};
use crate::integration::envelope::{routing_key, EventEnvelope};
use crate::integration::issuer_envelope::{issuer_routing_key, IssuerEnvelope};

/// The name of the status callback body's schema.
pub const CALLBACK_SCHEMA: &str = "callback.status";

/// The name of the schema of the AMQP message of `event_type`: `amqp.<routing key>`.
pub fn message_schema_name(event_type: &str) -> String {
    format!("amqp.{}", message_routing_key(event_type))
}

/// The routing key of `event_type`'s message: `offer.<event>` or `issuer.<event>`.
pub fn message_routing_key(event_type: &str) -> String {
    match is_issuer_event(event_type) {
        true => issuer_routing_key(event_type),
        false => routing_key(event_type),
    }
}

fn is_issuer_event(event_type: &str) -> bool {
    issuer::EVENT_TYPES.contains(&event_type)
}

/// The `data` of an Issuer message: the stored payload without `actor` and `at` (in the
/// envelope) and `key_ref` (internal); see [`IssuerEnvelope`].
fn issuer_data_schema(event_type: &str) -> Option<Value> {
    let mut schema = issuer::codec::schema(event_type, issuer::current_version(event_type))?;
    let object = schema.as_object_mut()?;
    let internal = ["actor", "at", "key_ref"];
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        properties.retain(|name, _| !internal.contains(&name.as_str()));
    }
    if let Some(required) = object.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|name| !name.as_str().is_some_and(|n| internal.contains(&n)));
    }
    Some(schema)
}

/// The AMQP message of `event_type`: the envelope ([`EventEnvelope`] for an Offer event,
/// [`IssuerEnvelope`] for an Issuer event) with `type` fixed, `version` one of the type's
/// stored versions and `data` its public data (`None` for an unknown type).
pub fn message_schema(event_type: &str) -> Option<Value> {
    let (data, mut envelope, current) = match is_issuer_event(event_type) {
        true => (
            issuer_data_schema(event_type)?,
            schema_of::<IssuerEnvelope>(),
            issuer::current_version(event_type),
        ),
        false => (
            public_data_schema(event_type)?,
            schema_of::<EventEnvelope>(),
            current_version(event_type),
        ),
    };
    let versions: Vec<u32> = (1..=current).collect();
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
        format!("{event_type} ({})", message_routing_key(event_type)).into(),
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

/// Every AMQP message schema, by name: the Offer's in lifecycle order, then the Issuer's.
pub fn message_schemas() -> Vec<(String, Value)> {
    EVENT_TYPES
        .iter()
        .chain(issuer::EVENT_TYPES.iter())
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
