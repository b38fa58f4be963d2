//! `retention.erase_claims_after_hours`: a number of hours, or `"never"` to turn automatic
//! erasure off (TOML and environment variables have no null, so `None` needs a spelling).

use serde::{Deserialize, Deserializer, Serializer};

/// The spelling of "no automatic erasure".
pub const NEVER: &str = "never";

/// Writes `None` as `"never"`, so that defaults round-trip through the loader.
pub fn serialize<S: Serializer>(hours: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
    match hours {
        Some(hours) => serializer.serialize_u64(*hours),
        None => serializer.serialize_str(NEVER),
    }
}

/// Reads a non-negative integer (also as text, as environment variables arrive) or `"never"`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hours {
        Number(u64),
        Text(String),
    }
    match Hours::deserialize(deserializer)? {
        Hours::Number(hours) => Ok(Some(hours)),
        Hours::Text(text) if text.trim().eq_ignore_ascii_case(NEVER) => Ok(None),
        Hours::Text(text) => text.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected a number of hours or \"{NEVER}\", found \"{text}\""
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{LoadedConfig, BUILT_IN_CONFIG};

    fn hours(value: serde_json::Value) -> Result<Option<u64>, String> {
        LoadedConfig::from_toml_with(
            BUILT_IN_CONFIG,
            &[("retention.erase_claims_after_hours", value)],
        )
        .map(|c| c.settings.retention.erase_claims_after_hours)
        .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn hours_or_never() {
        assert_eq!(
            LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &[])
                .unwrap()
                .settings
                .retention
                .erase_claims_after_hours,
            Some(0)
        );
        assert_eq!(hours(serde_json::json!(24)), Ok(Some(24)));
        assert_eq!(hours(serde_json::json!("36")), Ok(Some(36)));
        assert_eq!(hours(serde_json::json!("never")), Ok(None));
        assert!(hours(serde_json::json!("soon")).is_err());
        assert!(hours(serde_json::json!(-1)).is_err());
    }
}
