//! One-time secrets of a session: the PAR `request_uri`, the login challenge and the
//! authorization code.
//!
//! Each is `base64url(session id 16 B ‖ 32 random bytes)`: it names its session, so the
//! session is found without an index, and carries 256 bits of entropy (FAPI 2.0 §5.3.2.1
//! asks for at least 128). Only its SHA-256 is stored; the aggregate compares digests in
//! constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_domain::Digest;
use uuid::Uuid;

use crate::crypto::{random_bytes, sha256};

/// The `request_uri` prefix of pushed requests (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Decoded length: session id and randomness.
const HANDLE_BYTES: usize = 16 + 32;
/// Encoded length (unpadded base64url of 48 bytes).
const HANDLE_LEN: usize = 64;

/// A fresh handle and its digest. `Debug` shows neither.
pub struct Handle {
    /// The text handed out (once).
    pub text: String,
    /// SHA-256 of `text`, the only form stored.
    pub hash: Digest,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handle([redacted])")
    }
}

impl Handle {
    /// A new handle naming `session_id`.
    pub fn new(session_id: Uuid) -> Handle {
        let mut bytes = Vec::with_capacity(HANDLE_BYTES);
        bytes.extend_from_slice(session_id.as_bytes());
        bytes.extend_from_slice(&random_bytes::<32>());
        let text = URL_SAFE_NO_PAD.encode(bytes);
        let hash = sha256(text.as_bytes());
        Handle { text, hash }
    }
}

/// The session a presented handle names (not yet verified: the aggregate compares its
/// hash), or `None` if it is not shaped like one.
pub fn session_of(text: &str) -> Option<Uuid> {
    if text.len() != HANDLE_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    Uuid::from_slice(bytes.get(..16)?).ok()
}

/// The digest a presented handle is compared by.
pub fn hash_of(text: &str) -> Digest {
    sha256(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_name_their_session_and_are_unique() {
        let session = Uuid::new_v4();
        let a = Handle::new(session);
        let b = Handle::new(session);
        assert_eq!(a.text.len(), HANDLE_LEN);
        assert_eq!(session_of(&a.text), Some(session));
        assert_ne!(a.text, b.text);
        assert!(a.hash.ct_eq(&hash_of(&a.text)));
        assert_eq!(format!("{a:?}"), "Handle([redacted])");
    }

    #[test]
    fn malformed_handles_name_nothing() {
        for bad in ["", "short", &"!".repeat(HANDLE_LEN)] {
            assert_eq!(session_of(bad), None);
        }
    }
}
