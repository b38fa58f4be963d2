//! The referenced token's side (§6): the `status` claim naming a list and an index.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Where a credential's status lives: index `idx` of the list at `uri`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusReference {
    /// The entry's index in the list.
    pub idx: u32,
    /// The Status List Token's URI (its `sub`).
    pub uri: String,
}

impl StatusReference {
    /// The JSON `status` claim of an SD-JWT VC: `{"status_list": {"idx", "uri"}}` (§6.2).
    pub fn to_claim(&self) -> Value {
        json!({"status_list": {"idx": self.idx, "uri": self.uri}})
    }

    /// Reads the JSON `status` claim; `None` unless it holds a well-formed `status_list`.
    pub fn from_claim(status: &Value) -> Option<StatusReference> {
        serde_json::from_value(status.get("status_list")?.clone()).ok()
    }

    /// The CBOR `Status` structure (§6.3): `{"status_list": {"idx": uint, "uri": tstr}}`,
    /// for mdoc MSOs and CWTs (claim 65535).
    pub fn to_cbor(&self) -> ciborium::Value {
        use ciborium::Value;
        Value::Map(vec![(
            Value::Text("status_list".into()),
            Value::Map(vec![
                (Value::Text("idx".into()), Value::Integer(self.idx.into())),
                (Value::Text("uri".into()), Value::Text(self.uri.clone())),
            ]),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> StatusReference {
        StatusReference {
            idx: 0,
            uri: "https://example.com/statuslists/1".into(),
        }
    }

    #[test]
    fn the_json_claim_is_the_drafts_example() {
        let claim = reference().to_claim();
        assert_eq!(
            claim,
            json!({"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}})
        );
        assert_eq!(StatusReference::from_claim(&claim), Some(reference()));
        assert_eq!(StatusReference::from_claim(&json!({"other": {}})), None);
        assert_eq!(
            StatusReference::from_claim(&json!({"status_list": {"idx": -1, "uri": "u"}})),
            None
        );
    }

    #[test]
    fn the_cbor_structure_is_the_drafts_example() {
        // From the draft's referenced token CWT example: a1 6b "status_list" a2 63 "idx" 00
        // 63 "uri" 78 21 "https://example.com/statuslists/1".
        let expected = "a16b7374617475735f6c697374a2636964780063757269782168747470733a2f2f\
                        6578616d706c652e636f6d2f7374617475736c697374732f31";
        let mut bytes = Vec::new();
        ciborium::into_writer(&reference().to_cbor(), &mut bytes).unwrap();
        assert_eq!(hex(&bytes), expected);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
