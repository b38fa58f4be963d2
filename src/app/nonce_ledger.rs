//! The ledger of used single-use values (DPoP `jti`s) that are spent on their own, outside
//! an aggregate's append (those spent with a command travel as the append's side effects).

use std::sync::Arc;

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::store::{SecretStore, StoreError};

/// How often used nonces are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// Ledger entries outlive their nonce by this much, so that a node whose clock runs behind
/// cannot accept a nonce whose ledger entry a node with a faster clock already purged.
const PURGE_GRACE_SECONDS: i64 = 300;

/// Records single-use values as spent.
#[derive(Clone)]
pub struct NonceLedger {
    secrets: Arc<dyn SecretStore>,
}

impl NonceLedger {
    /// The ledger of `secrets`.
    pub fn new(secrets: Arc<dyn SecretStore>) -> NonceLedger {
        NonceLedger { secrets }
    }

    /// Spends the value with this hash: `true` if it was fresh, `false` if already used.
    /// `expires_at` must follow from the value itself (see
    /// [`SecretStore::consume_nonce`]).
    pub async fn spend(
        &self,
        hash: [u8; 32],
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.secrets.consume_nonce(hash, expires_at).await
    }

    /// Forgets used nonces that expired more than a grace period before `now`; returns how
    /// many.
    pub async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.secrets
            .purge_nonces(now - chrono::Duration::seconds(PURGE_GRACE_SECONDS))
            .await
    }

    /// Background task: forgets used nonces whose expiry has passed, every minute, until
    /// `shutdown` changes.
    pub async fn purge_periodically(
        self,
        clock: Arc<dyn Clock>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut interval = tokio::time::interval(PURGE_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                // A signal or a dropped sender: either way the service is stopping.
                _ = shutdown.changed() => return,
            }
            match self.purge_expired(clock.now()).await {
                Ok(purged) if purged > 0 => tracing::debug!(purged, "purged used nonces"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot purge used nonces"),
            }
        }
    }
}
