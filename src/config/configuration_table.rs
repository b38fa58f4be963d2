//! The `[[credential_configurations]]` tables of the TOML file, read by their `format`
//! (SD-JWT VC, the default, or ISO mdoc) with unknown fields refused: the model and the
//! field-precise rules are the domain's ([`issuance_domain::configuration_table`], which
//! the Issuer aggregate applies to configurations published through the API); [`convert`]
//! turns all tables into the catalogue, naming the file and table in each problem.

use std::collections::BTreeSet;

use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::configuration_table::{
    check_id_and_scope, AnyConfiguration, ConfigurationTable, MdocTable,
};
use issuance_domain::mdoc_config::MdocConfiguration;

use super::ConfigError;

/// Converts and validates all configurations of both formats into the catalogue;
/// `source_name` names the file in errors. Ids and scopes are unique across formats.
pub fn convert(
    tables: &[ConfigurationTable],
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
        match table.convert(&mut bad) {
            AnyConfiguration::SdJwt(configuration) => sd_jwt.push(configuration),
            AnyConfiguration::Mdoc(configuration) => mdoc.push(configuration),
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
    tables: &[MdocTable],
    source_name: &str,
) -> Result<Vec<MdocConfiguration>, Vec<ConfigError>> {
    let tables: Vec<ConfigurationTable> = tables
        .iter()
        .cloned()
        .map(ConfigurationTable::Mdoc)
        .collect();
    convert(&tables, source_name).map(|catalog| catalog.mdoc_iter().cloned().collect())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_mdoc;
