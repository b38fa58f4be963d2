//! JSON Schemas (draft 2020-12) of the stored events: one per event type and version, as the
//! payload is stored in the log. They are derived from the payload types (`schemars`), so
//! code and contract cannot disagree; an older version's schema is the current one with
//! the fields it did not have removed and those it had instead added (the same fields the
//! codec's upcasting reads). Schemas are strict (`additionalProperties: false`): a stored
//! payload with a field the type does not know is outside the contract.
//!
//! docs/event-versioning.md describes how a type gets a new version.

use serde_json::Value;

/// The schema of one stored event type at one version.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    /// The aggregate: `offer`, `authorization`, `status_list` or `issuer`.
    pub aggregate: &'static str,
    /// The stored type name, e.g. `OfferCreated`.
    pub event_type: &'static str,
    /// The stored schema version.
    pub version: u32,
    /// The JSON Schema of the payload.
    pub schema: Value,
}

impl EventSchema {
    /// The schema's published name: `event.<aggregate>.<type>.v<version>`.
    pub fn name(&self) -> String {
        event_schema_name(self.aggregate, self.event_type, self.version)
    }
}

/// The published name of an event schema: `event.<aggregate>.<type>.v<version>`.
pub fn event_schema_name(aggregate: &str, event_type: &str, version: u32) -> String {
    format!("event.{aggregate}.{event_type}.v{version}")
}

/// The codecs: aggregate, type names, schema function, current version.
fn codecs() -> [(&'static str, &'static [&'static str], SchemaFn, VersionFn); 4] {
    [
        (
            "offer",
            &crate::offer::EVENT_TYPES,
            crate::offer::codec::schema,
            crate::offer::current_version,
        ),
        (
            "authorization",
            &crate::authorization::EVENT_TYPES,
            crate::authorization::event::schema,
            crate::authorization::current_version,
        ),
        (
            "status_list",
            &crate::status_list::stream::EVENT_TYPES,
            crate::status_list::stream::schema,
            |_| 1,
        ),
        (
            "issuer",
            &crate::issuer::EVENT_TYPES,
            crate::issuer::codec::schema,
            crate::issuer::current_version,
        ),
    ]
}

/// Every stored event type at every version the codecs decode, as
/// `(aggregate, type, version)`.
pub fn stored_versions() -> Vec<(&'static str, &'static str, u32)> {
    let mut versions = Vec::new();
    for (aggregate, types, _, current) in codecs() {
        for event_type in types {
            versions.extend((1..=current(event_type)).map(|v| (aggregate, *event_type, v)));
        }
    }
    versions
}

/// Every stored event type at every version this code decodes that has a schema (a test
/// requires all of them to): the Offer's, the AuthorizationSession's, the status lists' and
/// the Issuer's.
pub fn event_schemas() -> Vec<EventSchema> {
    let mut schemas = Vec::new();
    for (aggregate, _, schema, _) in codecs() {
        for (_, event_type, version) in stored_versions()
            .into_iter()
            .filter(|(a, _, _)| *a == aggregate)
        {
            if let Some(mut schema) = schema(event_type, version) {
                if let Some(object) = schema.as_object_mut() {
                    object.insert("title".into(), format!("{event_type} v{version}").into());
                }
                schemas.push(EventSchema {
                    aggregate,
                    event_type,
                    version,
                    schema,
                });
            }
        }
    }
    schemas
}

/// A codec's schema function: the payload schema of a type at a version.
type SchemaFn = fn(&str, u32) -> Option<Value>;
/// A codec's current version of a type.
type VersionFn = fn(&str) -> u32;
