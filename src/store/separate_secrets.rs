//! An event log whose transactions do not reach the secret store (EventStoreDB beside a
//! PostgreSQL or SQLite secret store), made to keep [`EventStore::append_with`]'s promise
//! by a fixed order:
//!
//! 1. Nonces are recorded as used first: a nonce used before fails the append with
//!    [`StoreError::NonceReused`] and writes nothing.
//! 2. A new data key is stored next, a destroyed key destroyed next: personal data is never
//!    sealed under a key the store lacks, and an erasure is irreversible before the log
//!    says so.
//! 3. The events are appended last.
//!
//! A crash between the steps leaves a spent nonce (the wallet asks for a new one), an
//! unused key (harmless) or a destroyed key before its `ClaimsErased` (erasure is
//! idempotent and repeated). When the append meets a conflict, its nonces are spent in
//! the ledger but not used: they are held for one retry of the same append (the
//! repository decides again and retries), and whichever append presents such a nonce next
//! takes it, so a nonce still serves at most one append.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use issuance_eventlog::NewEvent;

use super::layered::AppendLayer;
use super::{
    AppendOutcome, EventStore, ExpectedVersion, KeyChange, NonceUse, SecretStore, SideEffects,
    StoreError,
};

/// Most nonces held for retries at once (conflicts are rare; a request whose batch had a
/// used nonce leaves its fresh ones held, which nothing else takes).
const MAX_HELD: usize = 10_000;

/// The layer that makes an append's side effects in `secrets`, in the documented order,
/// around a log ([`Layered`](super::layered::Layered)).
pub struct SeparateSecrets {
    secrets: Arc<dyn SecretStore>,
    /// Nonces spent by an append that then conflicted: free for the next append.
    held: Mutex<HashSet<[u8; 32]>>,
}

impl SeparateSecrets {
    /// Makes side effects in `secrets`.
    pub fn new(secrets: Arc<dyn SecretStore>) -> SeparateSecrets {
        SeparateSecrets {
            secrets,
            held: Mutex::new(HashSet::new()),
        }
    }

    fn take_held(&self, nonce: &NonceUse) -> bool {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&nonce.hash)
    }

    fn hold(&self, nonces: &[NonceUse]) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.len() + nonces.len() > MAX_HELD {
            // Bounded memory: a forgotten nonce only turns one retry into `NonceReused`.
            held.clear();
        }
        held.extend(nonces.iter().map(|n| n.hash));
    }

    async fn spend(&self, nonces: &[NonceUse]) -> Result<(), StoreError> {
        for (i, nonce) in nonces.iter().enumerate() {
            if self.take_held(nonce) {
                continue;
            }
            if !self
                .secrets
                .consume_nonce(nonce.hash, nonce.expires_at)
                .await?
            {
                // The ones spent before it are no one's now; keep them for a retry.
                self.hold(&nonces[..i]);
                return Err(StoreError::NonceReused);
            }
        }
        Ok(())
    }

    async fn change_key(&self, key: Option<(uuid::Uuid, KeyChange)>) -> Result<(), StoreError> {
        match key {
            None => Ok(()),
            Some((offer_id, KeyChange::Insert(key))) => {
                let in_force = self
                    .secrets
                    .data_key_get_or_insert(offer_id, key.clone())
                    .await?;
                if in_force != key {
                    return Err(StoreError::Unavailable(format!(
                        "offer {offer_id} already has a data key"
                    )));
                }
                Ok(())
            }
            Some((offer_id, KeyChange::Destroy)) => {
                self.secrets.destroy_data_key(offer_id).await.map(|_| ())
            }
        }
    }
}

#[async_trait]
impl AppendLayer for SeparateSecrets {
    async fn append_with(
        &self,
        events: &dyn EventStore,
        stream_id: &str,
        expected: ExpectedVersion,
        new_events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        let SideEffects { nonces, key } = effects;
        self.spend(&nonces).await?;
        self.change_key(key).await?;
        let appended = events.append(stream_id, expected, new_events).await;
        if matches!(appended, Err(StoreError::Conflict { .. })) {
            self.hold(&nonces);
        }
        appended
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use issuance_eventlog::EventMetadata;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::store::layered::Layered;
    use crate::store::sqlite::{Durability, SqliteStore};
    use crate::store::DataKey;

    /// A log and a secret store in two separate files: no transaction covers both.
    fn stores(dir: &tempfile::TempDir) -> (Layered<SeparateSecrets>, Arc<dyn SecretStore>) {
        let log = SqliteStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(
            SqliteStore::open(&dir.path().join("secrets.db"), Durability::Normal).unwrap(),
        );
        (
            Layered::new(Arc::new(log), SeparateSecrets::new(secrets.clone())),
            secrets,
        )
    }

    fn event() -> NewEvent {
        NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "Tested".into(),
            event_version: 1,
            payload: json!({}),
            metadata: EventMetadata {
                actor: "test".into(),
                request_id: None,
                occurred_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
                client_ip: None,
                holder_key_thumbprint: None,
                issuer_id: None,
            },
        }
    }

    fn nonce() -> NonceUse {
        NonceUse {
            hash: rand::random(),
            expires_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_used_nonce_writes_nothing_and_a_conflicted_one_serves_one_retry() {
        let dir = tempfile::tempdir().unwrap();
        let (store, secrets) = stores(&dir);
        let (first, second) = (nonce(), nonce());
        let consuming = |n: Vec<NonceUse>| SideEffects::consuming(n);
        store
            .append_with(
                "s",
                ExpectedVersion::NoStream,
                vec![event()],
                consuming(vec![first]),
            )
            .await
            .unwrap();
        let reused = store
            .append_with(
                "s",
                ExpectedVersion::Exact(1),
                vec![event()],
                consuming(vec![first]),
            )
            .await;
        assert!(matches!(reused, Err(StoreError::NonceReused)), "{reused:?}");
        assert_eq!(store.read_stream("s").await.unwrap().len(), 1);

        // A conflict spends the nonce in the ledger but holds it for the retry, once.
        let conflict = store
            .append_with(
                "s",
                ExpectedVersion::NoStream,
                vec![event()],
                consuming(vec![second]),
            )
            .await;
        assert!(
            matches!(conflict, Err(StoreError::Conflict { .. })),
            "{conflict:?}"
        );
        assert!(!secrets
            .consume_nonce(second.hash, second.expires_at)
            .await
            .unwrap());
        store
            .append_with(
                "s",
                ExpectedVersion::Exact(1),
                vec![event()],
                consuming(vec![second]),
            )
            .await
            .unwrap();
        let replayed = store
            .append_with(
                "s",
                ExpectedVersion::Exact(2),
                vec![event()],
                consuming(vec![second]),
            )
            .await;
        assert!(
            matches!(replayed, Err(StoreError::NonceReused)),
            "{replayed:?}"
        );
        assert_eq!(store.read_stream("s").await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn keys_are_stored_before_and_destroyed_before_the_append() {
        let dir = tempfile::tempdir().unwrap();
        let (store, secrets) = stores(&dir);
        let offer = Uuid::new_v4();
        let key = DataKey(rand::random());
        store
            .append_with(
                "k",
                ExpectedVersion::NoStream,
                vec![event()],
                SideEffects::changing_key(offer, KeyChange::Insert(key.clone())),
            )
            .await
            .unwrap();
        assert_eq!(secrets.data_key(offer).await.unwrap(), Some(key));

        // A second key for the offer is refused before anything is appended.
        let twice = store
            .append_with(
                "k",
                ExpectedVersion::Exact(1),
                vec![event()],
                SideEffects::changing_key(offer, KeyChange::Insert(DataKey(rand::random()))),
            )
            .await;
        assert!(twice.is_err(), "{twice:?}");
        assert_eq!(store.read_stream("k").await.unwrap().len(), 1);

        store
            .append_with(
                "k",
                ExpectedVersion::Exact(1),
                vec![event()],
                SideEffects::changing_key(offer, KeyChange::Destroy),
            )
            .await
            .unwrap();
        assert_eq!(secrets.data_key(offer).await.unwrap(), None);
        assert_eq!(store.read_stream("k").await.unwrap().len(), 2);
    }
}
