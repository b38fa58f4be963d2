//! The published contracts of the integration side: the JSON Schema (draft 2020-12) of
//! every stored event type and version, of every AMQP message the relay publishes and of
//! the status callback body, and the AsyncAPI 3.0 document that ties the messages to the
//! exchange, queues and webhook. All are generated from the Rust types (`schemars`), so
//! code and contract cannot drift; served on the management listener (`GET /schemas`,
//! `GET /schemas/{name}.json`, `GET /asyncapi.json`) and written by `issuance schemas`.
//! The OpenAPI 3.1 documents of the two HTTP APIs are in [`openapi`].

pub mod asyncapi;
pub mod messages;
pub mod openapi;
pub mod output;

use std::sync::OnceLock;

use issuance_domain::event_schema::event_schemas;
use serde::Serialize;
use serde_json::{json, Value};

/// What a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaKind {
    /// A stored event's payload at one version.
    Event,
    /// An AMQP message body on the events exchange (and the callback queues).
    Amqp,
    /// A status callback body.
    Callback,
}

/// One published schema.
#[derive(Debug, Clone, Serialize)]
pub struct NamedSchema {
    /// The name in `/schemas/{name}.json`, e.g. `event.offer.OfferCreated.v2`.
    pub name: String,
    /// What it describes.
    pub kind: SchemaKind,
    /// Its title.
    pub title: String,
    /// The JSON Schema.
    #[serde(skip)]
    pub schema: Value,
}

fn titled(name: String, kind: SchemaKind, schema: Value) -> NamedSchema {
    let title = schema
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(&name)
        .to_string();
    NamedSchema {
        name,
        kind,
        title,
        schema,
    }
}

/// Every published schema: stored events, then AMQP messages, then the callback body.
pub fn schemas() -> &'static [NamedSchema] {
    static SCHEMAS: OnceLock<Vec<NamedSchema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let events = event_schemas()
            .into_iter()
            .map(|e| titled(e.name(), SchemaKind::Event, e.schema));
        let amqp = messages::message_schemas()
            .into_iter()
            .map(|(name, schema)| titled(name, SchemaKind::Amqp, schema));
        let callback = titled(
            messages::CALLBACK_SCHEMA.into(),
            SchemaKind::Callback,
            messages::callback_schema(),
        );
        events.chain(amqp).chain([callback]).collect()
    })
}

/// The schema named `name`, if there is one.
pub fn schema(name: &str) -> Option<&'static Value> {
    schemas().iter().find(|s| s.name == name).map(|s| &s.schema)
}

/// The path of a schema relative to the index and the AsyncAPI document.
pub fn schema_path(name: &str) -> String {
    format!("schemas/{name}.json")
}

/// `GET /schemas`: every schema's name, kind, title and address, and the AsyncAPI
/// document's address.
pub fn index() -> Value {
    let entries: Vec<Value> = schemas()
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "kind": s.kind,
                "title": s.title,
                "href": format!("/{}", schema_path(&s.name)),
            })
        })
        .collect();
    json!({"schemas": entries, "asyncapi": "/asyncapi.json"})
}

#[cfg(test)]
mod tests;
