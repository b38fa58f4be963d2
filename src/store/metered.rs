//! Counting appended events by type (`issuance_events_appended_total`) at the one place
//! every append passes: the event store the node wires up.

use async_trait::async_trait;
use issuance_eventlog::NewEvent;

use super::layered::AppendLayer;
use super::{AppendOutcome, EventStore, ExpectedVersion, SideEffects, StoreError};
use crate::metrics::Metrics;

/// Counts the events of every successful append.
pub struct Metered {
    metrics: Metrics,
}

impl Metered {
    /// Counts into `metrics`.
    pub fn new(metrics: Metrics) -> Metered {
        Metered { metrics }
    }
}

#[async_trait]
impl AppendLayer for Metered {
    async fn append_with(
        &self,
        inner: &dyn EventStore,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        let types: Vec<String> = events.iter().map(|e| e.event_type.clone()).collect();
        let outcome = inner
            .append_with(stream_id, expected, events, effects)
            .await?;
        self.metrics
            .record_appended(types.iter().map(String::as_str));
        Ok(outcome)
    }
}
