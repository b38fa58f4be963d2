//! The audit view projection: extends the hash chain by one entry per event.

use std::sync::Arc;

use async_trait::async_trait;
use issuance_eventlog::{LogPosition, RecordedEvent};
use issuance_projections::audit::{audit_entry, audit_issuer, ChainTip};

use super::{Projection, ProjectionError};
use crate::readstore::{AuditRecord, AuditStore, AUDIT_VIEW};

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
        Ok(self.store.audit_head().await.map_err(failed)?.checkpoint)
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        // The chain continues from what is stored, not from memory: after a crash, a
        // replay or another node's batch, the stored tip is the only truth. The store
        // rejects the batch if the tip moved meanwhile.
        let head = self.store.audit_head().await.map_err(failed)?;
        if !head.consistent() {
            // Entries were removed from the end (or the checkpoint moved): continuing
            // would attach the next event where another one's entry used to be. Stop and
            // let an operator look (`audit verify`, then `replay --projection audit_view`).
            return Err(failed(format!(
                "the last audit entry ({}) is for log position {:?} but the checkpoint is {:?}",
                head.tip.position, head.tip_log_position, head.checkpoint
            )));
        }
        let mut tip: ChainTip = head.tip;
        let mut entries = Vec::with_capacity(events.len());
        for event in events {
            let entry = audit_entry(event, &tip).map_err(|e| {
                failed(format!(
                    "event {} at {:?}: {e}",
                    event.event_id, event.position
                ))
            })?;
            tip = ChainTip::of(&entry);
            entries.push(AuditRecord {
                entry,
                issuer_id: audit_issuer(event),
            });
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

#[cfg(test)]
mod tests {
    use issuance_eventlog::EventMetadata;

    use super::*;
    use crate::readstore::sqlite::SqliteReadStore;
    use crate::readstore::sqlite_audit::SqliteAuditStore;

    fn events(positions: std::ops::RangeInclusive<u64>) -> Vec<RecordedEvent> {
        positions
            .map(|n| RecordedEvent {
                position: LogPosition::at(n),
                stream_id: "maintenance".into(),
                sequence: n,
                event_id: uuid::Uuid::new_v4(),
                event_type: "Tick".into(),
                event_version: 1,
                payload: std::sync::Arc::new(serde_json::json!({})),
                metadata: EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
            })
            .collect()
    }

    #[tokio::test]
    async fn the_projection_extends_the_stored_chain_and_stops_when_its_end_was_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("views.db");
        let store = SqliteAuditStore::open(SqliteReadStore::open(&path).unwrap()).unwrap();
        let projection = AuditProjection::new(Arc::new(store.clone()));
        projection.apply(&events(1..=3)).await.unwrap();
        projection.apply(&events(4..=5)).await.unwrap();
        assert_eq!(projection.checkpoint().await.unwrap(), LogPosition::at(5));
        let head = store.audit_head().await.unwrap();
        assert_eq!(head.tip.position, 5);

        rusqlite::Connection::open(&path)
            .unwrap()
            .execute("DELETE FROM audit_entries WHERE position = 5", [])
            .unwrap();
        let refused = projection.apply(&events(6..=6)).await;
        assert!(refused.is_err(), "{refused:?}");
        assert_eq!(store.audit_head().await.unwrap().tip.position, 4);
    }
}
