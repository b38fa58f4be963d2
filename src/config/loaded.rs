//! Loading the configuration: defaults, the TOML file, the environment, then validation.

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use issuance_domain::catalog::CredentialCatalog;

use super::configuration_table::convert;
use super::environment::{names_a_setting, setting_names, unknown_environment};
use super::settings::{Settings, BUILT_IN_CONFIG, BUILT_IN_NAME};
use super::validate::{document_signer_problems, validate};
use super::ConfigError;

/// Settings plus the validated credential catalogue.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The settings.
    pub settings: Settings,
    /// The credential configurations, validated.
    pub catalog: CredentialCatalog,
    /// Where the configuration came from (for logs).
    pub source_name: String,
}

impl LoadedConfig {
    /// Loads from `path` (or the built-in example), then the environment.
    pub fn load(path: Option<&Path>) -> Result<LoadedConfig, Vec<ConfigError>> {
        let (toml, source_name) = match path {
            Some(path) => {
                if let Err(e) = std::fs::metadata(path) {
                    return Err(vec![ConfigError::Unreadable {
                        path: path.display().to_string(),
                        problem: e.to_string(),
                    }]);
                }
                (Toml::file_exact(path), path.display().to_string())
            }
            None => (Toml::string(BUILT_IN_CONFIG), BUILT_IN_NAME.to_string()),
        };
        let unknown = unknown_environment(std::env::vars());
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let names = setting_names();
        let env = Env::prefixed("ISSUANCE_")
            .split("__")
            .filter(move |key| names_a_setting(&key.as_str().to_ascii_lowercase(), &names));
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(toml)
                .merge(env),
            &source_name,
        )
    }

    /// Loads from an in-memory TOML text and explicit overrides (tests, embedding).
    pub fn from_toml_with(
        toml: &str,
        overrides: &[(&str, serde_json::Value)],
    ) -> Result<LoadedConfig, Vec<ConfigError>> {
        let mut figment =
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(toml));
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        Self::from_figment(figment, "test configuration")
    }

    fn from_figment(figment: Figment, source_name: &str) -> Result<LoadedConfig, Vec<ConfigError>> {
        let mut settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::from_figment(e, source_name))?;
        settings.apply_profile();
        let mut errors = validate(&settings, source_name);
        for (field, problem) in settings.profile_problems() {
            errors.push(ConfigError::invalid(source_name, field, problem));
        }
        let catalog = match convert(&settings.credential_configurations, source_name) {
            Ok(catalog) => catalog,
            Err(mut problems) => {
                errors.append(&mut problems);
                CredentialCatalog::default()
            }
        };
        errors.extend(document_signer_problems(&settings, &catalog, source_name));
        if !settings.attestation.enabled()
            && catalog
                .entries()
                .any(|entry| entry.key_attestations_required().is_some())
        {
            errors.push(ConfigError::invalid(
                source_name,
                "attestation.trust_anchors",
                "a credential configuration sets key_attestations_required: configure the key \
                 storage providers' trust anchors"
                    .to_string(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(LoadedConfig {
            settings,
            catalog,
            source_name: source_name.to_string(),
        })
    }
}
