//! The events this process appended most recently, kept in memory in log order.
//!
//! Every projection and the relay follow the log a few milliseconds behind the writer;
//! serving their reads from here instead of SQLite saves each of them a query and the
//! decoding of every row (three consumers read each event). The ring holds a contiguous
//! suffix of the log: every event after `floor`. A read that starts before `floor` (a
//! replay, a consumer that fell far behind) goes to SQLite as before.

use std::collections::VecDeque;
use std::sync::Mutex;

use issuance_eventlog::RecordedEvent;

/// Events kept: a few seconds of appends at full load, a few MB.
pub(super) const RECENT_EVENTS: usize = 4096;

/// The ring of recently committed events.
pub(super) struct RecentEvents {
    inner: Mutex<Ring>,
}

struct Ring {
    /// Every event with a position above this one is in `events`.
    floor: u64,
    events: VecDeque<RecordedEvent>,
    capacity: usize,
}

impl Ring {
    fn last(&self) -> u64 {
        self.events.back().map_or(self.floor, |e| e.position.commit)
    }
}

impl RecentEvents {
    /// An empty ring over a log whose last position is `head`.
    pub(super) fn new(head: u64, capacity: usize) -> Self {
        RecentEvents {
            inner: Mutex::new(Ring {
                floor: head,
                events: VecDeque::with_capacity(capacity.min(1024)),
                capacity: capacity.max(1),
            }),
        }
    }

    /// Adds committed events, in log order. The writer calls it after each commit, before
    /// announcing the new head. Positions that do not follow on (another process wrote to
    /// the file) restart the ring after the gap, so the gap is read from SQLite.
    pub(super) fn push(&self, committed: Vec<RecordedEvent>) {
        let Ok(mut ring) = self.inner.lock() else {
            return;
        };
        for event in committed {
            let position = event.position.commit;
            if position != ring.last() + 1 {
                ring.events.clear();
                ring.floor = position.saturating_sub(1);
            }
            if ring.events.len() == ring.capacity {
                if let Some(evicted) = ring.events.pop_front() {
                    ring.floor = evicted.position.commit;
                }
            }
            ring.events.push_back(event);
        }
    }

    /// Up to `limit` events after position `after`, or `None` when the ring does not hold
    /// all of them (the caller reads SQLite).
    pub(super) fn after(&self, after: u64, limit: usize) -> Option<Vec<RecordedEvent>> {
        let ring = self.inner.lock().ok()?;
        if after < ring.floor {
            return None;
        }
        let start = ring.events.partition_point(|e| e.position.commit <= after);
        Some(ring.events.range(start..).take(limit).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuance_eventlog::{EventMetadata, LogPosition};
    use uuid::Uuid;

    fn event(position: u64) -> RecordedEvent {
        RecordedEvent {
            position: LogPosition::at(position),
            stream_id: "offer-x".into(),
            sequence: position,
            event_id: Uuid::nil(),
            event_type: "OfferCreated".into(),
            event_version: 1,
            payload: std::sync::Arc::new(serde_json::Value::Null),
            metadata: EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
        }
    }

    fn positions(events: Option<Vec<RecordedEvent>>) -> Option<Vec<u64>> {
        events.map(|e| e.iter().map(|e| e.position.commit).collect())
    }

    #[test]
    fn serves_reads_from_its_floor_on() {
        let ring = RecentEvents::new(10, 8);
        assert_eq!(positions(ring.after(10, 100)), Some(vec![]));
        ring.push((11..=14).map(event).collect());
        assert_eq!(positions(ring.after(10, 100)), Some(vec![11, 12, 13, 14]));
        assert_eq!(positions(ring.after(12, 1)), Some(vec![13]));
        assert_eq!(positions(ring.after(14, 100)), Some(vec![]));
        assert_eq!(positions(ring.after(9, 100)), None, "before the floor");
    }

    #[test]
    fn eviction_raises_the_floor() {
        let ring = RecentEvents::new(0, 3);
        ring.push((1..=5).map(event).collect());
        assert_eq!(positions(ring.after(2, 100)), Some(vec![3, 4, 5]));
        assert_eq!(positions(ring.after(1, 100)), None);
    }

    #[test]
    fn a_gap_restarts_the_ring_after_it() {
        let ring = RecentEvents::new(0, 8);
        ring.push(vec![event(1), event(2)]);
        // Positions 3..=5 were written by someone else.
        ring.push(vec![event(6)]);
        assert_eq!(positions(ring.after(2, 100)), None);
        assert_eq!(positions(ring.after(5, 100)), Some(vec![6]));
    }
}
