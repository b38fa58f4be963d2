//! Canonical JSON: one byte sequence per JSON document, whatever order its members arrived
//! in, so that hashes and fingerprints over JSON are reproducible.
//!
//! Object members are sorted by key at every level and no whitespace is written. For
//! documents whose keys are ASCII and whose numbers are integers below 2^53 — every audit
//! entry is such a document — the output equals RFC 8785 (JCS), so an auditor can reproduce
//! it with any JCS library.

use serde_json::Value;

/// The canonical bytes of `value`.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                // `preserve_order` is enabled in this workspace, so the map keeps this order.
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // Serialising a `Value` cannot fail: its keys are strings and it holds no non-finite
    // numbers.
    serde_json::to_vec(&sorted(value)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_member_order() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": [1, {"d": 0, "c": 1}], "x": null}}"#)
                .unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a": {"x": null, "y": [1, {"c": 1, "d": 0}]}, "b": 1}"#)
                .unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            br#"{"a":{"x":null,"y":[1,{"c":1,"d":0}]},"b":1}"#.to_vec()
        );
    }

    #[test]
    fn canonical_json_escapes_like_jcs() {
        let value = serde_json::json!({"s": "a\"b\\c\u{1}é/"});
        assert_eq!(
            canonical_json(&value),
            "{\"s\":\"a\\\"b\\\\c\\u0001é/\"}".as_bytes().to_vec()
        );
    }
}
