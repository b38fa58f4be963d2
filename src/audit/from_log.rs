//! Re-deriving audit entries from the event log, in step with a stored chain, so that a
//! verification can prove the audit view is exactly what the log yields: a chain rewritten
//! consistently (every hash recomputed) or a log rewritten under an intact chain both show
//! up as the first entry that differs.

use std::collections::VecDeque;

use issuance_eventlog::{LogPosition, RecordedEvent};
use issuance_projections::audit::{audit_entry, ChainTip};
use issuance_projections::AuditEntry;

use crate::store::{EventStore, StoreError};

/// Events read per batch.
const BATCH: usize = 1000;

/// The entries the log yields, one at a time, from position 1.
pub struct LogDerivation<'a> {
    events: &'a dyn EventStore,
    buffer: VecDeque<RecordedEvent>,
    after: LogPosition,
    tip: ChainTip,
}

impl<'a> LogDerivation<'a> {
    /// A derivation from the start of `events`.
    pub fn new(events: &'a dyn EventStore) -> Self {
        LogDerivation {
            events,
            buffer: VecDeque::new(),
            after: LogPosition::START,
            tip: ChainTip::genesis(),
        }
    }

    /// The next entry: `None` when the log has no further event, `Some(Err)` with the
    /// reason when the event cannot be made into an entry.
    pub async fn next(&mut self) -> Result<Option<Result<AuditEntry, String>>, StoreError> {
        if self.buffer.is_empty() {
            self.buffer = self.events.read_all_stored(self.after, BATCH).await?.into();
        }
        let Some(event) = self.buffer.pop_front() else {
            return Ok(None);
        };
        self.after = event.position;
        Ok(Some(match audit_entry(&event, &self.tip) {
            Ok(entry) => {
                self.tip = ChainTip::of(&entry);
                Ok(entry)
            }
            Err(error) => Err(error.to_string()),
        }))
    }
}
