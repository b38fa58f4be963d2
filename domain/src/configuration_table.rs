//! Credential configurations as their owners write them: one `[[credential_configurations]]`
//! table of the TOML file, or the same object as JSON through the management API (the
//! Issuer aggregate stores that JSON in `ConfigurationPublished`). A table is read by its
//! `format` — SD-JWT VC (`dc+sd-jwt`, the default, [`SdJwtTable`]) or ISO mdoc
//! (`mso_mdoc`, [`MdocTable`]) — with unknown fields refused, and converted into the
//! catalogue's model with every problem reported by field.
//!
//! The rules live here once: the service's configuration loader and the Issuer aggregate's
//! `decide` both call them.

use std::collections::BTreeSet;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::catalog::CatalogEntry;
use crate::credential_config::CredentialConfiguration;
use crate::mdoc_config::{MdocConfiguration, FORMAT_MSO_MDOC};

mod mdoc;
mod sd_jwt;

pub use mdoc::{mdoc_configuration, MdocClaimTable, MdocTable};
pub use sd_jwt::{parse_claim_path, sd_jwt_configuration, SdJwtClaimTable, SdJwtTable};

/// A credential configuration table of either format.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ConfigurationTable {
    /// `format = "dc+sd-jwt"` (or no format).
    SdJwt(SdJwtTable),
    /// `format = "mso_mdoc"`.
    Mdoc(MdocTable),
}

/// A converted configuration of either format (what the catalogue holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyConfiguration {
    /// An SD-JWT VC configuration.
    SdJwt(CredentialConfiguration),
    /// An ISO mdoc configuration.
    Mdoc(MdocConfiguration),
}

impl AnyConfiguration {
    /// The configuration as a catalogue entry (id, scope, format, claim validation).
    pub fn entry(&self) -> CatalogEntry<'_> {
        match self {
            AnyConfiguration::SdJwt(c) => CatalogEntry::SdJwt(c),
            AnyConfiguration::Mdoc(c) => CatalogEntry::Mdoc(c),
        }
    }
}

/// One problem of a configuration: the field, relative to the configuration (`vct`,
/// `claims[2].path`; empty for the document as a whole), and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The field.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl ConfigurationTable {
    /// The configuration id as written.
    pub fn id(&self) -> &str {
        match self {
            ConfigurationTable::SdJwt(table) => &table.id,
            ConfigurationTable::Mdoc(table) => &table.id,
        }
    }

    /// The OAuth scope: as written, else the id.
    pub fn scope(&self) -> &str {
        let scope = match self {
            ConfigurationTable::SdJwt(table) => table.scope.as_deref(),
            ConfigurationTable::Mdoc(table) => table.scope.as_deref(),
        };
        scope.unwrap_or_else(|| self.id())
    }

    /// Converts the table; problems go to `bad` by field (the id and scope are checked by
    /// [`check_id_and_scope`], which needs the other configurations).
    pub fn convert(&self, bad: &mut impl FnMut(&str, String)) -> AnyConfiguration {
        match self {
            ConfigurationTable::SdJwt(table) => {
                AnyConfiguration::SdJwt(sd_jwt_configuration(table, bad))
            }
            ConfigurationTable::Mdoc(table) => {
                AnyConfiguration::Mdoc(mdoc_configuration(table, bad))
            }
        }
    }

    /// Reads the JSON of one configuration published as `configuration_id` and checks it
    /// like the TOML file's tables, next to configurations that use `scopes_in_use`. The
    /// JSON's `id` may be left out; given, it must be `configuration_id`.
    ///
    /// Returns the table (its JSON, [`ConfigurationTable::to_json`], is the normalised form:
    /// defaults written out) and the converted configuration, or every problem found.
    pub fn from_json(
        configuration_id: &str,
        json: &Value,
        scopes_in_use: &BTreeSet<String>,
    ) -> Result<(ConfigurationTable, AnyConfiguration), Vec<FieldProblem>> {
        let whole = |problem: String| {
            vec![FieldProblem {
                field: String::new(),
                problem,
            }]
        };
        let Value::Object(object) = json else {
            return Err(whole("must be a JSON object".into()));
        };
        let mut object = object.clone();
        match object.get("id") {
            None => {
                object.insert("id".into(), Value::String(configuration_id.into()));
            }
            Some(Value::String(id)) if id == configuration_id => {}
            Some(other) => {
                return Err(vec![FieldProblem {
                    field: "id".into(),
                    problem: format!("{other} is not the configuration id `{configuration_id}`"),
                }])
            }
        }
        let table: ConfigurationTable =
            serde_json::from_value(Value::Object(object)).map_err(|e| whole(e.to_string()))?;
        let mut problems = Vec::new();
        let mut bad = |field: &str, problem: String| {
            problems.push(FieldProblem {
                field: field.into(),
                problem,
            })
        };
        let mut scopes = scopes_in_use.clone();
        check_id_and_scope(
            table.id(),
            table.scope(),
            (&mut BTreeSet::new(), &mut scopes),
            &mut bad,
        );
        let configuration = table.convert(&mut bad);
        if problems.is_empty() {
            Ok((table, configuration))
        } else {
            Err(problems)
        }
    }

    /// The table as JSON, defaults written out (what `ConfigurationPublished` stores).
    pub fn to_json(&self) -> Value {
        crate::aggregate::to_payload(self)
    }
}

impl<'de> Deserialize<'de> for ConfigurationTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let table = Map::<String, Value>::deserialize(deserializer)?;
        let mdoc = table.get("format").and_then(Value::as_str) == Some(FORMAT_MSO_MDOC);
        let table = Value::Object(table);
        if mdoc {
            serde_json::from_value(table).map(ConfigurationTable::Mdoc)
        } else {
            serde_json::from_value(table).map(ConfigurationTable::SdJwt)
        }
        .map_err(D::Error::custom)
    }
}

/// Whether `text` can be a configuration id or scope: 1-128 characters of
/// `A-Z a-z 0-9 _ - . :`.
pub fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

/// The id is a valid identifier and the scope a valid scope token, each used once:
/// `ids` and `scopes` hold those of the other configurations and receive these.
pub fn check_id_and_scope(
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

#[cfg(test)]
mod tests;
