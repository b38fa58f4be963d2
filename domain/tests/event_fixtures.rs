//! Every stored event type and version has a fixture (real JSON as stored) under
//! `tests/fixtures/events/<aggregate>/<Type>.v<N>.json` that must keep decoding and must
//! validate against the type's published JSON Schema; a fixture at the current version
//! is exactly what the code writes again. See docs/event-versioning.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use issuance_domain::authorization::AuthorizationEvent;
use issuance_domain::event_schema::{event_schemas, stored_versions, EventSchema};
use issuance_domain::issuer::IssuerEvent;
use issuance_domain::offer::OfferEvent;
use issuance_domain::status_list::stream::StatusListEvent;
use issuance_domain::{DecodeError, StoredEvent};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Decodes a payload as its aggregate's codec does on read; returns the payload the code
/// would write for the decoded event.
fn decode(
    aggregate: &str,
    event_type: &str,
    version: u32,
    payload: &Value,
) -> Result<Value, DecodeError> {
    Ok(match aggregate {
        "offer" => OfferEvent::decode(event_type, version, payload)?.payload(),
        "authorization" => {
            StoredEvent::payload(&AuthorizationEvent::decode(event_type, version, payload)?)
        }
        "status_list" => {
            StoredEvent::payload(&StatusListEvent::decode(event_type, version, payload)?)
        }
        "issuer" => IssuerEvent::decode(event_type, version, payload)?.payload(),
        other => panic!("unknown aggregate {other}"),
    })
}

fn errors(schema: &EventSchema, instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft202012::new(&schema.schema)
        .unwrap_or_else(|e| panic!("{}: invalid schema: {e}", schema.name()));
    validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect()
}

fn fixture_path(dir: &str, schema: &EventSchema) -> PathBuf {
    fixtures()
        .join(dir)
        .join(schema.aggregate)
        .join(format!("{}.v{}.json", schema.event_type, schema.version))
}

fn schema_named(aggregate: &str, file: &str) -> EventSchema {
    event_schemas()
        .into_iter()
        .find(|s| {
            s.aggregate == aggregate && format!("{}.v{}.json", s.event_type, s.version) == file
        })
        .unwrap_or_else(|| panic!("no schema for {aggregate}/{file}"))
}

#[test]
fn every_stored_version_has_a_fixture_that_decodes_and_matches_its_schema() {
    let schemas = event_schemas();
    let listed: Vec<_> = schemas
        .iter()
        .map(|s| (s.aggregate, s.event_type, s.version))
        .collect();
    assert_eq!(
        listed,
        stored_versions(),
        "one schema per stored type and version"
    );
    for schema in &schemas {
        let path = fixture_path("events", schema);
        let payload = read(&path);
        let violations = errors(schema, &payload);
        assert!(
            violations.is_empty(),
            "{path:?} against {}: {violations:?}",
            schema.name()
        );
        let written = decode(
            schema.aggregate,
            schema.event_type,
            schema.version,
            &payload,
        )
        .unwrap_or_else(|e| panic!("{path:?} no longer decodes: {e}"));
        let current = match schema.aggregate {
            "offer" => issuance_domain::offer::current_version(schema.event_type),
            "authorization" => issuance_domain::authorization::current_version(schema.event_type),
            "issuer" => issuance_domain::issuer::current_version(schema.event_type),
            _ => 1,
        };
        if schema.version == current {
            assert_eq!(written, payload, "{path:?} is not what the code stores");
        } else {
            // An upcast event is written back at the current version's schema.
            let newer = schemas
                .iter()
                .find(|s| {
                    s.aggregate == schema.aggregate
                        && s.event_type == schema.event_type
                        && s.version == current
                })
                .unwrap();
            let violations = errors(newer, &written);
            assert!(violations.is_empty(), "{path:?} upcast: {violations:?}");
        }
    }
}

#[test]
fn every_fixture_names_a_stored_type_and_version() {
    let known: BTreeSet<PathBuf> = event_schemas()
        .iter()
        .map(|s| fixture_path("events", s))
        .collect();
    for aggregate in ["offer", "authorization", "status_list", "issuer"] {
        let dir = fixtures().join("events").join(aggregate);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert!(
                known.contains(&path),
                "{path:?} is no stored type and version"
            );
        }
    }
}

#[test]
fn a_fixture_with_a_renamed_field_is_rejected_by_its_schema() {
    // `reason` renamed: serde ignores the unknown field and decodes an event without a
    // reason, so only the schema catches the change.
    let schema = schema_named("offer", "OfferRevoked.v1.json");
    let renamed = read(&fixture_path("events-mismatched", &schema));
    assert!(decode("offer", "OfferRevoked", 1, &renamed).is_ok());
    let violations = errors(&schema, &renamed);
    assert!(
        violations.iter().any(|v| v.contains("revocation_reason")),
        "{violations:?}"
    );

    // A required field renamed: neither the schema nor the codec accept it.
    let schema = schema_named("offer", "OfferFailed.v1.json");
    let renamed = read(&fixture_path("events-mismatched", &schema));
    assert!(matches!(
        decode("offer", "OfferFailed", 1, &renamed),
        Err(DecodeError::Malformed { .. })
    ));
    assert!(!errors(&schema, &renamed).is_empty());
}

#[test]
fn a_version_1_payload_is_not_a_version_2_payload() {
    let v1 = schema_named("offer", "OfferCreated.v1.json");
    let v2 = schema_named("offer", "OfferCreated.v2.json");
    let payload = read(&fixture_path("events", &v1));
    assert!(
        !errors(&v2, &payload).is_empty(),
        "plaintext subject is not in version 2"
    );
    let payload = read(&fixture_path("events", &v2));
    assert!(
        !errors(&v1, &payload).is_empty(),
        "sealed subject is not in version 1"
    );
}
