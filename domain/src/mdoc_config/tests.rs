use super::*;
use serde_json::json;

const MDL: &str = "org.iso.18013.5.1";

fn claim(
    namespace: &str,
    element: &str,
    mandatory: bool,
    value_type: MdocValueType,
) -> MdocClaimDefinition {
    MdocClaimDefinition {
        namespace: namespace.into(),
        element: element.into(),
        mandatory,
        value_type,
        display: vec![],
    }
}

fn mdl() -> MdocConfiguration {
    MdocConfiguration {
        id: "mDL".into(),
        doctype: "org.iso.18013.5.1.mDL".into(),
        scope: "mdl".into(),
        display: vec![],
        claims: vec![
            claim(MDL, "family_name", true, MdocValueType::Tstr),
            claim(MDL, "birth_date", true, MdocValueType::FullDate),
            claim(MDL, "portrait", false, MdocValueType::Bstr),
            claim(MDL, "height", false, MdocValueType::Uint),
            claim(MDL, "age_over_18", false, MdocValueType::Bool),
            claim(MDL, "issue_date", false, MdocValueType::Tdate),
            claim(
                MDL,
                "driving_privileges",
                false,
                MdocValueType::DrivingPrivileges,
            ),
            claim(
                "org.iso.18013.5.1.aamva",
                "organ_donor",
                false,
                MdocValueType::Uint,
            ),
            claim(
                "eu.europa.ec.eudi.pid.1",
                "nationality",
                false,
                MdocValueType::Array,
            ),
            claim(
                "eu.europa.ec.eudi.pid.1",
                "place_of_birth",
                false,
                MdocValueType::Map,
            ),
        ],
        validity_seconds: 86_400,
        credential_signing_alg_values_supported: vec![COSE_ALG_ES256],
    }
}

fn claims(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn problems_of(value: Value) -> Vec<(String, String)> {
    mdl()
        .validate_claims(&claims(value))
        .into_iter()
        .map(|p| (p.claim, p.problem))
        .collect()
}

#[test]
fn accepts_complete_claims_of_every_type() {
    let problems = problems_of(json!({
        MDL: {
            "family_name": "Mustermann", "birth_date": "1971-09-01", "portrait": "/9j/4AAQ",
            "height": 176, "age_over_18": true, "issue_date": "2024-01-15T10:00:00Z",
            "driving_privileges": [
                {"vehicle_category_code": "B", "issue_date": "2010-03-01",
                 "expiry_date": "2030-03-01", "codes": [{"code": "78"}, {"code": "S01", "sign": "<=", "value": "3"}]},
                {"vehicle_category_code": "A"}
            ]
        },
        "org.iso.18013.5.1.aamva": {"organ_donor": 1},
        "eu.europa.ec.eudi.pid.1": {
            "nationality": ["DE", "FR"],
            "place_of_birth": {"locality": "Berlin", "country": "DE"}
        }
    }));
    assert_eq!(problems, vec![]);
}

#[test]
fn reports_every_missing_mandatory_element_and_null_counts_as_missing() {
    let problems = problems_of(json!({MDL: {"family_name": null}}));
    assert_eq!(
        problems,
        vec![
            (
                format!("{MDL}/family_name"),
                "missing mandatory claim".into()
            ),
            (
                format!("{MDL}/birth_date"),
                "missing mandatory claim".into()
            ),
        ]
    );
}

#[test]
fn reports_undefined_namespaces_and_elements() {
    let problems = problems_of(json!({
        MDL: {"family_name": "M", "birth_date": "1971-09-01", "shoe_size": 42},
        "org.example.unknown": {"x": 1},
        "org.example.scalar": 7
    }));
    // Map order depends on serde_json's `preserve_order` (unified across the workspace).
    let mut names: Vec<_> = problems
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str()))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            (
                "org.example.scalar",
                "namespace not defined by the credential configuration"
            ),
            (
                "org.example.unknown/x",
                "not defined by the credential configuration"
            ),
            (
                "org.iso.18013.5.1/shoe_size",
                "not defined by the credential configuration"
            ),
        ]
    );
}

#[test]
fn a_defined_namespace_must_be_an_object() {
    let problems = problems_of(json!({MDL: ["family_name"]}));
    assert!(problems.contains(&(MDL.to_string(), "must be an object of data elements".into())));
}

#[test]
fn reports_wrong_types() {
    let problems = problems_of(json!({
        MDL: {
            "family_name": 7, "birth_date": "01.09.1971", "portrait": "not base64!",
            "height": -1, "age_over_18": "yes", "issue_date": "2024-01-15T10:00:00.5Z"
        },
        "eu.europa.ec.eudi.pid.1": {"nationality": ["DE", null], "place_of_birth": {"lat": 52.5}}
    }));
    let expected = [
        ("org.iso.18013.5.1/family_name", "must be a string"),
        (
            "org.iso.18013.5.1/birth_date",
            "must be a date (YYYY-MM-DD)",
        ),
        ("org.iso.18013.5.1/portrait", "must be base64-encoded bytes"),
        ("org.iso.18013.5.1/height", "must be a non-negative integer"),
        ("org.iso.18013.5.1/age_over_18", "must be a boolean"),
        (
            "org.iso.18013.5.1/issue_date",
            "must be a date-time (YYYY-MM-DDThh:mm:ssZ)",
        ),
        (
            "eu.europa.ec.eudi.pid.1/nationality",
            "must be an array of strings, integers, booleans, arrays or objects",
        ),
        (
            "eu.europa.ec.eudi.pid.1/place_of_birth",
            "must be an object of strings, integers, booleans, arrays or objects",
        ),
    ];
    let names: Vec<_> = problems
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str()))
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn driving_privileges_are_checked_member_by_member() {
    let problems = problems_of(json!({
        MDL: {
            "family_name": "M", "birth_date": "1971-09-01",
            "driving_privileges": [
                "B",
                {"issue_date": "2010-13-01", "codes": [], "colour": "red"},
                {"vehicle_category_code": "C", "codes": [{"sign": 1}, 2]}
            ]
        }
    }));
    let prefix = "org.iso.18013.5.1/driving_privileges";
    let names: Vec<_> = problems
        .iter()
        .map(|(c, p)| (c.trim_start_matches(prefix), p.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("[0]", "must be an object"),
            ("[1].vehicle_category_code", "is required"),
            ("[1].issue_date", "must be a date (YYYY-MM-DD)"),
            ("[1].codes", "must be a non-empty array"),
            ("[1].colour", "is not a member of this structure"),
            ("[2].codes[0].code", "is required"),
            ("[2].codes[0].sign", "must be a string"),
            ("[2].codes[1]", "must be an object"),
        ]
    );
    assert_eq!(
        problems_of(json!({MDL: {"family_name": "M", "birth_date": "1971-09-01",
            "driving_privileges": {"vehicle_category_code": "B"}}})),
        vec![(
            prefix.to_string(),
            "must be an array of driving privileges".into()
        )]
    );
}

#[test]
fn tdate_check_is_strict() {
    assert!(values::is_tdate("2024-02-29T23:59:59Z"));
    for bad in [
        "2024-02-29T23:59:59.1Z",
        "2024-02-29T23:59:59+01:00",
        "2024-02-29 23:59:59Z",
        "2024-02-29T24:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-02-29T23:59Z",
    ] {
        assert!(!values::is_tdate(bad), "{bad}");
    }
}

#[test]
fn base64_is_accepted_in_every_common_spelling() {
    for text in ["+/+/", "-_-_", "YQ==", "YQ"] {
        assert!(values::decode_base64(text).is_some(), "{text}");
    }
    assert!(values::decode_base64("a b").is_none());
}

#[test]
fn configuration_problems_name_the_field() {
    let mut config = mdl();
    assert_eq!(config.problems(), vec![]);
    config.doctype = " ".into();
    config.validity_seconds = 0;
    config.credential_signing_alg_values_supported = vec![-7, -35];
    config
        .claims
        .push(claim(MDL, "family_name", false, MdocValueType::Tstr));
    config
        .claims
        .push(claim("", "x", false, MdocValueType::Tstr));
    let fields: Vec<String> = config.problems().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        vec![
            "doctype",
            "validity_days",
            "credential_signing_alg_values_supported",
            "claims[10].path",
            "claims[11].path"
        ]
    );
    config.claims.clear();
    config.credential_signing_alg_values_supported.clear();
    let fields: Vec<String> = config.problems().into_iter().map(|(f, _)| f).collect();
    assert!(fields.contains(&"claims".to_string()));
    assert!(fields.contains(&"credential_signing_alg_values_supported".to_string()));
}

#[test]
fn metadata_has_the_oid4vci_1_0_mso_mdoc_shape() {
    let mut config = mdl();
    config.display = vec![Display {
        name: "Mobile Driving Licence".into(),
        locale: Some("en-US".into()),
        ..Display::default()
    }];
    config.claims[0].display = vec![ClaimDisplay {
        name: "Family name".into(),
        locale: Some("en-US".into()),
        description: None,
    }];
    let metadata = config.metadata(&["ES256", "EdDSA"]);
    assert_eq!(metadata["format"], "mso_mdoc");
    assert_eq!(metadata["doctype"], "org.iso.18013.5.1.mDL");
    assert_eq!(metadata["scope"], "mdl");
    assert_eq!(
        metadata["cryptographic_binding_methods_supported"],
        json!(["cose_key"])
    );
    assert_eq!(
        metadata["credential_signing_alg_values_supported"],
        json!([-7])
    );
    assert_eq!(
        metadata["proof_types_supported"],
        json!({"jwt": {"proof_signing_alg_values_supported": ["ES256", "EdDSA"]}})
    );
    let first = &metadata["credential_metadata"]["claims"][0];
    assert_eq!(
        first,
        &json!({"path": [MDL, "family_name"], "mandatory": true,
                "display": [{"name": "Family name", "locale": "en-US"}]})
    );
    assert_eq!(
        metadata["credential_metadata"]["display"][0]["name"],
        "Mobile Driving Licence"
    );
    assert!(metadata.get("vct").is_none());
}

#[test]
fn namespaces_keep_definition_order_and_claims_are_found() {
    let config = mdl();
    assert_eq!(
        config.namespaces(),
        vec![MDL, "org.iso.18013.5.1.aamva", "eu.europa.ec.eudi.pid.1"]
    );
    assert!(config.claim(MDL, "portrait").is_some());
    assert!(config
        .claim("org.iso.18013.5.1.aamva", "portrait")
        .is_none());
}

#[test]
fn value_types_use_cddl_names_in_configuration() {
    let types: Vec<MdocValueType> = serde_json::from_value(json!([
        "tstr",
        "uint",
        "bool",
        "full-date",
        "tdate",
        "bstr",
        "array",
        "map",
        "driving_privileges"
    ]))
    .unwrap();
    assert_eq!(types.len(), 9);
    assert!(serde_json::from_value::<MdocValueType>(json!("date")).is_err());
}
