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
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out);
    out
}

/// Appends the canonical bytes of `value` to `out`, without copying the document.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, member)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_scalar(key, out);
                out.push(b':');
                write_canonical(member, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// Strings, numbers, booleans and null as serde_json writes them (RFC 8785 escaping).
fn write_scalar(scalar: &(impl serde::Serialize + ?Sized), out: &mut Vec<u8>) {
    // Writing a scalar to memory cannot fail: keys are strings, numbers are finite.
    let _ = serde_json::to_writer(out, scalar);
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
