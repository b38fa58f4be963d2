//! The audit view projection: extends the hash chain by one entry per event.

use std::sync::Arc;

use async_trait::async_trait;
use issuance_domain::{LogPosition, RecordedEvent};
use issuance_projections::audit::{audit_entry, ChainTip};

use super::{Projection, ProjectionError};
use crate::readstore::{AuditStore, AUDIT_VIEW};

/// Keeps `audit_entries` current.
pub struct AuditProjection {
    store: Arc<dyn AuditStore>,
}

impl AuditProjection {
    /// The projection over `store`.
    pub fn new(store: Arc<dyn AuditStore>) -> Self {
        AuditProjection { store }
    }
}

fn failed(error: impl std::fmt::Display) -> ProjectionError {
    ProjectionError {
        projection: AUDIT_VIEW,
        detail: error.to_string(),
    }
}

#[async_trait]
impl Projection for AuditProjection {
    fn name(&self) -> &'static str {
        AUDIT_VIEW
    }

    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError> {
        self.store.audit_checkpoint().await.map_err(failed)
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        // The chain continues from what is stored, not from memory: after a crash, a
        // replay or another node's batch, the stored tip is the only truth. The store
        // rejects the batch if the tip moved meanwhile.
        let mut tip: ChainTip = self.store.audit_tip().await.map_err(failed)?;
        let mut entries = Vec::with_capacity(events.len());
        for event in events {
            let entry = audit_entry(event, &tip).map_err(|e| {
                failed(format!(
                    "event {} at {:?}: {e}",
                    event.event_id, event.position
                ))
            })?;
            tip = ChainTip::of(&entry);
            entries.push(entry);
        }
        self.store
            .append_audit_entries(entries, last.position)
            .await
            .map_err(failed)
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        self.store.reset_audit().await.map_err(failed)
    }
}
