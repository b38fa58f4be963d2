//! ISO mdoc (`format = "mso_mdoc"`) configuration tables as written (TOML file, management
//! API), and their conversion into [`MdocConfiguration`]s with field-precise validation.

use serde::{Deserialize, Serialize};

use crate::credential_config::{ClaimDisplay, Display};
use crate::mdoc_config::{
    MdocClaimDefinition, MdocConfiguration, MdocValueType, COSE_ALG_ES256, FORMAT_MSO_MDOC,
};

/// One `[[credential_configurations]]` table with `format = "mso_mdoc"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdocTable {
    /// Configuration id (`credential_configuration_id`).
    pub id: String,
    /// Must be `mso_mdoc`.
    pub format: String,
    /// The document type, e.g. `org.iso.18013.5.1.mDL`.
    pub doctype: String,
    /// OAuth scope; defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Localised display.
    #[serde(default)]
    pub display: Vec<Display>,
    /// Data element definitions.
    #[serde(default)]
    pub claims: Vec<MdocClaimTable>,
    /// Validity of issued credentials in days.
    #[serde(default = "super::sd_jwt::default_validity_days")]
    pub validity_days: u32,
    /// COSE algorithms advertised for `issuerAuth` (-7 ES256, -9 ESP256).
    #[serde(default = "default_algs")]
    pub credential_signing_alg_values_supported: Vec<i64>,
}

/// One `[[credential_configurations.claims]]` table of an mdoc configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdocClaimTable {
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

fn default_algs() -> Vec<i64> {
    vec![COSE_ALG_ES256]
}

/// One mdoc table as a configuration; problems go to `bad` by field.
pub fn mdoc_configuration(
    table: &MdocTable,
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
