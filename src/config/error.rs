//! Configuration errors that name the source, the field and the problem.

/// A configuration problem found at start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A field has a wrong value or type.
    #[error("invalid configuration in {source_name}: field `{field}`: {problem}")]
    Invalid {
        /// The file (or "environment") the value came from.
        source_name: String,
        /// Dotted field path.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// An `ISSUANCE_*` environment variable names no setting.
    #[error(
        "unknown environment variable {variable}: it names no setting (valid: {valid}; \
         nested fields with `__`, e.g. ISSUANCE_OFFERS__MAX_EXPIRES_IN; ISSUANCE_CONFIG \
         names the configuration file)"
    )]
    UnknownVariable {
        /// The variable.
        variable: String,
        /// The valid variable names.
        valid: String,
    },
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {problem}")]
    Unreadable {
        /// The path.
        path: String,
        /// The IO error.
        problem: String,
    },
}

impl ConfigError {
    /// Shorthand for an invalid field.
    pub fn invalid(
        source_name: &str,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            source_name: source_name.to_string(),
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn from_figment(error: figment::Error, default_source: &str) -> Vec<ConfigError> {
        error
            .into_iter()
            .map(|e| {
                let source_name = e
                    .metadata
                    .as_ref()
                    .map(|m| match &m.source {
                        // The absolute path: figment's own display relativises it.
                        Some(figment::Source::File(path)) => path.display().to_string(),
                        Some(source) => source.to_string(),
                        None if m.name.contains("environment") => m.name.to_string(),
                        None => default_source.to_string(),
                    })
                    .unwrap_or_else(|| default_source.to_string());
                let field = if e.path.is_empty() {
                    "(root)".to_string()
                } else {
                    e.path.join(".")
                };
                ConfigError::Invalid {
                    source_name,
                    field,
                    problem: e.kind.to_string(),
                }
            })
            .collect()
    }
}
