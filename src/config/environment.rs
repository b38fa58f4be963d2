//! `ISSUANCE_*` environment variables: which ones name settings.

use super::settings::Settings;
use super::ConfigError;

/// `ISSUANCE_*` variables that are not settings: the configuration file's path (read by
/// the command line) and the test suite's own variables.
const NOT_SETTINGS: [&str; 1] = ["CONFIG"];
/// Prefixes of `ISSUANCE_*` variables that are not settings.
const NOT_SETTINGS_PREFIXES: [&str; 1] = ["TEST_"];

/// The top-level settings, as `ISSUANCE_*` variables name them (lower case): every field
/// of [`Settings`].
pub(super) fn setting_names() -> Vec<String> {
    match serde_json::to_value(Settings::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Whether the environment key (after `ISSUANCE_`, lower case) sets a top-level setting or
/// a field nested in one (`offers__max_expires_in`, or `offers.max_expires_in` once split).
pub(super) fn names_a_setting(key: &str, names: &[String]) -> bool {
    let top = key
        .split("__")
        .next()
        .and_then(|key| key.split('.').next())
        .unwrap_or_default();
    names.iter().any(|name| name == top)
}

/// Every `ISSUANCE_*` variable in `vars` that names no setting, as an error listing the
/// valid names: a typo must stop the start, not leave a setting silently at its default.
/// Nested fields are checked by the settings themselves (unknown fields are refused).
pub fn unknown_environment(vars: impl IntoIterator<Item = (String, String)>) -> Vec<ConfigError> {
    let names = setting_names();
    let mut unknown: Vec<String> = vars
        .into_iter()
        .filter_map(|(variable, _)| {
            let rest = variable.strip_prefix("ISSUANCE_")?;
            let exempt = NOT_SETTINGS.contains(&rest)
                || NOT_SETTINGS_PREFIXES.iter().any(|p| rest.starts_with(p));
            (!exempt && !names_a_setting(&rest.to_ascii_lowercase(), &names)).then_some(variable)
        })
        .collect();
    unknown.sort();
    let valid = names
        .iter()
        .map(|name| format!("ISSUANCE_{}", name.to_ascii_uppercase()))
        .collect::<Vec<_>>()
        .join(", ");
    unknown
        .into_iter()
        .map(|variable| ConfigError::UnknownVariable {
            variable,
            valid: valid.clone(),
        })
        .collect()
}
