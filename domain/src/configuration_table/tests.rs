use serde_json::json;

use super::sd_jwt::{default_format, external_type_metadata, is_sri};
use super::*;
use crate::credential_config::{ExternalTypeMetadata, PathElement};

#[test]
fn parses_paths() {
    let path = parse_claim_path("address.locality").unwrap();
    assert_eq!(
        path.0,
        vec![
            PathElement::Key("address".into()),
            PathElement::Key("locality".into())
        ]
    );
    let path = parse_claim_path("nationalities[]").unwrap();
    assert_eq!(
        path.0,
        vec![
            PathElement::Key("nationalities".into()),
            PathElement::AllElements
        ]
    );
    let path = parse_claim_path("degrees[0].name").unwrap();
    assert_eq!(
        path.0,
        vec![
            PathElement::Key("degrees".into()),
            PathElement::Index(0),
            PathElement::Key("name".into())
        ]
    );
}

#[test]
fn rejects_bad_paths() {
    for bad in ["", "a..b", "a[", "a[x]", "a[0]b", ".a"] {
        assert!(parse_claim_path(bad).is_err(), "{bad}");
    }
}

#[test]
fn sri_strings_name_a_sha2_digest_of_its_length() {
    assert!(is_sri(
        "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    ));
    for bad in [
        "",
        "sha256",
        "sha256-",
        "md5-1B2M2Y8AsgTpgAmY7PhCfg==",
        "sha384-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "sha256-47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
    ] {
        assert!(!is_sri(bad), "{bad}");
    }
}

#[test]
fn external_type_metadata_is_checked_by_field() {
    let table = |uri: Option<&str>, integrity: Option<&str>| SdJwtTable {
        id: "Identity".into(),
        format: default_format(),
        vct: "https://types.example/identity".into(),
        scope: None,
        display: Vec::new(),
        claims: Vec::new(),
        validity_days: 1,
        type_metadata_uri: uri.map(Into::into),
        type_metadata_integrity: integrity.map(Into::into),
        key_attestations_required: None,
    };
    let problems = |table: &SdJwtTable| {
        let mut fields = Vec::new();
        let external =
            external_type_metadata(table, &mut |field: &str, _| fields.push(field.to_string()));
        (external, fields)
    };
    let digest = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let (external, fields) = problems(&table(Some("https://types.example/identity"), Some(digest)));
    assert!(fields.is_empty(), "{fields:?}");
    assert_eq!(
        external,
        Some(ExternalTypeMetadata {
            uri: "https://types.example/identity".into(),
            integrity: Some(digest.into()),
        })
    );
    assert_eq!(problems(&table(None, None)), (None, vec![]));
    assert_eq!(
        problems(&table(None, Some(digest))).1,
        ["type_metadata_integrity"]
    );
    assert_eq!(
        problems(&table(Some("types.example/identity"), None)).1,
        ["type_metadata_uri"]
    );
    assert_eq!(
        problems(&table(
            Some("https://types.example/identity"),
            Some("sha256-x")
        ))
        .1,
        ["type_metadata_integrity"]
    );
}

fn no_scopes() -> BTreeSet<String> {
    BTreeSet::new()
}

fn fields(problems: &[FieldProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.field.as_str()).collect()
}

#[test]
fn json_of_either_format_is_read_by_its_format_and_normalised() {
    let (table, converted) = ConfigurationTable::from_json(
        "Identity",
        &json!({"vct": "https://example.com/identity", "claims": [{"path": "given_name"}]}),
        &no_scopes(),
    )
    .unwrap();
    assert_eq!((table.id(), table.scope()), ("Identity", "Identity"));
    assert_eq!(converted.entry().format(), "dc+sd-jwt");
    assert_eq!(converted.entry().validity_seconds(), 365 * 86_400);
    assert_eq!(
        table.to_json(),
        json!({
            "id": "Identity", "format": "dc+sd-jwt", "vct": "https://example.com/identity",
            "display": [], "validity_days": 365,
            "claims": [{"path": "given_name", "mandatory": false,
                        "selectively_disclosable": true, "display": []}],
        })
    );
    let normalised = table.to_json();
    let (again, _) = ConfigurationTable::from_json("Identity", &normalised, &no_scopes()).unwrap();
    assert_eq!(again, table, "the normalised JSON reads back the same");

    let (mdoc, converted) = ConfigurationTable::from_json(
        "mDL",
        &json!({"id": "mDL", "format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL",
                "scope": "mdl",
                "claims": [{"path": ["org.iso.18013.5.1", "family_name"], "value_type": "tstr"}]}),
        &no_scopes(),
    )
    .unwrap();
    assert!(matches!(mdoc, ConfigurationTable::Mdoc(_)));
    assert_eq!(mdoc.scope(), "mdl");
    assert_eq!(converted.entry().format(), "mso_mdoc");
    assert_eq!(
        mdoc.to_json()["credential_signing_alg_values_supported"],
        json!([-7])
    );
}

#[test]
fn json_problems_are_reported_by_field() {
    let problems = ConfigurationTable::from_json(
        "Identity",
        &json!({"vct": " ", "validity_days": 0, "scope": "taken",
                "claims": [{"path": "iss"}, {"path": "a..b"}, {"path": "x"}, {"path": "x"}]}),
        &BTreeSet::from(["taken".to_string()]),
    )
    .unwrap_err();
    assert_eq!(
        fields(&problems),
        [
            "scope",
            "vct",
            "validity_days",
            "claims[0].path",
            "claims[1].path",
            "claims[3].path"
        ]
    );
    assert!(problems[0].problem.contains("used by two configurations"));

    let problems = ConfigurationTable::from_json(
        "mDL",
        &json!({"format": "mso_mdoc", "doctype": "", "claims": []}),
        &no_scopes(),
    )
    .unwrap_err();
    assert_eq!(fields(&problems), ["doctype", "claims"]);

    let problems =
        ConfigurationTable::from_json("bad id", &json!({"vct": "v"}), &no_scopes()).unwrap_err();
    assert_eq!(fields(&problems), ["id", "scope"]);
}

#[test]
fn json_that_is_no_table_of_this_id_is_refused_as_a_whole_or_at_its_id() {
    for (json, field, text) in [
        (json!([]), "", "must be a JSON object"),
        (
            json!({"vct": "v", "doctype": "d"}),
            "",
            "unknown field `doctype`",
        ),
        (json!({"vct": 7}), "", "invalid type"),
        (
            json!({"id": "Other", "vct": "v"}),
            "id",
            "is not the configuration id",
        ),
        (
            json!({"id": 7, "vct": "v"}),
            "id",
            "is not the configuration id",
        ),
    ] {
        let problems = ConfigurationTable::from_json("Identity", &json, &no_scopes()).unwrap_err();
        assert_eq!(problems.len(), 1, "{json}");
        assert_eq!(problems[0].field, field, "{json}");
        assert!(problems[0].problem.contains(text), "{json}: {problems:?}");
    }
}

#[test]
fn ids_and_scopes_are_unique_among_the_configurations_checked_together() {
    let (mut ids, mut scopes) = (BTreeSet::new(), BTreeSet::new());
    let mut seen = Vec::new();
    for (id, scope) in [("a", "x"), ("a", "y"), ("b", "x"), ("", "bad scope")] {
        check_id_and_scope(id, scope, (&mut ids, &mut scopes), &mut |field, _| {
            seen.push(format!("{id}:{field}"))
        });
    }
    assert_eq!(seen, ["a:id", "b:scope", ":id", ":scope"]);
    assert!(is_identifier("eu.europa.ec.eudi.pid:1_a-b"));
    assert!(!is_identifier(&"a".repeat(129)));
}
