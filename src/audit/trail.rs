//! The audit trail as the management API reads it: pages of entries, the signed head, and
//! the verification of the chain (optionally against the event log).

use std::sync::Arc;

use issuance_credential::{IssuerKeys, SignError};

use super::head::{sign_head, verify_head, HeadClaims, HeadError};
use super::verify::{verify_chain, VerifyError, VerifyReport};
use crate::app::log_head::READ_YOUR_WRITE_TIMEOUT;
use crate::clock::Clock;
use crate::projector::ProjectionProgress;
use crate::readstore::{AuditPage, AuditQuery, AuditStore, ReadStoreError};
use crate::store::{EventStore, StoreError};

/// Why the signed head could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum SignedHeadError {
    /// The log's head could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit view could not be read.
    #[error(transparent)]
    ReadStore(#[from] ReadStoreError),
    /// The head could not be signed.
    #[error("cannot sign the audit head")]
    Sign(#[source] SignError),
}

/// Why a verification did not run to its verdict.
#[derive(Debug, thiserror::Error)]
pub enum TrailVerifyError {
    /// The presented signed head is not one of ours.
    #[error("signed_head: {0}")]
    SignedHead(#[source] HeadError),
    /// The stores failed.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// Where pages of audit entries come from (the trail, or an audit store directly).
#[async_trait::async_trait]
pub trait AuditPages: Send + Sync + 'static {
    /// A page of entries matching `query`.
    async fn page(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError>;
}

#[async_trait::async_trait]
impl AuditPages for Arc<dyn AuditStore> {
    async fn page(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError> {
        self.audit_entries(query).await
    }
}

#[async_trait::async_trait]
impl AuditPages for AuditTrail {
    async fn page(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError> {
        self.entries(query).await
    }
}

/// The audit view with what it takes to sign and verify it.
#[derive(Clone)]
pub struct AuditTrail {
    store: Arc<dyn AuditStore>,
    /// Read (never appended to) when a verification re-derives the entries from the log.
    log: Arc<dyn EventStore>,
    progress: ProjectionProgress,
    keys: Arc<IssuerKeys>,
    issuer_url: String,
    clock: Arc<dyn Clock>,
}

impl AuditTrail {
    /// The trail of `store`, whose projection reports `progress`, signed with `keys` as
    /// `issuer_url`.
    pub fn new(
        store: Arc<dyn AuditStore>,
        log: Arc<dyn EventStore>,
        progress: ProjectionProgress,
        (keys, issuer_url): (Arc<IssuerKeys>, String),
        clock: Arc<dyn Clock>,
    ) -> AuditTrail {
        AuditTrail {
            store,
            log,
            progress,
            keys,
            issuer_url,
            clock,
        }
    }

    /// A page of entries matching `query`, once the view holds every event appended before
    /// this call (bounded, see [`AuditTrail::caught_up`]).
    pub async fn entries(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError> {
        self.caught_up().await;
        self.store.audit_entries(query).await
    }

    /// Waits until the audit view has applied the log's head as of now, at most
    /// [`READ_YOUR_WRITE_TIMEOUT`] (a stalled projector or an unreadable log head: the view
    /// as it is), so that a read sees every write that completed before it began.
    async fn caught_up(&self) {
        match self.log.head().await {
            Ok(head) => {
                self.progress.wait_for(head, READ_YOUR_WRITE_TIMEOUT).await;
            }
            Err(error) => tracing::debug!(%error, "cannot read the log's head"),
        }
    }

    /// How many entries match `query`'s filters per minute (see
    /// [`AuditStore::audit_counts_per_minute`]).
    pub async fn counts_per_minute(
        &self,
        query: AuditQuery,
    ) -> Result<Vec<(i64, u64)>, ReadStoreError> {
        self.store.audit_counts_per_minute(query).await
    }

    /// The position of the latest entry (an export's snapshot ends there), once the view
    /// holds every event appended before this call (bounded).
    pub async fn tip_position(&self) -> Result<u64, ReadStoreError> {
        self.caught_up().await;
        Ok(self.store.audit_head().await?.tip.position)
    }

    /// The chain's head as of the log now (bounded: a stalled projector yields the head it
    /// reached), signed.
    pub async fn signed_head(&self) -> Result<(HeadClaims, String), SignedHeadError> {
        let log_head = self.log.head().await?;
        self.progress
            .wait_for(log_head, READ_YOUR_WRITE_TIMEOUT)
            .await;
        let tip = self.store.audit_head().await?.tip;
        sign_head(&self.keys, &self.issuer_url, &tip, self.clock.now())
            .map_err(SignedHeadError::Sign)
    }

    /// Recomputes the chain; with `signed_head` also proves the chain still contains it,
    /// with `against_log` that every entry is exactly the one the event log yields.
    pub async fn verify(
        &self,
        signed_head: Option<&str>,
        against_log: bool,
    ) -> Result<VerifyReport, TrailVerifyError> {
        let signed = signed_head
            .map(|jws| verify_head(&self.keys, jws).map_err(TrailVerifyError::SignedHead))
            .transpose()?;
        let log = against_log.then_some(self.log.as_ref());
        Ok(verify_chain(self.store.as_ref(), signed.as_ref(), log).await?)
    }
}
