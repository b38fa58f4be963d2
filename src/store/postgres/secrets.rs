//! Data keys, the used-nonce ledger, deployment records and the issuer key vault in
//! PostgreSQL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use uuid::Uuid;

use super::{pg_error, schema};
use crate::store::pg::{self, PgTarget};
use crate::store::{DataKey, SecretStore, StoreError, VaultEntry};

/// Destroyed keys are pruned by one `VACUUM` per this interval at most.
const VACUUM_DELAY: Duration = Duration::from_secs(1);

/// The PostgreSQL secret store.
#[derive(Clone)]
pub struct PgSecretStore {
    pool: Pool,
    vacuum: KeyVacuum,
}

fn to_key(offer_id: Uuid, bytes: &[u8]) -> Result<DataKey, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(DataKey)
        .map_err(|_| StoreError::Corrupt(format!("data key of {offer_id} has a wrong length")))
}

impl PgSecretStore {
    /// Migrates the secret tables on `pool` (of `target`).
    pub async fn open(target: &PgTarget, pool: Pool) -> Result<PgSecretStore, StoreError> {
        let mut client = pool.get().await?;
        pg::migrate(target, &mut client, schema::SECRETS_TRACK, schema::SECRETS)
            .await
            .map_err(pg_error)?;
        Ok(PgSecretStore {
            vacuum: KeyVacuum::new(pool.clone()),
            pool,
        })
    }
}

/// Overwrites the data keys of offers `$1` (an array) with zeros: the row versions left
/// behind by the delete that follows then no longer hold the key bytes.
pub(super) const ZERO_KEYS: &str = "UPDATE data_keys SET key = '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea WHERE offer_id = ANY($1)";

/// Stores new data keys: offers `$1`, keys `$2` (arrays); an existing key fails.
pub(super) const INSERT_KEYS: &str =
    "INSERT INTO data_keys (offer_id, key) SELECT * FROM unnest($1::uuid[], $2::bytea[])";

/// Deletes the data keys of offers `$1` (an array).
pub(super) const DELETE_KEYS: &str = "DELETE FROM data_keys WHERE offer_id = ANY($1)";

/// Vacuums `data_keys` soon after keys were destroyed.
///
/// PostgreSQL never overwrites a row in place: an `UPDATE` or `DELETE` leaves the old
/// row version on its page until the table is vacuumed. So a destroyed key is first
/// overwritten with zeros (the live version no longer holds it), then deleted, and a
/// `VACUUM` soon after prunes the dead versions that still hold the bytes. Copies in
/// WAL segments and base backups age out with the operator's retention of those.
#[derive(Clone)]
pub(super) struct KeyVacuum {
    pool: Pool,
    pending: Arc<AtomicBool>,
}

impl KeyVacuum {
    pub(super) fn new(pool: Pool) -> Self {
        KeyVacuum {
            pool,
            pending: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Vacuums after [`VACUUM_DELAY`], once for all keys destroyed meanwhile.
    pub(super) fn schedule(&self) {
        if self.pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let vacuum = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(VACUUM_DELAY).await;
            vacuum.pending.store(false, Ordering::Release);
            match vacuum.pool.get().await {
                Ok(client) => {
                    if let Err(error) = client.batch_execute("VACUUM data_keys").await {
                        tracing::warn!(%error, "vacuuming destroyed data keys failed");
                    }
                }
                Err(error) => tracing::warn!(%error, "vacuuming destroyed data keys failed"),
            }
        });
    }
}

#[async_trait]
impl SecretStore for PgSecretStore {
    async fn data_key_get_or_insert(
        &self,
        offer_id: Uuid,
        key: DataKey,
    ) -> Result<DataKey, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "WITH inserted AS (INSERT INTO data_keys (offer_id, key) VALUES ($1, $2) \
                 ON CONFLICT (offer_id) DO NOTHING RETURNING key) \
                 SELECT key FROM inserted UNION ALL SELECT key FROM data_keys WHERE offer_id = $1 LIMIT 1",
            )
            .await?;
        if let Some(row) = client
            .query_opt(&statement, &[&offer_id, &&key.0[..]])
            .await?
        {
            return to_key(offer_id, row.try_get(0)?);
        }
        // A concurrent caller inserted first and committed after this statement's
        // snapshot: the conflict was waited for, its row is visible to a new statement.
        drop(client);
        self.data_key(offer_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("data key of {offer_id} vanished")))
    }

    async fn data_key(&self, offer_id: Uuid) -> Result<Option<DataKey>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached("SELECT key FROM data_keys WHERE offer_id = $1")
            .await?;
        match client.query_opt(&statement, &[&offer_id]).await? {
            Some(row) => Ok(Some(to_key(offer_id, row.try_get(0)?)?)),
            None => Ok(None),
        }
    }

    async fn destroy_data_key(&self, offer_id: Uuid) -> Result<bool, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let offers = [offer_id];
        tx.execute(ZERO_KEYS, &[&&offers[..]]).await?;
        let deleted = tx.execute(DELETE_KEYS, &[&&offers[..]]).await?;
        tx.commit().await?;
        if deleted > 0 {
            self.vacuum.schedule();
        }
        Ok(deleted > 0)
    }

    async fn consume_nonce(
        &self,
        nonce_hash: [u8; 32],
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO used_nonces (nonce_hash, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (expires_at, nonce_hash) DO NOTHING",
            )
            .await?;
        let inserted = client
            .execute(&statement, &[&&nonce_hash[..], &expires_at])
            .await?;
        Ok(inserted == 1)
    }

    async fn purge_nonces(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute("DELETE FROM used_nonces WHERE expires_at < $1", &[&now])
            .await?)
    }

    async fn deployment_record_get_or_insert(
        &self,
        name: &str,
        value: &str,
    ) -> Result<String, StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO deployment_records (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &value],
            )
            .await?;
        let row = client
            .query_one(
                "SELECT value FROM deployment_records WHERE name = $1",
                &[&name],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn deployment_record_set(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO deployment_records (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
                &[&name, &value],
            )
            .await?;
        Ok(())
    }

    async fn vault_insert(&self, entry: VaultEntry) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO issuer_keys (key_ref, issuer_id, kid, enc_alg, nonce, ciphertext) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &entry.key_ref,
                    &entry.issuer_id,
                    &entry.kid,
                    &entry.sealed.alg,
                    &entry.sealed.nonce,
                    &entry.sealed.ciphertext,
                ],
            )
            .await?;
        Ok(())
    }

    async fn vault_entry(&self, key_ref: &str) -> Result<Option<VaultEntry>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT key_ref, issuer_id, kid, enc_alg, nonce, ciphertext \
                 FROM issuer_keys WHERE key_ref = $1",
                &[&key_ref],
            )
            .await?;
        row.map(|row| {
            Ok(VaultEntry {
                key_ref: row.try_get(0)?,
                issuer_id: row.try_get(1)?,
                kid: row.try_get(2)?,
                sealed: issuance_domain::Sealed {
                    alg: row.try_get(3)?,
                    nonce: row.try_get(4)?,
                    ciphertext: row.try_get(5)?,
                },
            })
        })
        .transpose()
    }
}
