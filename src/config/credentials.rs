//! Credential configurations as written in the TOML file, and their conversion into the
//! domain's [`CredentialConfiguration`]s with field-precise validation.

use issuance_credential::sd_jwt::RESERVED_CLAIMS;
use std::collections::BTreeSet;

use issuance_domain::credential_config::{
    ClaimDefinition, ClaimDisplay, ClaimPath, ClaimValueType, CredentialConfiguration, Display,
    ExternalTypeMetadata, PathElement, FORMAT_DC_SD_JWT,
};
use issuance_domain::mdoc_config::FORMAT_MSO_MDOC;
use serde::{Deserialize, Serialize};

/// One `[[credential_configurations]]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfigurationToml {
    /// Configuration id (`credential_configuration_id`).
    pub id: String,
    /// Must be `dc+sd-jwt`.
    #[serde(default = "default_format")]
    pub format: String,
    /// The SD-JWT VC type (a collision-resistant URI).
    pub vct: String,
    /// OAuth scope; defaults to the id.
    #[serde(default)]
    pub scope: Option<String>,
    /// Localised display.
    #[serde(default)]
    pub display: Vec<Display>,
    /// Claim definitions.
    #[serde(default)]
    pub claims: Vec<ClaimToml>,
    /// Validity of issued credentials in days.
    #[serde(default = "default_validity_days")]
    pub validity_days: u32,
    /// Where the `vct`'s type metadata is published by someone else; then the issuer
    /// serves none for this configuration.
    #[serde(default)]
    pub type_metadata_uri: Option<String>,
    /// W3C SRI string (`sha256-<base64>`) of that document, issued as `vct#integrity`.
    #[serde(default)]
    pub type_metadata_integrity: Option<String>,
}

/// One `[[credential_configurations.claims]]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimToml {
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
    #[serde(default)]
    pub value_type: Option<ClaimValueType>,
    /// Localised display names.
    #[serde(default)]
    pub display: Vec<ClaimDisplay>,
}

fn default_format() -> String {
    FORMAT_DC_SD_JWT.to_string()
}

fn default_validity_days() -> u32 {
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

pub(super) fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

/// The id is a valid identifier and the scope a valid scope token, each used once.
pub(super) fn check_id_and_scope(
    id: &str,
    scope: &str,
    (ids, scopes): (&mut BTreeSet<String>, &mut BTreeSet<String>),
    bad: &mut impl FnMut(&str, String),
) {
    if !is_identifier(id) {
        bad(
            "id",
            format!("`{id}` must be 1-128 characters of A-Z a-z 0-9 _ - . :"),
        );
    } else if !ids.insert(id.to_string()) {
        bad("id", format!("`{id}` is configured twice"));
    }
    if !is_identifier(scope) {
        bad("scope", format!("`{scope}` is not a valid scope token"));
    } else if !scopes.insert(scope.to_string()) {
        bad("scope", format!("`{scope}` is used by two configurations"));
    }
}

/// One SD-JWT VC table as a configuration; problems go to `bad` by field.
pub(super) fn sd_jwt_configuration(
    table: &CredentialConfigurationToml,
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
    }
}

/// `type_metadata_uri` (an absolute http(s) URL) and `type_metadata_integrity` (a W3C SRI
/// string, only with a URI).
fn external_type_metadata(
    table: &CredentialConfigurationToml,
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
fn is_sri(text: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let table = |uri: Option<&str>, integrity: Option<&str>| CredentialConfigurationToml {
            id: "Identity".into(),
            format: default_format(),
            vct: "https://types.example/identity".into(),
            scope: None,
            display: Vec::new(),
            claims: Vec::new(),
            validity_days: 1,
            type_metadata_uri: uri.map(Into::into),
            type_metadata_integrity: integrity.map(Into::into),
        };
        let problems = |table: &CredentialConfigurationToml| {
            let mut fields = Vec::new();
            let configuration =
                sd_jwt_configuration(table, &mut |field: &str, _| fields.push(field.to_string()));
            (configuration.type_metadata, fields)
        };
        let digest = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let (external, fields) =
            problems(&table(Some("https://types.example/identity"), Some(digest)));
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

    #[test]
    fn rejects_bad_paths() {
        for bad in ["", "a..b", "a[", "a[x]", "a[0]b", ".a"] {
            assert!(parse_claim_path(bad).is_err(), "{bad}");
        }
    }
}
