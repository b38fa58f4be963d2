//! [`KeyVault`]: where issuer private keys live. A private key never leaves the service and
//! never enters an event or a log: it is encrypted under the key-encryption key
//! ([`KeyEncryptionKey`], from the server secret, issuer id and `kid` bound as associated
//! data) and stored in the secret store's `issuer_keys` table under a fresh name, the
//! `key_ref` the key event records.
//!
//! Order: the vault entry is written first, the key event second. A crash or a refusal in
//! between leaves an entry no event names: harmless garbage, never read. The other order
//! could record a key whose private half is lost.

use std::sync::Arc;

use issuance_credential::{decode_x5c, KeyError, PrivateKey};
use issuance_domain::issuer::{IssuerId, SigningKeyState};

use crate::crypto::key_vault::KeyEncryptionKey;
use crate::crypto::sealing::SealError;
use crate::crypto::server_secret::ServerSecret;
use crate::store::{SecretStore, StoreError, VaultEntry};

/// Why the vault could not store or return a key.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encryption or decryption failed (for a stored entry: another server secret, or a
    /// tampered row).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The event names an entry the vault does not hold.
    #[error("the key vault has no entry `{0}`")]
    Missing(String),
    /// The entry decrypted, but not to a usable key.
    #[error("the vault entry `{key_ref}` holds no usable key: {source}")]
    Unusable {
        /// The entry.
        key_ref: String,
        /// Why.
        source: KeyError,
    },
}

/// Stores and opens issuer private keys.
#[derive(Clone)]
pub struct KeyVault {
    secrets: Arc<dyn SecretStore>,
    kek: KeyEncryptionKey,
}

impl KeyVault {
    /// The vault in `secrets`, under the key-encryption key derived from `server_secret`.
    pub fn new(secrets: Arc<dyn SecretStore>, server_secret: &ServerSecret) -> Self {
        KeyVault {
            secrets,
            kek: KeyEncryptionKey::derive(server_secret),
        }
    }

    /// Encrypts and stores `key` as key `kid` of `issuer_id`; returns the entry's name
    /// (the `key_ref` to record).
    pub async fn store(
        &self,
        issuer_id: &IssuerId,
        kid: &str,
        key: &PrivateKey,
    ) -> Result<String, VaultError> {
        let sealed = self
            .kek
            .seal(issuer_id.as_str(), kid, &key.to_private_bytes())?;
        let key_ref = format!("vault/{}", uuid::Uuid::new_v4());
        self.secrets
            .vault_insert(VaultEntry {
                key_ref: key_ref.clone(),
                issuer_id: issuer_id.as_str().to_string(),
                kid: kid.to_string(),
                sealed,
            })
            .await?;
        Ok(key_ref)
    }

    /// The private key of `key` (a key of `issuer_id`), with its certificate chain: what
    /// signs for the issuer.
    pub async fn private_key(
        &self,
        issuer_id: &IssuerId,
        key: &SigningKeyState,
    ) -> Result<PrivateKey, VaultError> {
        let entry = self
            .secrets
            .vault_entry(&key.key_ref)
            .await?
            .ok_or_else(|| VaultError::Missing(key.key_ref.clone()))?;
        let bytes = self.kek.open(issuer_id.as_str(), &key.kid, &entry.sealed)?;
        let unusable = |source| VaultError::Unusable {
            key_ref: key.key_ref.clone(),
            source,
        };
        let x5c = key
            .certificate_chain
            .as_deref()
            .map(decode_x5c)
            .transpose()
            .map_err(unusable)?;
        PrivateKey::from_private_bytes(&bytes, x5c).map_err(unusable)
    }
}
