//! The event store: one stream per offer, optimistic concurrency, a global ordered log.
//!
//! [`EventStore`] is implemented by the embedded SQLite store (default), PostgreSQL and
//! EventStoreDB. Next to it, [`SecretStore`] keeps what must live outside the log: the
//! per-offer data keys (destroyed to erase personal data) and the single-use nonce ledger.

pub mod esdb;
pub mod follower;
pub mod layered;
pub mod lease;
pub mod metered;
pub mod pg;
pub mod postgres;
pub mod separate_secrets;
pub mod sqlite;
pub mod sqlite_checkpointer;
pub mod sqlite_pool;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use issuance_eventlog::{LogPosition, NewEvent, RecordedEvent};
use tokio::sync::watch;
use uuid::Uuid;

/// What the appender believes the stream's version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have this (1-based) sequence.
    Exact(u64),
}

impl ExpectedVersion {
    /// The expectation for a stream loaded at `version` (0 = absent).
    pub fn from_version(version: u64) -> Self {
        if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        }
    }

    /// The version number this expectation names (0 for no stream).
    pub fn version(self) -> u64 {
        match self {
            ExpectedVersion::NoStream => 0,
            ExpectedVersion::Exact(v) => v,
        }
    }

    /// The outcome of appending no events to `stream_id`, found at version `actual`: the
    /// expectation is checked, nothing is written.
    pub fn check_empty_append(
        self,
        stream_id: &str,
        actual: u64,
    ) -> Result<AppendOutcome, StoreError> {
        if actual != self.version() {
            return Err(StoreError::Conflict {
                stream_id: stream_id.to_string(),
                expected: self.version(),
                actual,
            });
        }
        Ok(AppendOutcome {
            new_version: actual,
            last_position: LogPosition::START,
        })
    }
}

/// Moves a position watch forward to `position` (never back), waking its receivers only
/// when it moved.
pub fn advance(watch: &watch::Sender<LogPosition>, position: LogPosition) {
    watch.send_if_modified(|current| {
        let moved = position > *current;
        if moved {
            *current = position;
        }
        moved
    });
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream version after the append (sequence of its last event).
    pub new_version: u64,
    /// Global position of the last appended event.
    pub last_position: LogPosition,
}

/// Event store failures.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the stream moved on since it was read.
    #[error("concurrency conflict on {stream_id}: expected version {expected}, found {actual}")]
    Conflict {
        /// The stream.
        stream_id: String,
        /// Expected version.
        expected: u64,
        /// Actual version.
        actual: u64,
    },
    /// The store cannot be reached or failed.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// The backend (database, server, pool) failed.
    #[error("event store unavailable ({backend}): {source}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// Its error.
        #[source]
        source: crate::cause::Cause,
    },
    /// Stored data cannot be read back.
    #[error("event store data corrupt: {0}")]
    Corrupt(String),
    /// A nonce claimed together with an append was used before; nothing was written.
    #[error("a nonce claimed with the append was already used")]
    NonceReused,
}

/// A single-use nonce to record as used (its SHA-256), remembered until it expires. The
/// expiry must follow from the nonce (see [`SecretStore::consume_nonce`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceUse {
    /// SHA-256 of the nonce text.
    pub hash: [u8; 32],
    /// When the nonce expires; the ledger may forget it after that.
    pub expires_at: DateTime<Utc>,
}

impl NonceUse {
    /// The ledger entry of a signed proof's single-use `jti` (a DPoP proof, an attestation
    /// PoP): it outlives the window in which the proof's `iat` is accepted (`max_age` +
    /// `skew` seconds), and its key covers the signing key's thumbprint and the `iat` too,
    /// because the ledger may be keyed by expiry first (the embedded store's is) and the
    /// expiry follows from the `iat`: a replayed proof always meets its entry again.
    /// `label` keeps the kinds of proof apart. `None` for an `iat` out of range.
    pub fn of_jti(
        label: &[u8],
        key_thumbprint: &str,
        jti: &str,
        issued_at: i64,
        max_age: i64,
        skew: i64,
    ) -> Option<NonceUse> {
        let hash = crate::crypto::sha256(
            &[
                label,
                key_thumbprint.as_bytes(),
                b"\0",
                jti.as_bytes(),
                b"\0",
                &issued_at.to_be_bytes(),
            ]
            .concat(),
        );
        let expires_at =
            DateTime::from_timestamp(issued_at.saturating_add(max_age).saturating_add(skew), 0)?;
        Some(NonceUse {
            hash: hash.0,
            expires_at,
        })
    }
}

/// A backend of the event log.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream_id` if its version is `expected`, together with
    /// `effects`; all or nothing. A nonce in `effects` used before fails the append with
    /// [`StoreError::NonceReused`] and nothing is written; a conflict leaves the nonces
    /// unused and the key unchanged, so the caller may decide again and retry. With no
    /// events, only the expectation is checked and the effects are made (a spent nonce, a
    /// destroyed key). Each backend documents how it keeps this promise: SQLite and
    /// PostgreSQL in one transaction; a log beside a separate secret store in a fixed order
    /// ([`separate_secrets`]).
    async fn append_with(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError>;

    /// [`EventStore::append_with`] without side effects.
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_with(stream_id, expected, events, SideEffects::default())
            .await
    }

    /// Every event of a stream, in sequence order (empty if the stream does not exist).
    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events of a stream after sequence `after`, in order (a cached state catching up).
    async fn read_stream_after(
        &self,
        stream_id: &str,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = self.read_stream(stream_id).await?;
        events.retain(|e| e.sequence > after);
        Ok(events)
    }

    /// The events of a stream with `after < sequence <= up_to`, in order: for a reader that
    /// needs a long stream only up to one of its events (the callback processor).
    async fn read_stream_range(
        &self,
        stream_id: &str,
        after: u64,
        up_to: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = self.read_stream_after(stream_id, after).await?;
        events.retain(|e| e.sequence <= up_to);
        Ok(events)
    }

    /// Whether this process is the only writer of the store (the embedded file): then a
    /// state this process cached after its own append cannot be outdated by anyone else.
    fn single_writer(&self) -> bool {
        false
    }

    /// Up to `limit` events after `after` in global order. A reader that resumes from the
    /// last position it saw never skips an event, even one committed late by a concurrent
    /// writer (each backend documents how it guarantees this).
    async fn read_all(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// [`EventStore::read_all`] from storage itself, bypassing any in-memory copy of recent
    /// events: for checks of what is actually stored (audit verification against the log).
    async fn read_all_stored(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_all(after, limit).await
    }

    /// The position of the newest event readable by [`EventStore::read_all`].
    async fn head(&self) -> Result<LogPosition, StoreError>;

    /// Signals appends made through this process (projectors wake up on it; they also
    /// poll, for appends by other nodes).
    fn appended(&self) -> watch::Receiver<LogPosition>;

    /// Short backend name for logs and health (`sqlite`, `postgres`, `esdb`).
    fn backend(&self) -> &'static str;
}

pub use crate::crypto::data_key::DataKey;

/// A change to an offer's data key, made with an append ([`SideEffects::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// Stores this new key; fails if the offer has one already.
    Insert(DataKey),
    /// Destroys the key (securely, as [`SecretStore::destroy_data_key`]); an absent key is
    /// no error.
    Destroy,
}

/// What must commit together with an append's events ([`EventStore::append_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideEffects {
    /// Single-use nonces to record as used.
    pub nonces: Vec<NonceUse>,
    /// A change to the data key of this offer.
    pub key: Option<(Uuid, KeyChange)>,
}

impl SideEffects {
    /// Records `nonces` as used.
    pub fn consuming(nonces: Vec<NonceUse>) -> SideEffects {
        SideEffects { nonces, key: None }
    }

    /// Makes `change` to the data key of offer `offer_id`.
    pub fn changing_key(offer_id: Uuid, change: KeyChange) -> SideEffects {
        SideEffects {
            nonces: Vec::new(),
            key: Some((offer_id, change)),
        }
    }

    /// Whether there is nothing to do besides the events.
    pub fn is_empty(&self) -> bool {
        self.nonces.is_empty() && self.key.is_none()
    }
}

/// Secrets kept outside the log.
#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// Stores `key` for the offer unless one exists; returns the key in force.
    async fn data_key_get_or_insert(
        &self,
        offer_id: Uuid,
        key: DataKey,
    ) -> Result<DataKey, StoreError>;

    /// The offer's data key, `None` if never created or destroyed.
    async fn data_key(&self, offer_id: Uuid) -> Result<Option<DataKey>, StoreError>;

    /// Destroys the offer's data key (securely: the bytes are overwritten on disk).
    /// Returns whether a key existed.
    async fn destroy_data_key(&self, offer_id: Uuid) -> Result<bool, StoreError>;

    /// Records a nonce as used. `true` if it was fresh, `false` if already used.
    /// `expires_at` must follow from the nonce itself (every use of one nonce passes the
    /// same value): a ledger may be keyed by expiry first.
    async fn consume_nonce(
        &self,
        nonce_hash: [u8; 32],
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Forgets used nonces that expired before `now` (they can no longer be presented).
    async fn purge_nonces(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Stores the deployment record `name` (a fingerprint of a secret every node must
    /// share, see [`crate::node::deployment`]) unless one exists; returns the value in force.
    async fn deployment_record_get_or_insert(
        &self,
        name: &str,
        value: &str,
    ) -> Result<String, StoreError>;

    /// Replaces the deployment record `name`.
    async fn deployment_record_set(&self, name: &str, value: &str) -> Result<(), StoreError>;

    /// Stores an issuer's encrypted private key under its `key_ref` (fresh for every key:
    /// an existing entry fails). Entries are never changed or deleted; one whose key event
    /// was never appended is harmless garbage (see `app::issuers::vault`).
    async fn vault_insert(&self, entry: VaultEntry) -> Result<(), StoreError>;

    /// The vault entry `key_ref`, if stored.
    async fn vault_entry(&self, key_ref: &str) -> Result<Option<VaultEntry>, StoreError>;
}

/// An issuer's private signing key as the vault stores it: encrypted
/// ([`crate::crypto::key_vault`]), never in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultEntry {
    /// The entry's name, recorded as the key event's `key_ref`.
    pub key_ref: String,
    /// The issuer whose key it is (also bound into the ciphertext).
    pub issuer_id: String,
    /// The key's id (also bound into the ciphertext).
    pub kid: String,
    /// The encrypted private JWK.
    pub sealed: issuance_domain::Sealed,
}

/// The event store and secret store a configuration selected.
#[derive(Clone)]
pub struct Stores {
    /// The event log.
    pub events: Arc<dyn EventStore>,
    /// Data keys and nonces.
    pub secrets: Arc<dyn SecretStore>,
}
