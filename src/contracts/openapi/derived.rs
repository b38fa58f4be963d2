//! Component schemas derived from the Rust types the handlers serialise (`schemars`, the
//! same derive the event schemas use), so a field renamed in the type is renamed in the
//! document. References point into `#/components/schemas/`; every object schema is closed
//! (`additionalProperties: false`), so a response with a field the type does not have is
//! outside the contract.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{Map, Value};

/// Collects the schemas of serialised types as OpenAPI components.
pub(super) struct Derived {
    generator: SchemaGenerator,
}

impl Derived {
    /// An empty collection: draft 2020-12 schemas of what the types serialise to.
    pub(super) fn new() -> Derived {
        let settings = SchemaSettings::draft2020_12()
            .for_serialize()
            .with(|settings| {
                settings.definitions_path = "/components/schemas".into();
                settings.meta_schema = None;
            });
        Derived {
            generator: settings.into_generator(),
        }
    }

    /// Adds `T` (and the types it refers to) to the components; returns its reference.
    pub(super) fn add<T: JsonSchema>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    /// The collected components, every object schema closed.
    pub(super) fn components(mut self) -> Map<String, Value> {
        let mut definitions = self.generator.take_definitions(true);
        for schema in definitions.values_mut() {
            close(schema);
        }
        definitions
    }
}

/// Sets `additionalProperties: false` on every object schema (one with `properties`) that
/// does not say otherwise.
pub(super) fn close(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (keyword, value) in map.iter_mut() {
                match keyword.as_str() {
                    // Maps of names to schemas.
                    "properties" | "$defs" | "patternProperties" | "dependentSchemas" => {
                        if let Some(schemas) = value.as_object_mut() {
                            schemas.values_mut().for_each(close);
                        }
                    }
                    // Values, not schemas.
                    "enum" | "const" | "default" | "examples" | "required" => {}
                    _ => close(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}
