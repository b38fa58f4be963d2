//! Building JSON Schemas (draft 2020-12) from the payload types (`schemars`): the codecs
//! use these for the schema of each stored event type and version (see [`crate::event_schema`]).

use serde_json::{Map, Value};

use schemars::JsonSchema;

/// The schema of `T`'s serialised form, as a JSON value.
pub fn schema_of<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}

/// The schema of an older version: `current` without the properties in `removed`, with the
/// properties (and required ones) of `legacy` added.
pub fn legacy_schema(mut current: Value, legacy: &Value, removed: &[&str]) -> Value {
    if let Some(properties) = current.get_mut("properties").and_then(Value::as_object_mut) {
        for name in removed {
            properties.remove(*name);
        }
        if let Some(added) = legacy.get("properties").and_then(Value::as_object) {
            properties.extend(added.clone());
        }
    }
    let mut required: Vec<Value> = current
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    required.retain(|name| !removed.iter().any(|r| name == r));
    for name in legacy
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !required.contains(name) {
            required.push(name.clone());
        }
    }
    if let Some(object) = current.as_object_mut() {
        object.insert("required".into(), Value::Array(required));
        if let Some(defs) = legacy.get("$defs").and_then(Value::as_object) {
            let merged = object
                .entry("$defs")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(merged) = merged.as_object_mut() {
                merged.extend(defs.clone());
            }
        }
    }
    current
}
