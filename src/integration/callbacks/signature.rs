//! `X-Issuance-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//!
//! The timestamp is inside the MAC, so a receiver that rejects old timestamps (say, more
//! than five minutes away from its clock) also rejects replays. The MAC covers the exact
//! body bytes sent; receivers must verify the raw body before parsing it.

use std::fmt;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::crypto::server_secret::{write_private_file, SecretError};

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "X-Issuance-Signature";
/// The delivery id header's name.
pub const DELIVERY_HEADER: &str = "X-Issuance-Delivery";

/// The HMAC key shared with callback receivers. Never logged.
#[derive(Clone)]
pub struct CallbackSecret(Vec<u8>);

impl fmt::Debug for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackSecret([redacted])")
    }
}

impl CallbackSecret {
    /// The configured secret: its UTF-8 bytes are the key.
    pub fn new(text: &str) -> Result<Self, SecretError> {
        if text.len() < 16 {
            return Err(SecretError::Malformed(
                "callback_secret (at least 16 characters)".into(),
            ));
        }
        Ok(CallbackSecret(text.as_bytes().to_vec()))
    }

    /// The secret stored at `path` (its text, trimmed, is the key), generated (mode 0600)
    /// on first use, so that receivers can be configured with the file's content.
    pub fn load_or_generate(path: &Path) -> Result<Self, SecretError> {
        let io = |source| SecretError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::new(text.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let text = crate::crypto::random_token::<32>();
                write_private_file(path, &text).map_err(io)?;
                Self::new(&text)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The header value for `body` sent at `timestamp` (Unix seconds).
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        format!("t={timestamp},v1={}", to_hex(&self.mac(timestamp, body)))
    }

    /// Whether `header` is a valid signature of `body` made within `tolerance_secs` of
    /// `now` (Unix seconds). Compares in constant time; accepts several `v1=` entries (as
    /// sent during a secret rotation).
    pub fn verify(&self, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
                Some(("v1", value)) => signatures.push(value),
                _ => {}
            }
        }
        let Some(timestamp) = timestamp else {
            return false;
        };
        if (now - timestamp).abs() > tolerance_secs {
            return false;
        }
        let expected = to_hex(&self.mac(timestamp, body));
        signatures
            .iter()
            .any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
    }

    fn mac(&self, timestamp: i64, body: &[u8]) -> [u8; 32] {
        // HMAC takes keys of any length; the error branch cannot happen.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) else {
            return [0; 32];
        };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_binds_body_and_time() {
        let secret = CallbackSecret::new("0123456789abcdef0123").unwrap();
        let header = secret.sign(1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(secret.verify(&header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!secret.verify(&header, b"{\"a\":2}", 1_700_000_010, 300));
        assert!(!secret.verify(&header, b"{\"a\":1}", 1_700_001_000, 300));
        let other = CallbackSecret::new("another-secret-of-16").unwrap();
        assert!(!other.verify(&header, b"{\"a\":1}", 1_700_000_010, 300));
    }

    #[test]
    fn matches_an_independent_hmac_computation() {
        // HMAC-SHA256("key-key-key-key!", "1.x") computed with the hmac crate directly.
        let secret = CallbackSecret::new("key-key-key-key!").unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"key-key-key-key!").unwrap();
        mac.update(b"1.x");
        let expected = to_hex(&mac.finalize().into_bytes());
        assert_eq!(secret.sign(1, b"x"), format!("t=1,v1={expected}"));
    }

    #[test]
    fn generated_secrets_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets/callback.key");
        let first = CallbackSecret::load_or_generate(&path).unwrap();
        let second = CallbackSecret::load_or_generate(&path).unwrap();
        assert_eq!(first.sign(1, b"x"), second.sign(1, b"x"));
    }
}
