//! The callbacks this node has taken up and not finished, per destination: what the
//! RabbitMQ transport reports as its backlog (the in-process transport reports its outbox,
//! which knows every undelivered callback). A callback counts from its first attempt (or
//! parking) until it is delivered or dead-lettered; one that has not come back for longer
//! than the retry schedule's longest step was finished by another node and is forgotten.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::integration::store::DestinationBacklog;

/// Callbacks tracked before the longest-unseen ones are forgotten.
const CAPACITY: usize = 100_000;

struct Entry {
    destination: String,
    occurred_at: DateTime<Utc>,
    seen: Instant,
}

/// Unfinished callbacks by delivery id.
pub struct PendingCallbacks {
    forget_after: Duration,
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl PendingCallbacks {
    /// Forgets callbacks not seen for `forget_after`.
    pub fn new(forget_after: Duration) -> PendingCallbacks {
        PendingCallbacks {
            forget_after,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// A callback of an event that happened at `occurred_at` is being worked on.
    pub fn seen(&self, delivery: Uuid, destination: &str, occurred_at: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY && !entries.contains_key(&delivery) {
            let now = Instant::now();
            entries.retain(|_, e| now.duration_since(e.seen) < self.forget_after);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(
            delivery,
            Entry {
                destination: destination.to_string(),
                occurred_at,
                seen: Instant::now(),
            },
        );
    }

    /// The callback was delivered or dead-lettered.
    pub fn finished(&self, delivery: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&delivery);
        }
    }

    /// Depth and oldest event time per destination.
    pub fn backlog(&self) -> Vec<DestinationBacklog> {
        let Ok(mut entries) = self.entries.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        entries.retain(|_, e| now.duration_since(e.seen) < self.forget_after);
        let mut by_destination: BTreeMap<&str, DestinationBacklog> = BTreeMap::new();
        for entry in entries.values() {
            let backlog =
                by_destination
                    .entry(&entry.destination)
                    .or_insert_with(|| DestinationBacklog {
                        destination: entry.destination.clone(),
                        depth: 0,
                        oldest: None,
                    });
            backlog.depth += 1;
            backlog.oldest = Some(
                backlog
                    .oldest
                    .map_or(entry.occurred_at, |o| o.min(entry.occurred_at)),
            );
        }
        by_destination.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_callbacks_count_per_destination_until_finished() {
        let pending = PendingCallbacks::new(Duration::from_secs(60));
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let t1 = DateTime::from_timestamp(2_000, 0).unwrap_or_default();
        pending.seen(a, "http://x:80", t1);
        pending.seen(b, "http://x:80", t0);
        pending.seen(c, "http://y:80", t1);
        pending.seen(a, "http://x:80", t1);
        let backlog = pending.backlog();
        assert_eq!(backlog.len(), 2);
        assert_eq!((backlog[0].depth, backlog[0].oldest), (2, Some(t0)));
        pending.finished(b);
        pending.finished(c);
        let backlog = pending.backlog();
        assert_eq!(backlog.len(), 1);
        assert_eq!((backlog[0].depth, backlog[0].oldest), (1, Some(t1)));
    }

    #[test]
    fn callbacks_not_seen_again_are_forgotten() {
        let pending = PendingCallbacks::new(Duration::ZERO);
        pending.seen(
            Uuid::new_v4(),
            "http://x:80",
            DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        );
        assert!(pending.backlog().is_empty());
    }
}
