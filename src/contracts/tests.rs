//! The contract documents: complete, consistent with each other, valid schemas, and equal
//! to the copy checked in under docs/contracts/.

use std::collections::BTreeSet;
use std::path::Path;

use issuance_domain::offer::EVENT_TYPES;
use serde_json::Value;

use super::*;

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

fn pointer<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema_with_a_unique_name() {
    let mut names = BTreeSet::new();
    for schema in schemas() {
        assert!(names.insert(schema.name.clone()), "{} twice", schema.name);
        assert!(
            schema
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{}",
            schema.name
        );
        assert_eq!(
            schema.schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::draft202012::meta::validate(&schema.schema)
            .unwrap_or_else(|e| panic!("{}: {e}", schema.name));
        jsonschema::draft202012::new(&schema.schema)
            .unwrap_or_else(|e| panic!("{}: {e}", schema.name));
        let mut found = Vec::new();
        refs(&schema.schema, &mut found);
        for reference in found {
            assert!(
                pointer(&schema.schema, &reference).is_some(),
                "{}: dangling {reference}",
                schema.name
            );
        }
    }
    let kinds = |kind| schemas().iter().filter(|s| s.kind == kind).count();
    assert_eq!(kinds(SchemaKind::Event), 36);
    assert_eq!(
        kinds(SchemaKind::Amqp),
        EVENT_TYPES.len() + issuance_domain::issuer::EVENT_TYPES.len()
    );
    assert_eq!(kinds(SchemaKind::Callback), 1);
}

#[test]
fn the_asyncapi_document_covers_every_routing_key_and_its_references_resolve() {
    let document = asyncapi::document();
    assert_eq!(document["asyncapi"], "3.0.0");
    for event_type in asyncapi::published_event_types() {
        let channel = &document["channels"][asyncapi::channel_id(event_type)];
        assert_eq!(
            channel["address"],
            messages::message_routing_key(event_type),
            "{event_type}"
        );
        assert!(
            document["operations"][format!("publish_{}", asyncapi::channel_id(event_type))]
                .is_object()
        );
    }
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        if let Some(file) = reference.strip_prefix("schemas/") {
            let name = file.strip_suffix(".json").unwrap();
            assert!(schema(name).is_some(), "{reference} is no published schema");
        } else {
            assert!(
                pointer(&document, &reference).is_some(),
                "dangling {reference}"
            );
        }
    }
}

#[test]
fn a_message_schema_accepts_its_own_type_only() {
    let validator = jsonschema::draft202012::new(schema("amqp.offer.revoked").unwrap()).unwrap();
    let message = serde_json::json!({
        "event_id": "0193a1c3-02aa-7f10-8e5d-4b7c9a0e1f23",
        "offer_id": "0193a1c2-7d4e-7b21-9c3f-2a6b8e1f4d57",
        "sequence": 3,
        "position": 812,
        "type": "OfferRevoked",
        "version": 1,
        "occurred_at": "2026-12-05T20:17:03.512340Z",
        "actor": "backoffice",
        "data": {"reason": null},
    });
    assert!(validator.is_valid(&message));
    let mut other = message.clone();
    other["type"] = "OfferExpired".into();
    assert!(!validator.is_valid(&other));
    let mut renamed = message;
    renamed["data"] = serde_json::json!({"revocation_reason": "asked"});
    assert!(!validator.is_valid(&renamed));
}

/// `issuance schemas --out docs/contracts` regenerates the copy.
#[test]
fn the_checked_in_documents_are_the_generated_ones() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/contracts");
    let expected: BTreeSet<String> = output::files().into_iter().map(|(p, _)| p).collect();
    for (path, document) in output::files() {
        let checked_in = std::fs::read_to_string(dir.join(&path)).unwrap_or_default();
        assert!(
            checked_in == output::render(&document),
            "docs/contracts/{path} differs from the generated document: \
             run `cargo run -- schemas --out docs/contracts` and review the change"
        );
    }
    for entry in std::fs::read_dir(dir.join("schemas")).unwrap() {
        let path = format!("schemas/{}", entry.unwrap().file_name().to_string_lossy());
        assert!(
            expected.contains(&path),
            "docs/contracts/{path} is no longer generated"
        );
    }
}

/// The official AsyncAPI 3.0.0 JSON Schema (from the `@asyncapi/specs` package,
/// Apache-2.0, `schemas/3.0.0-without-$id.json`), vendored so the check runs offline.
#[test]
fn the_asyncapi_document_is_valid_against_the_asyncapi_3_0_0_schema() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asyncapi/3.0.0-without-id.json");
    let specification: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft7::new(&specification).unwrap();
    let document = asyncapi::document();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The check has teeth: a channel without its required shape is refused.
    let mut broken = document;
    broken["channels"]["offer_created"]["messages"] = Value::from("OfferCreated");
    assert!(!validator.is_valid(&broken));
}
