//! The SQLite store as the secret store: data keys and nonces go through the group-commit
//! writer (they commit with appends); deployment records and the issuer key vault, written
//! rarely, on a connection of their own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use issuance_domain::Sealed;
use rusqlite::OptionalExtension;
use uuid::Uuid;

use super::writer::WriteOp;
use super::{sql_error, unavailable, SqliteStore};
use crate::store::{DataKey, SecretStore, StoreError, VaultEntry};

#[async_trait]
impl SecretStore for SqliteStore {
    async fn data_key_get_or_insert(
        &self,
        offer_id: Uuid,
        key: DataKey,
    ) -> Result<DataKey, StoreError> {
        self.write(|reply| WriteOp::KeyGetOrInsert {
            offer_id,
            key,
            reply,
        })
        .await
    }

    async fn data_key(&self, offer_id: Uuid) -> Result<Option<DataKey>, StoreError> {
        self.inner
            .readers
            .run(move |conn| {
                let key: Option<Vec<u8>> = conn
                    .prepare_cached("SELECT key FROM data_keys WHERE offer_id = ?1")
                    .and_then(|mut s| {
                        s.query_row([offer_id.to_string()], |row| row.get(0))
                            .optional()
                    })
                    .map_err(sql_error)?;
                key.map(|bytes| {
                    <[u8; 32]>::try_from(bytes.as_slice())
                        .map(DataKey)
                        .map_err(|_| {
                            StoreError::Corrupt(format!(
                                "data key of {offer_id} has a wrong length"
                            ))
                        })
                })
                .transpose()
            })
            .await
    }

    async fn destroy_data_key(&self, offer_id: Uuid) -> Result<bool, StoreError> {
        self.write(|reply| WriteOp::KeyDestroy { offer_id, reply })
            .await
    }

    async fn consume_nonce(
        &self,
        nonce_hash: [u8; 32],
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let expires_at = expires_at.timestamp();
        self.write(|reply| WriteOp::NonceConsume {
            hash: nonce_hash,
            expires_at,
            reply,
        })
        .await
    }

    async fn purge_nonces(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = now.timestamp();
        self.write(|reply| WriteOp::NoncePurge { now, reply }).await
    }

    async fn deployment_record_get_or_insert(
        &self,
        name: &str,
        value: &str,
    ) -> Result<String, StoreError> {
        let (name, value) = (name.to_string(), value.to_string());
        self.on_own_connection(move |connection| {
            connection.execute(
                "INSERT INTO deployment_records (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO NOTHING",
                [&name, &value],
            )?;
            connection.query_row(
                "SELECT value FROM deployment_records WHERE name = ?1",
                [&name],
                |row| row.get(0),
            )
        })
        .await
    }

    async fn deployment_record_set(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let (name, value) = (name.to_string(), value.to_string());
        self.on_own_connection(move |connection| {
            connection
                .execute(
                    "INSERT INTO deployment_records (name, value) VALUES (?1, ?2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                     updated_at = unixepoch()",
                    [&name, &value],
                )
                .map(|_| ())
        })
        .await
    }

    async fn vault_insert(&self, entry: VaultEntry) -> Result<(), StoreError> {
        self.on_own_connection(move |connection| {
            connection
                .execute(
                    "INSERT INTO issuer_keys (key_ref, issuer_id, kid, enc_alg, nonce, ciphertext) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    [
                        &entry.key_ref,
                        &entry.issuer_id,
                        &entry.kid,
                        &entry.sealed.alg,
                        &entry.sealed.nonce,
                        &entry.sealed.ciphertext,
                    ],
                )
                .map(|_| ())
        })
        .await
    }

    async fn vault_entry(&self, key_ref: &str) -> Result<Option<VaultEntry>, StoreError> {
        let key_ref = key_ref.to_string();
        self.inner
            .readers
            .run(move |conn| {
                conn.prepare_cached(
                    "SELECT key_ref, issuer_id, kid, enc_alg, nonce, ciphertext \
                     FROM issuer_keys WHERE key_ref = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([&key_ref], |row| {
                        Ok(VaultEntry {
                            key_ref: row.get(0)?,
                            issuer_id: row.get(1)?,
                            kid: row.get(2)?,
                            sealed: Sealed {
                                alg: row.get(3)?,
                                nonce: row.get(4)?,
                                ciphertext: row.get(5)?,
                            },
                        })
                    })
                    .optional()
                })
                .map_err(sql_error)
            })
            .await
    }
}

impl SqliteStore {
    /// Runs `work` on a connection of its own: deployment records (read and written once
    /// at start-up) and vault entries (one per key an institution adds) do not go through
    /// the group-commit writer.
    async fn on_own_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let path = self.inner.path.clone();
        tokio::task::spawn_blocking(move || {
            let connection = rusqlite::Connection::open(&path).map_err(sql_error)?;
            connection
                .busy_timeout(std::time::Duration::from_secs(10))
                .map_err(sql_error)?;
            work(&connection).map_err(sql_error)
        })
        .await
        .map_err(|e| unavailable(format!("deployment record task failed: {e}")))?
    }
}
