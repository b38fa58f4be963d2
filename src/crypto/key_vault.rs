//! Encryption of issuer private keys at rest (issue 19): AES-256-GCM (the AEAD that seals
//! personal data, [`super::sealing`]) under a key-encryption key derived from the server
//! secret, with the issuer id and the `kid` as associated data, so a ciphertext opens
//! neither for another issuer nor as another key. Rotating the server secret makes the
//! stored keys unreadable: the secret is a deployment constant (see `node::deployment`).

use issuance_domain::Sealed;

use super::data_key::DataKey;
use super::sealing::{open_bytes, seal_bytes, SealError};
use super::server_secret::ServerSecret;

/// The key-encryption key of issuer private keys. `Debug` never prints it.
#[derive(Clone)]
pub struct KeyEncryptionKey(DataKey);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey([redacted])")
    }
}

impl KeyEncryptionKey {
    /// Derives the key from the server secret (a MAC under its own label: no other use of
    /// the secret yields the same bytes).
    pub fn derive(secret: &ServerSecret) -> Self {
        KeyEncryptionKey(DataKey(secret.mac("issuer-key-encryption", &[])))
    }

    /// Encrypts the private key `plaintext` of key `kid` of issuer `issuer_id`.
    pub fn seal(&self, issuer_id: &str, kid: &str, plaintext: &[u8]) -> Result<Sealed, SealError> {
        seal_bytes(&self.0, &aad(issuer_id, kid), plaintext)
    }

    /// Decrypts what [`KeyEncryptionKey::seal`] encrypted for the same issuer and kid.
    pub fn open(&self, issuer_id: &str, kid: &str, sealed: &Sealed) -> Result<Vec<u8>, SealError> {
        open_bytes(&self.0, &aad(issuer_id, kid), sealed)
    }
}

/// Length-prefixed, so no two (issuer, kid) pairs share associated data.
fn aad(issuer_id: &str, kid: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(8 + issuer_id.len() + kid.len());
    for part in [issuer_id, kid] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_for_its_issuer_and_kid_under_the_same_secret() {
        let kek = KeyEncryptionKey::derive(&ServerSecret::from_bytes([3; 32]));
        let sealed = kek.seal("acme", "k1", b"private-d-value").unwrap();
        assert!(!sealed.ciphertext.contains("private"));
        assert_eq!(kek.open("acme", "k1", &sealed).unwrap(), b"private-d-value");
        assert!(kek.open("acme", "k2", &sealed).is_err());
        assert!(kek.open("other", "k1", &sealed).is_err());
        assert!(kek.open("acmek", "1", &sealed).is_err());
        let other = KeyEncryptionKey::derive(&ServerSecret::from_bytes([4; 32]));
        assert!(other.open("acme", "k1", &sealed).is_err());
        assert_eq!(format!("{kek:?}"), "KeyEncryptionKey([redacted])");
    }
}
