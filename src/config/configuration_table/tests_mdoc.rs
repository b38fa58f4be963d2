//! The mdoc tables of the TOML file: the shipped examples, problems by field, uniqueness
//! across formats.

use issuance_domain::configuration_table::MdocTable;
use issuance_domain::mdoc_config::MdocValueType;
use serde::Deserialize;
use serde_json::json;

use crate::config::{convert_mdoc, ConfigError};

/// The shipped example file.
const EXAMPLE: &str = include_str!("../../../config/mdoc.example.toml");

#[derive(Deserialize)]
struct File {
    credential_configurations: Vec<MdocTable>,
}

fn parse(text: &str) -> Vec<MdocTable> {
    toml::from_str::<File>(text)
        .unwrap()
        .credential_configurations
}

#[test]
fn the_example_holds_a_valid_mdl_and_pid() {
    let configurations = convert_mdoc(&parse(EXAMPLE), "mdoc.example.toml").unwrap();
    let doctype = |id: &str| {
        configurations
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.doctype.as_str())
    };
    assert_eq!(
        doctype("org.iso.18013.5.1.mDL"),
        Some("org.iso.18013.5.1.mDL")
    );
    assert_eq!(
        doctype("eu.europa.ec.eudi.pid.1"),
        Some("eu.europa.ec.eudi.pid.1")
    );
    assert_eq!(configurations.len(), 2);
    let mdl = configurations
        .iter()
        .find(|c| c.id.ends_with("mDL"))
        .unwrap();
    for element in [
        "family_name",
        "given_name",
        "birth_date",
        "issue_date",
        "expiry_date",
        "issuing_country",
        "issuing_authority",
        "document_number",
        "portrait",
        "driving_privileges",
        "un_distinguishing_sign",
    ] {
        let claim = mdl.claim("org.iso.18013.5.1", element).unwrap();
        assert!(claim.mandatory, "{element} is mandatory in ISO 18013-5");
    }
    assert_eq!(
        mdl.claim("org.iso.18013.5.1", "driving_privileges")
            .unwrap()
            .value_type,
        MdocValueType::DrivingPrivileges
    );
    let metadata = mdl.metadata(&["ES256"]);
    assert_eq!(
        metadata["credential_metadata"]["claims"][0]["path"],
        json!(["org.iso.18013.5.1", "family_name"])
    );

    let pid = configurations
        .iter()
        .find(|c| c.id.contains("pid"))
        .unwrap();
    assert_eq!(pid.namespaces(), vec!["eu.europa.ec.eudi.pid.1"]);
    let problems = pid.validate_claims(
        json!({"eu.europa.ec.eudi.pid.1": {
            "family_name": "Mustermann", "given_name": "Erika", "birth_date": "1964-08-12",
            "place_of_birth": {"locality": "Berlin", "country": "DE"},
            "nationality": ["DE"], "expiry_date": "2030-01-01",
            "issuing_authority": "DE", "issuing_country": "DE"
        }})
        .as_object()
        .unwrap(),
    );
    assert_eq!(problems, vec![]);
}

#[test]
fn problems_name_the_configuration_and_field() {
    let toml = r#"
        [[credential_configurations]]
        id = "mDL"
        format = "mso_mdoc"
        doctype = ""
        validity_days = 0
        credential_signing_alg_values_supported = [-35]

        [[credential_configurations.claims]]
        path = ["org.iso.18013.5.1"]
        value_type = "tstr"

        [[credential_configurations]]
        id = "mDL"
        format = "dc+sd-jwt"
        doctype = "org.iso.18013.5.1.mDL"
        scope = "mDL"

        [[credential_configurations.claims]]
        path = ["org.iso.18013.5.1", "family_name"]
        value_type = "tstr"
    "#;
    let errors = convert_mdoc(&parse(toml), "test.toml").unwrap_err();
    let fields: Vec<String> = errors
        .iter()
        .map(|e| match e {
            ConfigError::Invalid { field, .. } => field.clone(),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            "credential_configurations[0].claims[0].path",
            "credential_configurations[0].doctype",
            "credential_configurations[0].validity_days",
            "credential_configurations[0].credential_signing_alg_values_supported",
            "credential_configurations[0].claims",
            "credential_configurations[1].id",
            "credential_configurations[1].scope",
            "credential_configurations[1].format",
        ]
    );
}

#[test]
fn the_built_in_configuration_serves_the_examples_next_to_sd_jwt_vc() {
    let loaded =
        crate::config::LoadedConfig::from_toml_with(crate::config::BUILT_IN_CONFIG, &[]).unwrap();
    assert!(loaded.catalog.get("IdentityCredential").is_some());
    for id in ["org.iso.18013.5.1.mDL", "eu.europa.ec.eudi.pid.1"] {
        assert!(loaded.catalog.mdoc(id).is_some(), "{id}");
    }
}

#[test]
fn ids_and_scopes_are_unique_across_formats() {
    let toml = format!(
        "{}\n{}",
        crate::config::BUILT_IN_CONFIG,
        r#"
        [[credential_configurations]]
        id = "IdentityCredential"
        format = "mso_mdoc"
        doctype = "x"
        scope = "identity_credential"
        [[credential_configurations.claims]]
        path = ["x", "y"]
        value_type = "tstr"
        "#
    );
    let errors = crate::config::LoadedConfig::from_toml_with(&toml, &[]).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|e| e.contains("is configured twice")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.contains("is used by two configurations")),
        "{text:?}"
    );
}

#[test]
fn unknown_value_types_and_fields_are_refused_when_parsing() {
    let toml = r#"
        [[credential_configurations]]
        id = "mDL"
        format = "mso_mdoc"
        doctype = "org.iso.18013.5.1.mDL"
        vct = "not for mdoc"
    "#;
    assert!(toml::from_str::<File>(toml).is_err());
    let toml = r#"
        [[credential_configurations]]
        id = "mDL"
        format = "mso_mdoc"
        doctype = "org.iso.18013.5.1.mDL"
        [[credential_configurations.claims]]
        path = ["org.iso.18013.5.1", "family_name"]
        value_type = "string"
    "#;
    assert!(toml::from_str::<File>(toml).is_err());
}
