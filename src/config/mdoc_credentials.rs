//! ISO mdoc (`format = "mso_mdoc"`) credential configurations as written in TOML, and their
//! conversion into the domain's [`MdocConfiguration`]s with field-precise validation.
//!
//! `config/mdoc.example.toml` (part of the built-in configuration) is checked against this
//! model by the tests below.

use issuance_domain::credential_config::{ClaimDisplay, Display};
use issuance_domain::mdoc_config::{
    MdocClaimDefinition, MdocConfiguration, MdocValueType, COSE_ALG_ES256, FORMAT_MSO_MDOC,
};
use serde::{Deserialize, Serialize};

/// One `[[credential_configurations]]` table with `format = "mso_mdoc"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdocConfigurationToml {
    /// Configuration id (`credential_configuration_id`).
    pub id: String,
    /// Must be `mso_mdoc`.
    pub format: String,
    /// The document type, e.g. `org.iso.18013.5.1.mDL`.
    pub doctype: String,
    /// OAuth scope; defaults to the id.
    #[serde(default)]
    pub scope: Option<String>,
    /// Localised display.
    #[serde(default)]
    pub display: Vec<Display>,
    /// Data element definitions.
    #[serde(default)]
    pub claims: Vec<MdocClaimToml>,
    /// Validity of issued credentials in days.
    #[serde(default = "default_validity_days")]
    pub validity_days: u32,
    /// COSE algorithms advertised for `issuerAuth` (-7 ES256, -9 ESP256).
    #[serde(default = "default_algs")]
    pub credential_signing_alg_values_supported: Vec<i64>,
}

/// One `[[credential_configurations.claims]]` table of an mdoc configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdocClaimToml {
    /// `[namespace, element]`.
    pub path: Vec<String>,
    /// The offer must supply it.
    #[serde(default)]
    pub mandatory: bool,
    /// The CBOR type of the element value.
    pub value_type: MdocValueType,
    /// Localised display names.
    #[serde(default)]
    pub display: Vec<ClaimDisplay>,
}

fn default_validity_days() -> u32 {
    365
}

fn default_algs() -> Vec<i64> {
    vec![COSE_ALG_ES256]
}

/// One mdoc table as a configuration; problems go to `bad` by field.
pub(super) fn mdoc_configuration(
    table: &MdocConfigurationToml,
    bad: &mut impl FnMut(&str, String),
) -> MdocConfiguration {
    if table.format != FORMAT_MSO_MDOC {
        bad("format", format!("must be `{FORMAT_MSO_MDOC}`"));
    }
    if table.validity_days > 3650 {
        bad(
            "validity_days",
            format!("{} is outside 1..=3650", table.validity_days),
        );
    }
    let mut claims = Vec::new();
    for (j, claim) in table.claims.iter().enumerate() {
        match claim.path.as_slice() {
            [namespace, element] => claims.push(MdocClaimDefinition {
                namespace: namespace.clone(),
                element: element.clone(),
                mandatory: claim.mandatory,
                value_type: claim.value_type,
                display: claim.display.clone(),
            }),
            _ => bad(
                &format!("claims[{j}].path"),
                "must be [namespace, element]".into(),
            ),
        }
    }
    let configuration = MdocConfiguration {
        id: table.id.clone(),
        doctype: table.doctype.clone(),
        scope: table.scope.clone().unwrap_or_else(|| table.id.clone()),
        display: table.display.clone(),
        claims,
        validity_seconds: u64::from(table.validity_days) * 86_400,
        credential_signing_alg_values_supported: table
            .credential_signing_alg_values_supported
            .clone(),
    };
    for (field, problem) in configuration.problems() {
        bad(&field, problem);
    }
    configuration
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{convert_mdoc, ConfigError};
    use serde_json::json;

    /// The shipped example file.
    const EXAMPLE: &str = include_str!("../../config/mdoc.example.toml");

    #[derive(Deserialize)]
    struct File {
        credential_configurations: Vec<MdocConfigurationToml>,
    }

    fn parse(text: &str) -> Vec<MdocConfigurationToml> {
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
            super::super::LoadedConfig::from_toml_with(super::super::BUILT_IN_CONFIG, &[]).unwrap();
        assert!(loaded.catalog.get("IdentityCredential").is_some());
        for id in ["org.iso.18013.5.1.mDL", "eu.europa.ec.eudi.pid.1"] {
            assert!(loaded.catalog.mdoc(id).is_some(), "{id}");
        }
    }

    #[test]
    fn ids_and_scopes_are_unique_across_formats() {
        let toml = format!(
            "{}\n{}",
            super::super::BUILT_IN_CONFIG,
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
        let errors = super::super::LoadedConfig::from_toml_with(&toml, &[]).unwrap_err();
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
}
