//! One `[[credential_configurations]]` table, read by its `format`: SD-JWT VC
//! (`dc+sd-jwt`, the default) or ISO mdoc (`mso_mdoc`). Each format has its own fields,
//! and unknown fields are refused as for every other table. [`convert`] turns all tables into
//! the catalogue.

use std::collections::BTreeSet;

use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::mdoc_config::{MdocConfiguration, FORMAT_MSO_MDOC};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::credentials::{check_id_and_scope, sd_jwt_configuration, CredentialConfigurationToml};
use super::mdoc_credentials::{mdoc_configuration, MdocConfigurationToml};
use super::ConfigError;

/// A credential configuration table of either format.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ConfigurationTableToml {
    /// `format = "dc+sd-jwt"` (or no format).
    SdJwt(CredentialConfigurationToml),
    /// `format = "mso_mdoc"`.
    Mdoc(MdocConfigurationToml),
}

impl ConfigurationTableToml {
    /// The configuration id as written.
    pub fn id(&self) -> &str {
        match self {
            ConfigurationTableToml::SdJwt(table) => &table.id,
            ConfigurationTableToml::Mdoc(table) => &table.id,
        }
    }

    /// The OAuth scope: as written, else the id.
    pub fn scope(&self) -> &str {
        let scope = match self {
            ConfigurationTableToml::SdJwt(table) => table.scope.as_deref(),
            ConfigurationTableToml::Mdoc(table) => table.scope.as_deref(),
        };
        scope.unwrap_or_else(|| self.id())
    }
}

impl<'de> Deserialize<'de> for ConfigurationTableToml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let table = Map::<String, Value>::deserialize(deserializer)?;
        let mdoc = table.get("format").and_then(Value::as_str) == Some(FORMAT_MSO_MDOC);
        let table = Value::Object(table);
        if mdoc {
            serde_json::from_value(table).map(ConfigurationTableToml::Mdoc)
        } else {
            serde_json::from_value(table).map(ConfigurationTableToml::SdJwt)
        }
        .map_err(D::Error::custom)
    }
}

/// Converts and validates all configurations of both formats into the catalogue;
/// `source_name` names the file in errors. Ids and scopes are unique across formats.
pub fn convert(
    tables: &[ConfigurationTableToml],
    source_name: &str,
) -> Result<CredentialCatalog, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut sd_jwt = Vec::new();
    let mut mdoc = Vec::new();
    let mut ids = BTreeSet::new();
    let mut scopes = BTreeSet::new();
    if tables.is_empty() {
        errors.push(ConfigError::invalid(
            source_name,
            "credential_configurations",
            "at least one credential configuration is required",
        ));
    }
    for (i, table) in tables.iter().enumerate() {
        let mut bad = |name: &str, problem: String| {
            errors.push(ConfigError::invalid(
                source_name,
                format!("credential_configurations[{i}].{name}"),
                problem,
            ))
        };
        check_id_and_scope(table.id(), table.scope(), (&mut ids, &mut scopes), &mut bad);
        match table {
            ConfigurationTableToml::SdJwt(table) => {
                sd_jwt.push(sd_jwt_configuration(table, &mut bad))
            }
            ConfigurationTableToml::Mdoc(table) => mdoc.push(mdoc_configuration(table, &mut bad)),
        }
    }
    if errors.is_empty() {
        Ok(CredentialCatalog::with_mdoc(sd_jwt, mdoc))
    } else {
        Err(errors)
    }
}

/// Converts and validates mdoc configurations alone (the example file's tests); the
/// service reads them with [`convert`], next to SD-JWT VC ones.
pub fn convert_mdoc(
    tables: &[MdocConfigurationToml],
    source_name: &str,
) -> Result<Vec<MdocConfiguration>, Vec<ConfigError>> {
    let tables: Vec<ConfigurationTableToml> = tables
        .iter()
        .cloned()
        .map(ConfigurationTableToml::Mdoc)
        .collect();
    convert(&tables, source_name).map(|catalog| catalog.mdoc_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        credential_configurations: Vec<ConfigurationTableToml>,
    }

    #[test]
    fn tables_are_read_by_their_format() {
        let file: File = toml::from_str(
            r#"
            [[credential_configurations]]
            id = "Identity"
            vct = "https://example.com/identity"

            [[credential_configurations]]
            id = "mDL"
            format = "mso_mdoc"
            doctype = "org.iso.18013.5.1.mDL"
            scope = "mdl"
            credential_signing_alg_values_supported = [-7]
            "#,
        )
        .unwrap();
        let [sd_jwt, mdoc] = file.credential_configurations.as_slice() else {
            panic!("two tables expected");
        };
        assert!(matches!(sd_jwt, ConfigurationTableToml::SdJwt(_)));
        assert_eq!((sd_jwt.id(), sd_jwt.scope()), ("Identity", "Identity"));
        assert!(matches!(mdoc, ConfigurationTableToml::Mdoc(_)));
        assert_eq!((mdoc.id(), mdoc.scope()), ("mDL", "mdl"));
    }

    #[test]
    fn fields_of_the_other_format_are_refused() {
        for text in [
            "[[credential_configurations]]\nid = \"a\"\nvct = \"v\"\ndoctype = \"d\"\n",
            "[[credential_configurations]]\nid = \"a\"\nformat = \"mso_mdoc\"\ndoctype = \"d\"\nvct = \"v\"\n",
        ] {
            let error = toml::from_str::<File>(text).err().unwrap().to_string();
            assert!(error.contains("unknown field"), "{error}");
        }
    }
}
