//! The log's head, for read-your-write waits and readiness: the one view of the event log
//! that callers outside the repository get (they cannot read or append through it).

use std::sync::Arc;
use std::time::Duration;

use issuance_eventlog::LogPosition;

use crate::projector::ProjectionProgress;
use crate::store::{EventStore, StoreError};

/// How long a management read waits for writes that completed before it to reach a view.
pub const READ_YOUR_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the log ends.
#[derive(Clone)]
pub struct LogHead {
    events: Arc<dyn EventStore>,
}

impl LogHead {
    /// The head of `events`.
    pub fn new(events: Arc<dyn EventStore>) -> LogHead {
        LogHead { events }
    }

    /// The log's head as the store reports it.
    pub async fn head(&self) -> Result<LogPosition, StoreError> {
        self.events.head().await
    }

    /// The log's head, or this process's own last append if that is newer: on PostgreSQL
    /// the head stops short of a commit while an older transaction is still open.
    pub async fn written_head(&self) -> Result<LogPosition, StoreError> {
        let local = *self.events.appended().borrow();
        Ok(self.events.head().await?.max(local))
    }

    /// The backend's name (`sqlite`, `postgres`, `esdb`).
    pub fn backend(&self) -> &'static str {
        self.events.backend()
    }

    /// Waits (bounded) until `progress` has read every write that completed before this
    /// call, wherever it was made; `false` when the wait timed out. Writes do not wait for
    /// projections; reads, which are rare, do.
    pub async fn await_written(&self, progress: &ProjectionProgress) -> Result<bool, StoreError> {
        let head = self.written_head().await?;
        Ok(progress.wait_for(head, READ_YOUR_WRITE_TIMEOUT).await)
    }
}
