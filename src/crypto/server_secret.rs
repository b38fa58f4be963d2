//! The server secret: the key of every MAC the service derives (codes, tokens, nonces).

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A 256-bit secret, loaded from configuration or the data directory.
#[derive(Clone)]
pub struct ServerSecret([u8; 32]);

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret([redacted])")
    }
}

/// Why the secret could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured or stored value is not 32 bytes of base64url.
    #[error("{0} must hold 32 bytes of unpadded base64url")]
    Malformed(String),
    /// Reading or writing the file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
}

impl ServerSecret {
    /// A secret from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ServerSecret(bytes)
    }

    /// Parses unpadded base64url text.
    pub fn parse(text: &str, what: &str) -> Result<Self, SecretError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| SecretError::Malformed(what.to_string()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SecretError::Malformed(what.to_string()))?;
        Ok(ServerSecret(bytes))
    }

    /// Loads the secret stored at `path`, generating it (mode 0600) on first use.
    pub fn load_or_generate(path: &Path) -> Result<Self, SecretError> {
        let io = |source| SecretError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = ServerSecret(super::key_bytes());
                write_private_file(path, &URL_SAFE_NO_PAD.encode(secret.0)).map_err(io)?;
                Ok(secret)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The configured secret (`server_secret`), else `<data dir>/secrets/server.key`
    /// (generated on first use).
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, SecretError> {
        match &settings.server_secret {
            Some(secret) => Self::parse(&secret.0, "server_secret"),
            None => Self::load_or_generate(&settings.data_dir.join("secrets").join("server.key")),
        }
    }

    /// HMAC-SHA-256 over a domain-separation `label` and `parts` (length-prefixed, so
    /// different splits of the same bytes never collide).
    pub fn mac(&self, label: &str, parts: &[&[u8]]) -> [u8; 32] {
        keyed_mac(&self.0, label, parts)
    }
}

/// HMAC-SHA-256 with `key` over a label and length-prefixed parts.
pub fn keyed_mac(key: &[u8], label: &str, parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(&(label.len() as u32).to_be_bytes());
    mac.update(label.as_bytes());
    for part in parts {
        mac.update(&(part.len() as u32).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    panic!("HMAC-SHA-256 rejected a key; HMAC takes keys of any length")
}

/// Writes `contents` to a new file readable only by its owner (`0600`, whatever the
/// umask), creating parent directories (`0700`).
pub fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = crate::data_dir::private_files::create_new(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_reloads_the_same_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets/server.key");
        let first = ServerSecret::load_or_generate(&path).unwrap();
        let second = ServerSecret::load_or_generate(&path).unwrap();
        assert_eq!(first.mac("x", &[b"y"]), second.mac("x", &[b"y"]));
    }

    #[test]
    fn macs_separate_labels_and_parts() {
        let secret = ServerSecret::from_bytes([1; 32]);
        assert_ne!(secret.mac("a", &[b"bc"]), secret.mac("a", &[b"b", b"c"]));
        assert_ne!(secret.mac("a", &[b"x"]), secret.mac("b", &[b"x"]));
    }

    #[test]
    fn rejects_malformed_secrets() {
        assert!(ServerSecret::parse("short", "test").is_err());
    }
}
