//! An event store with a layer around its appends: the layer sees every append (and may
//! add to it, or count it), every read goes straight to the store beneath.

use std::sync::Arc;

use async_trait::async_trait;
use issuance_eventlog::{LogPosition, NewEvent, RecordedEvent};
use tokio::sync::watch;

use super::{AppendOutcome, EventStore, ExpectedVersion, SideEffects, StoreError};

/// What a layer does around an append.
#[async_trait]
pub trait AppendLayer: Send + Sync + 'static {
    /// Appends through `inner`, with whatever the layer adds.
    async fn append_with(
        &self,
        inner: &dyn EventStore,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError>;
}

/// `inner` with `layer` around its appends.
pub struct Layered<L> {
    inner: Arc<dyn EventStore>,
    layer: L,
}

impl<L: AppendLayer> Layered<L> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn EventStore>, layer: L) -> Layered<L> {
        Layered { inner, layer }
    }
}

#[async_trait]
impl<L: AppendLayer> EventStore for Layered<L> {
    async fn append_with(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        self.layer
            .append_with(self.inner.as_ref(), stream_id, expected, events, effects)
            .await
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream_id).await
    }

    async fn read_stream_after(
        &self,
        stream_id: &str,
        after: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream_after(stream_id, after).await
    }

    async fn read_stream_range(
        &self,
        stream_id: &str,
        after: u64,
        up_to: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream_range(stream_id, after, up_to).await
    }

    fn single_writer(&self) -> bool {
        self.inner.single_writer()
    }

    async fn read_all(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn read_all_stored(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all_stored(after, limit).await
    }

    async fn head(&self) -> Result<LogPosition, StoreError> {
        self.inner.head().await
    }

    fn appended(&self) -> watch::Receiver<LogPosition> {
        self.inner.appended()
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
