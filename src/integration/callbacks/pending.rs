//! The callbacks this node has taken up and not finished, per destination: what the
//! RabbitMQ transport reports as its backlog (the in-process transport reports its outbox,
//! which knows every undelivered callback). A callback counts from its first attempt (or
//! parking) until it is delivered or dead-lettered. Each is expected back by a deadline
//! (its attempt's timeout, or its retry delay, plus a margin); one that has not come back
//! by then was finished by another node and is forgotten.

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
    /// Forgotten unless seen again by then.
    deadline: Instant,
}

/// Unfinished callbacks by delivery id.
pub struct PendingCallbacks {
    horizon: Duration,
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl PendingCallbacks {
    /// Forgets a callback not seen again within `horizon` (or its retry delay and
    /// `horizon`, see [`PendingCallbacks::retry_in`]).
    pub fn new(horizon: Duration) -> PendingCallbacks {
        PendingCallbacks {
            horizon,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The callback will be tried again after `delay`.
    pub fn retry_in(&self, delivery: Uuid, delay: Duration) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(entry) = entries.get_mut(&delivery) {
                entry.deadline = Instant::now() + delay + self.horizon;
            }
        }
    }

    /// A callback of an event that happened at `occurred_at` is being worked on.
    pub fn seen(&self, delivery: Uuid, destination: &str, occurred_at: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let now = Instant::now();
        if entries.len() >= CAPACITY && !entries.contains_key(&delivery) {
            entries.retain(|_, e| e.deadline > now);
            if entries.len() >= CAPACITY {
                return;
            }
        }
        entries.insert(
            delivery,
            Entry {
                destination: destination.to_string(),
                occurred_at,
                deadline: now + self.horizon,
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
        entries.retain(|_, e| e.deadline > now);
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
    fn callbacks_not_seen_again_are_forgotten_unless_a_retry_is_due() {
        let pending = PendingCallbacks::new(Duration::ZERO);
        let retried = Uuid::new_v4();
        pending.seen(retried, "http://x:80", DateTime::UNIX_EPOCH);
        pending.retry_in(retried, Duration::from_secs(60));
        pending.seen(
            Uuid::new_v4(),
            "http://x:80",
            DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        );
        let backlog = pending.backlog();
        assert_eq!((backlog.len(), backlog[0].depth), (1, 1));
    }
}
