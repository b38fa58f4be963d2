use super::*;
use crate::catalog::CredentialCatalog;
use serde_json::json;

fn definition(path: Value, mandatory: bool, value_type: Option<ClaimValueType>) -> ClaimDefinition {
    ClaimDefinition {
        path: serde_json::from_value(path).unwrap(),
        mandatory,
        selectively_disclosable: true,
        value_type,
        display: vec![],
    }
}

fn configuration() -> CredentialConfiguration {
    CredentialConfiguration {
        id: "Identity".into(),
        format: FORMAT_DC_SD_JWT.into(),
        vct: "https://example.com/identity".into(),
        scope: "identity".into(),
        display: vec![],
        claims: vec![
            definition(json!(["given_name"]), true, Some(ClaimValueType::String)),
            definition(json!(["family_name"]), true, None),
            definition(json!(["birthdate"]), false, Some(ClaimValueType::Date)),
            definition(json!(["address", "locality"]), false, None),
            definition(json!(["address", "country"]), false, None),
            definition(json!(["nationalities", null]), false, None),
        ],
        validity_seconds: 3600,
        type_metadata: None,
        key_attestations_required: None,
    }
}

fn claims(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn accepts_complete_claims() {
    let problems = configuration().validate_claims(&claims(json!({
        "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
        "address": {"locality": "Berlin", "country": "DE"}, "nationalities": ["DE", "FR"]
    })));
    assert_eq!(problems, vec![]);
}

#[test]
fn reports_every_missing_mandatory_claim() {
    let problems = configuration().validate_claims(&claims(json!({})));
    let names: Vec<_> = problems.iter().map(|p| p.claim.as_str()).collect();
    assert_eq!(names, vec!["given_name", "family_name"]);
    assert!(problems
        .iter()
        .all(|p| p.problem == "missing mandatory claim"));
}

#[test]
fn reports_undefined_claims_at_any_depth() {
    let problems = configuration().validate_claims(&claims(json!({
        "given_name": "Erika", "family_name": "M", "shoe_size": 42,
        "address": {"locality": "Berlin", "street": "Hauptstr. 1"}
    })));
    let mut names: Vec<_> = problems.iter().map(|p| p.claim.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["address.street", "shoe_size"]);
}

#[test]
fn reports_wrong_types() {
    let problems = configuration().validate_claims(&claims(json!({
        "given_name": 7, "family_name": "M", "birthdate": "12.08.1964", "address": "Berlin"
    })));
    let names: Vec<_> = problems
        .iter()
        .map(|p| (p.claim.as_str(), p.problem.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("given_name", "must be a string"),
            ("birthdate", "must be a date (YYYY-MM-DD)"),
            ("address", "must be an object"),
        ]
    );
}

#[test]
fn null_counts_as_missing() {
    let problems =
        configuration().validate_claims(&claims(json!({"given_name": null, "family_name": "M"})));
    assert_eq!(problems[0].claim, "given_name");
}

#[test]
fn path_pointer_round_trips_with_null() {
    let path: ClaimPath = serde_json::from_value(json!(["nationalities", null, 2])).unwrap();
    assert_eq!(
        path.0,
        vec![
            PathElement::Key("nationalities".into()),
            PathElement::AllElements,
            PathElement::Index(2)
        ]
    );
    assert_eq!(
        serde_json::to_value(&path).unwrap(),
        json!(["nationalities", null, 2])
    );
    assert_eq!(path.to_string(), "nationalities[*][2]");
}

#[test]
fn date_check_is_strict() {
    assert!(is_iso_date("2024-02-29"));
    assert!(!is_iso_date("2024-13-01"));
    assert!(!is_iso_date("2024-1-01"));
    assert!(!is_iso_date("abcd-ef-gh"));
}

#[test]
fn catalog_finds_by_id_and_scope() {
    let catalog = CredentialCatalog::new(vec![configuration()]);
    assert!(catalog.get("Identity").is_some());
    assert!(catalog.by_scope("identity").is_some());
    assert!(catalog.get("Other").is_none());
}
