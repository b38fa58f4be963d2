//! Nodes sharing a store must share its secrets: the server secret (every code, token and
//! reference is a MAC under it) and the issuer signing keys. A node started with another
//! server secret would silently count correct transaction codes as wrong ones (and lock
//! offers); one with other signing keys would issue credentials that the JWKS of its peers
//! does not verify.
//!
//! So the secret store (shared by every node) keeps two deployment records, written by the
//! first node to start (or the first start after an upgrade), and every start compares:
//! - `server_secret`: HMAC-SHA-256 under the server secret of a fixed label — it proves
//!   possession of the same secret and reveals nothing about it;
//! - `signing_key`: the `kid` (the RFC 7638 thumbprint of the public key, public anyway
//!   in the JWKS) of the active signing key.
//!
//! A mismatch stops the start, naming what differs. A node whose retired keys include the
//! recorded active key has rotated to a newer key: it records its own. Deliberately
//! changing the server secret (or replacing the signing keys) is recorded with
//! `issuance migrate --record-secrets` once every node has the new ones.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_credential::IssuerKeys;

use crate::crypto::server_secret::ServerSecret;
use crate::store::{SecretStore, StoreError};

/// The record of the server secret's fingerprint.
pub const SERVER_SECRET: &str = "server_secret";

/// The record of the active signing key's `kid`.
pub const SIGNING_KEY: &str = "signing_key";

/// Why this node may not use the shared store.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The server secret differs from the one the store was started with.
    #[error(
        "the server secret differs from the one the other nodes of this deployment use \
         (the shared store records another fingerprint): give every node the same \
         server_secret (ISSUANCE_SERVER_SECRET); after changing it on purpose on every node, \
         run `issuance migrate --record-secrets` once"
    )]
    ServerSecret,
    /// The signing key differs.
    #[error(
        "the issuer signing key differs from the one the other nodes of this deployment use: \
         the shared store records active key {recorded}, this node signs with {active} and \
         does not have {recorded}; give every node the same keys (issuer.signing_key_file, \
         or the same <data dir>/keys); after replacing them on purpose on every node, run \
         `issuance migrate --record-secrets` once"
    )]
    SigningKey {
        /// The recorded active kid.
        recorded: String,
        /// This node's active kid.
        active: String,
    },
    /// The records could not be read or written.
    #[error("cannot check the deployment's shared secrets: {0}")]
    Store(#[from] StoreError),
}

/// The server secret's fingerprint: a MAC under it, never the secret.
pub fn server_secret_fingerprint(secret: &ServerSecret) -> String {
    URL_SAFE_NO_PAD.encode(secret.mac("issuance/deployment/server-secret-fingerprint/v1", &[]))
}

/// Checks this node's secrets against the deployment records, writing them where missing
/// (the first start, or the first after an upgrade) and following a key rotation.
pub async fn check(
    store: &dyn SecretStore,
    secret: &ServerSecret,
    keys: &IssuerKeys,
) -> Result<(), DeploymentError> {
    check_server_secret(store, secret).await?;
    check_signing_key(store, keys).await
}

/// Checks the server secret's fingerprint (recording it where missing).
pub async fn check_server_secret(
    store: &dyn SecretStore,
    secret: &ServerSecret,
) -> Result<(), DeploymentError> {
    let fingerprint = server_secret_fingerprint(secret);
    if store
        .deployment_record_get_or_insert(SERVER_SECRET, &fingerprint)
        .await?
        != fingerprint
    {
        return Err(DeploymentError::ServerSecret);
    }
    Ok(())
}

/// Checks the active signing key (recording it where missing, following a rotation).
pub async fn check_signing_key(
    store: &dyn SecretStore,
    keys: &IssuerKeys,
) -> Result<(), DeploymentError> {
    let active = keys.active().kid();
    let recorded = store
        .deployment_record_get_or_insert(SIGNING_KEY, active)
        .await?;
    if recorded == active {
        return Ok(());
    }
    if keys.key(&recorded).is_some() {
        // This node has the recorded key as a retired one: it rotated to a newer key.
        tracing::info!(
            previous = %recorded,
            active,
            "the issuer signing key was rotated; recording the new active key"
        );
        store.deployment_record_set(SIGNING_KEY, active).await?;
        return Ok(());
    }
    Err(DeploymentError::SigningKey {
        recorded,
        active: active.to_string(),
    })
}

/// Records this node's secrets as the deployment's (`migrate --record-secrets`).
pub async fn record(
    store: &dyn SecretStore,
    secret: &ServerSecret,
    keys: &IssuerKeys,
) -> Result<(), DeploymentError> {
    store
        .deployment_record_set(SERVER_SECRET, &server_secret_fingerprint(secret))
        .await?;
    store
        .deployment_record_set(SIGNING_KEY, keys.active().kid())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::{Durability, SqliteStore};

    fn store(dir: &std::path::Path) -> SqliteStore {
        SqliteStore::open(&dir.join("events.db"), Durability::Normal).unwrap()
    }

    #[tokio::test]
    async fn the_first_start_records_and_later_starts_compare() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let keys_dir = dir.path().join("keys");
        let keys = IssuerKeys::load_or_generate(&keys_dir).unwrap();
        let secret = ServerSecret::from_bytes([7; 32]);
        check(&store, &secret, &keys).await.unwrap();
        check(&store, &secret, &keys).await.unwrap();

        let other = ServerSecret::from_bytes([8; 32]);
        assert!(matches!(
            check(&store, &other, &keys).await,
            Err(DeploymentError::ServerSecret)
        ));
        let foreign = IssuerKeys::ephemeral().unwrap();
        let error = check(&store, &secret, &foreign).await.unwrap_err();
        assert!(matches!(error, DeploymentError::SigningKey { .. }));
        assert!(error.to_string().contains(keys.active().kid()), "{error}");

        // A rotation moves the record forward; the old key set is then refused.
        IssuerKeys::rotate(&keys_dir).unwrap();
        let rotated = IssuerKeys::load_or_generate(&keys_dir).unwrap();
        check(&store, &secret, &rotated).await.unwrap();
        assert!(check(&store, &secret, &keys).await.is_err());

        // Recording on purpose makes other secrets the deployment's.
        record(&store, &other, &foreign).await.unwrap();
        check(&store, &other, &foreign).await.unwrap();
        assert!(check(&store, &secret, &rotated).await.is_err());
    }

    #[test]
    fn the_fingerprint_reveals_nothing_of_the_secret() {
        let secret = [9u8; 32];
        let fingerprint = server_secret_fingerprint(&ServerSecret::from_bytes(secret));
        assert!(!fingerprint.contains(&URL_SAFE_NO_PAD.encode(secret)));
        assert_ne!(
            fingerprint,
            server_secret_fingerprint(&ServerSecret::from_bytes([10; 32]))
        );
    }
}
