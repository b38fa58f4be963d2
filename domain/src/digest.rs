//! A 32-byte digest (SHA-256 or HMAC-SHA-256 output) with constant-time comparison.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

/// A 32-byte digest. Every secret the engine must later recognise (pre-authorized codes,
/// transaction codes, access tokens) is stored only as one of these.
///
/// Serialised as unpadded base64url. Equality via [`Digest::ct_eq`] runs in constant time;
/// `PartialEq` is also constant-time so that a careless `==` cannot leak timing.
#[derive(Clone, Copy, Eq)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Digest) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// Unpadded base64url text of the digest.
    pub fn to_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Parses unpadded base64url text of exactly 32 bytes.
    pub fn from_b64(text: &str) -> Option<Digest> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Digest(array))
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other)
    }
}

impl std::hash::Hash for Digest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only a prefix: enough to tell digests apart in test output, useless to an attacker.
        write!(f, "Digest({}…)", &self.to_b64()[..8])
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_b64())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::from_b64(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 32 bytes of unpadded base64url"))
    }
}

impl schemars::JsonSchema for Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Digest".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A 32-byte digest, unpadded base64url.",
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]{43}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let digest = Digest([7; 32]);
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
    }

    #[test]
    fn rejects_wrong_length() {
        assert!(Digest::from_b64("AAAA").is_none());
        assert!(serde_json::from_str::<Digest>("\"AAAA\"").is_err());
    }

    #[test]
    fn equality_compares_every_byte() {
        let mut other = [7; 32];
        other[31] = 8;
        assert!(!Digest([7; 32]).ct_eq(&Digest(other)));
        assert!(Digest([7; 32]).ct_eq(&Digest([7; 32])));
    }
}
