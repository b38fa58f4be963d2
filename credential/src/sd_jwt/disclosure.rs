//! Disclosures, their digests and decoy digests (RFC 9901 §4.2).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::IssueError;

/// Salt length: 128 bits, the minimum RFC 9901 §9.3 recommends.
const SALT_BYTES: usize = 16;

/// An encoded disclosure and the digest that replaces its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Disclosure {
    /// base64url of the disclosure's JSON array; appears after a `~`.
    pub encoded: String,
    /// base64url(SHA-256(`encoded`)); goes into `_sd` or `{"...": digest}`.
    pub digest: String,
}

/// The `sha-256` digest of a disclosure: base64url(SHA-256(ASCII bytes of the base64url
/// disclosure string)), RFC 9901 §4.2.3.
pub fn disclosure_digest(encoded_disclosure: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(encoded_disclosure.as_bytes()))
}

/// An object-property disclosure `[salt, name, value]`.
pub(crate) fn object_property(name: &str, value: &Value) -> Result<Disclosure, IssueError> {
    encode(&Value::Array(vec![
        Value::String(salt()),
        Value::String(name.to_owned()),
        value.clone(),
    ]))
}

/// An array-element disclosure `[salt, value]`.
pub(crate) fn array_element(value: &Value) -> Result<Disclosure, IssueError> {
    encode(&Value::Array(vec![Value::String(salt()), value.clone()]))
}

/// A decoy digest: the digest of random data, indistinguishable from a real one (§4.2.5).
pub(crate) fn decoy() -> String {
    disclosure_digest(&salt())
}

/// How many decoys to add to one `_sd` array: 1 to 3, at random, so the array's length does
/// not reveal how many claims it hides.
pub(crate) fn decoy_count() -> usize {
    1 + (rand::thread_rng().next_u32() % 3) as usize
}

fn encode(array: &Value) -> Result<Disclosure, IssueError> {
    let json =
        serde_json::to_string(array).map_err(|e| IssueError::Serialization(e.to_string()))?;
    let encoded = URL_SAFE_NO_PAD.encode(json.as_bytes());
    let digest = disclosure_digest(&encoded);
    Ok(Disclosure { encoded, digest })
}

/// A fresh 128-bit salt, base64url-encoded, from the thread's CSPRNG (ChaCha seeded and
/// reseeded from the operating system; no system call per salt).
fn salt() -> String {
    let mut bytes = [0u8; SALT_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_matches_rfc_9901_example() {
        assert_eq!(
            disclosure_digest(
                "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
            ),
            "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
        );
    }

    #[test]
    fn object_property_round_trips() {
        let disclosure = object_property("family_name", &json!("Möbius")).unwrap();
        let decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&disclosure.encoded).unwrap()).unwrap();
        let salt = decoded[0].as_str().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(salt).unwrap().len(), SALT_BYTES);
        assert_eq!(decoded[1], "family_name");
        assert_eq!(decoded[2], "Möbius");
        assert_eq!(disclosure.digest, disclosure_digest(&disclosure.encoded));
    }

    #[test]
    fn array_element_has_two_members() {
        let disclosure = array_element(&json!("DE")).unwrap();
        let decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&disclosure.encoded).unwrap()).unwrap();
        assert_eq!(decoded.as_array().unwrap().len(), 2);
        assert_eq!(decoded[1], "DE");
    }

    #[test]
    fn salts_and_decoys_are_unique() {
        let salts: std::collections::HashSet<_> = (0..1000).map(|_| salt()).collect();
        assert_eq!(salts.len(), 1000);
        assert_ne!(decoy(), decoy());
        assert!((0..100)
            .map(|_| decoy_count())
            .all(|n| (1..=3).contains(&n)));
    }
}
