//! SD-JWT VC (`dc+sd-jwt`) configuration tables as written (TOML file, management API), and
//! their conversion into [`CredentialConfiguration`]s with field-precise validation.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::credential_config::{
    ClaimDefinition, ClaimDisplay, ClaimPath, ClaimValueType, CredentialConfiguration, Display,
    ExternalTypeMetadata, KeyAttestationsRequired, PathElement, FORMAT_DC_SD_JWT, RESERVED_CLAIMS,
};
use crate::mdoc_config::FORMAT_MSO_MDOC;

/// One SD-JWT VC `[[credential_configurations]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdJwtTable {
    /// Configuration id (`credential_configuration_id`).
    pub id: String,
    /// Must be `dc+sd-jwt`.
    #[serde(default = "default_format")]
    pub format: String,
    /// The SD-JWT VC type (a collision-resistant URI).
    pub vct: String,
    /// OAuth scope; defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Localised display.
    #[serde(default)]
    pub display: Vec<Display>,
    /// Claim definitions.
    #[serde(default)]
    pub claims: Vec<SdJwtClaimTable>,
    /// Validity of issued credentials in days.
    #[serde(default = "default_validity_days")]
    pub validity_days: u32,
    /// Where the `vct`'s type metadata is published by someone else; then the issuer
    /// serves none for this configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_metadata_uri: Option<String>,
    /// W3C SRI string (`sha256-<base64>`) of that document, issued as `vct#integrity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_metadata_integrity: Option<String>,
    /// Key attestations every holder key must have, advertised as the `jwt` proof type's
    /// `key_attestations_required` (OID4VCI 1.0 Appendix D.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<KeyAttestationsRequired>,
}

/// One `[[credential_configurations.claims]]` table of an SD-JWT VC configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdJwtClaimTable {
    /// Dotted path: `given_name`, `address.locality`, `nationalities[]` (every element),
    /// `degrees[0]` (one index).
    pub path: String,
    /// The offer must supply it.
    #[serde(default)]
    pub mandatory: bool,
    /// Issued as a disclosure (default) or as a plain claim.
    #[serde(default = "default_true")]
    pub selectively_disclosable: bool,
    /// Required JSON type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_type: Option<ClaimValueType>,
    /// Localised display names.
    #[serde(default)]
    pub display: Vec<ClaimDisplay>,
}

pub(super) fn default_format() -> String {
    FORMAT_DC_SD_JWT.to_string()
}

pub(super) fn default_validity_days() -> u32 {
    365
}

fn default_true() -> bool {
    true
}

/// Parses a dotted claim path into a claims path pointer.
pub fn parse_claim_path(text: &str) -> Result<ClaimPath, String> {
    if text.trim().is_empty() {
        return Err("path is empty".into());
    }
    let mut elements = Vec::new();
    for segment in text.split('.') {
        let (name, mut rest) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if name.is_empty() {
            return Err(format!("empty name in path `{text}`"));
        }
        elements.push(PathElement::Key(name.to_string()));
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in path `{text}`"))?;
            let inner = &rest[1..close];
            if inner.is_empty() {
                elements.push(PathElement::AllElements);
            } else {
                let index = inner
                    .parse::<u64>()
                    .map_err(|_| format!("`[{inner}]` in path `{text}` is not an array index"))?;
                elements.push(PathElement::Index(index));
            }
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected `{rest}` in path `{text}`"));
            }
        }
    }
    Ok(ClaimPath(elements))
}

/// One SD-JWT VC table as a configuration; problems go to `bad` by field.
pub fn sd_jwt_configuration(
    table: &SdJwtTable,
    bad: &mut impl FnMut(&str, String),
) -> CredentialConfiguration {
    if table.format != FORMAT_DC_SD_JWT {
        bad(
            "format",
            format!(
                "`{}` is not supported; only `{FORMAT_DC_SD_JWT}` and `{FORMAT_MSO_MDOC}`",
                table.format
            ),
        );
    }
    if table.vct.trim().is_empty() {
        bad("vct", "must not be empty".into());
    }
    if table.validity_days == 0 || table.validity_days > 3650 {
        bad(
            "validity_days",
            format!("{} is outside 1..=3650", table.validity_days),
        );
    }
    let mut paths = BTreeSet::new();
    let mut claims = Vec::new();
    for (j, claim) in table.claims.iter().enumerate() {
        let claim_field = format!("claims[{j}].path");
        match parse_claim_path(&claim.path) {
            Err(problem) => bad(&claim_field, problem),
            Ok(path) => {
                if let Some(PathElement::Key(first)) = path.0.first() {
                    if path.0.len() == 1 && RESERVED_CLAIMS.contains(&first.as_str()) {
                        bad(&claim_field, format!("`{first}` is reserved by SD-JWT VC"));
                    }
                }
                if path
                    .0
                    .iter()
                    .any(|e| matches!(e, PathElement::Key(k) if k == "_sd" || k == "..."))
                {
                    bad(&claim_field, "`_sd` and `...` cannot be claim names".into());
                }
                if !paths.insert(path.clone()) {
                    bad(&claim_field, format!("`{}` is defined twice", claim.path));
                }
                claims.push(ClaimDefinition {
                    path,
                    mandatory: claim.mandatory,
                    selectively_disclosable: claim.selectively_disclosable,
                    value_type: claim.value_type,
                    display: claim.display.clone(),
                });
            }
        }
    }
    CredentialConfiguration {
        id: table.id.clone(),
        format: table.format.clone(),
        vct: table.vct.clone(),
        scope: table.scope.clone().unwrap_or_else(|| table.id.clone()),
        display: table.display.clone(),
        claims,
        validity_seconds: u64::from(table.validity_days) * 86_400,
        type_metadata: external_type_metadata(table, bad),
        key_attestations_required: table.key_attestations_required.clone(),
    }
}

/// `type_metadata_uri` (an absolute http(s) URL) and `type_metadata_integrity` (a W3C SRI
/// string, only with a URI).
pub(super) fn external_type_metadata(
    table: &SdJwtTable,
    bad: &mut impl FnMut(&str, String),
) -> Option<ExternalTypeMetadata> {
    if let Some(integrity) = &table.type_metadata_integrity {
        if table.type_metadata_uri.is_none() {
            bad(
                "type_metadata_integrity",
                "needs type_metadata_uri (the issuer computes the integrity of the type metadata it serves)".into(),
            );
        }
        if !is_sri(integrity) {
            bad(
                "type_metadata_integrity",
                format!("`{integrity}` is not a W3C SRI string (sha256-, sha384- or sha512- and the base64 digest)"),
            );
        }
    }
    let uri = table.type_metadata_uri.as_ref()?;
    if !url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
        bad(
            "type_metadata_uri",
            format!("`{uri}` is not an absolute https URL"),
        );
    }
    Some(ExternalTypeMetadata {
        uri: uri.clone(),
        integrity: table.type_metadata_integrity.clone(),
    })
}

/// A W3C Subresource Integrity metadata string with one SHA-2 digest.
pub(super) fn is_sri(text: &str) -> bool {
    use base64::Engine as _;
    let Some((alg, digest)) = text.split_once('-') else {
        return false;
    };
    let length = match alg {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => return false,
    };
    base64::engine::general_purpose::STANDARD
        .decode(digest)
        .is_ok_and(|bytes| bytes.len() == length)
}
