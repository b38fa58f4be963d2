//! Which issuers exist: the ids of the issuer streams, folded in memory from the log.
//!
//! Every node keeps its own index (no lease, like the status list registry): it is rebuilt
//! from the whole log at start and follows the log's tail, its own appends at once and other
//! nodes' within the follower's poll interval. Nothing is stored, so a restart, a replay or
//! a second node sharing the PostgreSQL store always sees the issuers the log holds. Lists
//! wait (bounded) until the index has read every write that completed before them, so an
//! issuer just created on any node is listed. The issuers themselves are read from their
//! streams; the index only says which streams to read.

use std::collections::BTreeSet;
use std::sync::RwLock;

use async_trait::async_trait;
use issuance_domain::issuer::{issuer_id_of_stream, IssuerId};
use issuance_eventlog::{LogPosition, RecordedEvent};

use crate::projector::{Projection, ProjectionError};

/// Name of the in-memory projection (logs).
pub const ISSUER_INDEX: &str = "issuer_index";

#[derive(Default)]
struct Inner {
    ids: BTreeSet<IssuerId>,
    position: LogPosition,
}

/// The issuer ids this node has read from the log.
#[derive(Default)]
pub struct IssuerIndex {
    inner: RwLock<Inner>,
}

impl IssuerIndex {
    /// Every issuer id read so far, in order (retired issuers included).
    pub fn ids(&self) -> Vec<IssuerId> {
        self.inner
            .read()
            .map(|inner| inner.ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The position of the last event read.
    pub fn position(&self) -> LogPosition {
        self.inner
            .read()
            .map(|inner| inner.position)
            .unwrap_or(LogPosition::START)
    }

    /// Takes a batch of the log: every event of an issuer stream names an issuer (the first
    /// one of each stream creates it).
    pub fn apply(&self, events: &[RecordedEvent]) -> Result<(), String> {
        let mut inner = self
            .inner
            .write()
            .map_err(|_| "the issuer index lock is poisoned".to_string())?;
        for event in events {
            if let Some(id) = issuer_id_of_stream(&event.stream_id) {
                inner.ids.insert(id);
            }
            inner.position = inner.position.max(event.position);
        }
        Ok(())
    }

    fn reset(&self) {
        if let Ok(mut inner) = self.inner.write() {
            *inner = Inner::default();
        }
    }
}

/// The index as a [`Projection`] run by [`crate::projector::run`] on every node.
pub struct IssuerIndexProjection(pub std::sync::Arc<IssuerIndex>);

#[async_trait]
impl Projection for IssuerIndexProjection {
    fn name(&self) -> &'static str {
        ISSUER_INDEX
    }

    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError> {
        Ok(self.0.position())
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        self.0.apply(events).map_err(|detail| ProjectionError {
            projection: ISSUER_INDEX,
            detail,
        })
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        self.0.reset();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use issuance_eventlog::EventMetadata;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn event(commit: u64, stream_id: &str) -> RecordedEvent {
        RecordedEvent {
            position: LogPosition {
                commit,
                prepare: commit,
            },
            stream_id: stream_id.into(),
            sequence: 1,
            event_id: Uuid::now_v7(),
            event_type: "Any".into(),
            event_version: 1,
            payload: std::sync::Arc::new(json!({})),
            metadata: EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
        }
    }

    #[test]
    fn names_each_issuer_stream_once_and_skips_other_streams() {
        let index = IssuerIndex::default();
        let offer = format!("offer-{}", Uuid::now_v7());
        let batch = [
            event(1, "issuer-zeta"),
            event(2, &offer),
            event(3, "issuer-acme"),
            event(4, "issuer-zeta"),
            event(5, "issuer-Not A Slug"),
        ];
        index.apply(&batch).unwrap();
        let ids: Vec<_> = index.ids().iter().map(|id| id.to_string()).collect();
        assert_eq!(ids, ["acme", "zeta"]);
        assert_eq!(index.position().commit, 5);
        index.reset();
        assert!(index.ids().is_empty());
        assert_eq!(index.position(), LogPosition::START);
    }
}
