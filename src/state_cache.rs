//! A bounded in-memory cache of aggregate states, so a wallet request does not re-read and
//! re-decode an offer's whole stream each time.
//!
//! Coherence comes from how it is used (see [`crate::repository`]): entries are written only
//! after a successful append, under the per-instance command lock, and carry the stream
//! version they reflect. With a store that only this process writes (the embedded SQLite
//! file) an entry is authoritative; with a shared store (PostgreSQL, EventStoreDB) the
//! repository first reads the events after the cached version, so a change made by
//! another node is never missed.

use std::collections::HashMap;
use std::sync::Mutex;

use uuid::Uuid;

/// Shards, to keep lock contention low.
const SHARDS: usize = 16;

/// Cached states by instance id.
pub struct StateCache<A> {
    shards: Vec<Mutex<HashMap<Uuid, A>>>,
    per_shard: usize,
}

impl<A: Clone> StateCache<A> {
    /// A cache of at most about `capacity` states.
    pub fn new(capacity: usize) -> Self {
        StateCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: (capacity / SHARDS).max(1),
        }
    }

    fn shard(&self, id: Uuid) -> &Mutex<HashMap<Uuid, A>> {
        &self.shards[(id.as_u128() % SHARDS as u128) as usize]
    }

    /// The cached state of `id`, if any.
    pub fn get(&self, id: Uuid) -> Option<A> {
        self.shard(id).lock().ok()?.get(&id).cloned()
    }

    /// Caches `state` for `id`, evicting an arbitrary entry of a full shard (recent
    /// instances are re-cached on their next command, old ones are rarely touched again).
    pub fn put(&self, id: Uuid, state: A) {
        if let Ok(mut shard) = self.shard(id).lock() {
            if shard.len() >= self.per_shard && !shard.contains_key(&id) {
                if let Some(victim) = shard.keys().next().copied() {
                    shard.remove(&victim);
                }
            }
            shard.insert(id, state);
        }
    }

    /// Caches `state` unless the cached one is at least as new (`newer(old, new)` decides),
    /// atomically: an append's newer state can never be replaced by an older load.
    pub fn put_newer(&self, id: Uuid, state: A, newer: impl Fn(&A, &A) -> bool) {
        if let Ok(mut shard) = self.shard(id).lock() {
            match shard.get(&id) {
                Some(old) if !newer(old, &state) => {}
                Some(_) => {
                    shard.insert(id, state);
                }
                None => {
                    if shard.len() >= self.per_shard {
                        if let Some(victim) = shard.keys().next().copied() {
                            shard.remove(&victim);
                        }
                    }
                    shard.insert(id, state);
                }
            }
        }
    }

    /// Forgets `id`.
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut shard) = self.shard(id).lock() {
            shard.remove(&id);
        }
    }

    /// Number of cached states.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.len()))
            .sum()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_state_never_replaces_a_newer_one() {
        let cache = StateCache::new(32);
        let id = Uuid::from_u128(1);
        cache.put(id, 2u64);
        cache.put_newer(id, 1, |old, new| new > old);
        assert_eq!(cache.get(id), Some(2));
        cache.put_newer(id, 3, |old, new| new > old);
        assert_eq!(cache.get(id), Some(3));
    }

    #[test]
    fn keeps_at_most_its_capacity() {
        let cache = StateCache::new(32);
        for i in 0..1000u128 {
            cache.put(Uuid::from_u128(i), i);
        }
        assert!(cache.len() <= 32);
        cache.put(Uuid::from_u128(5000), 7);
        assert_eq!(cache.get(Uuid::from_u128(5000)), Some(7));
        cache.forget(Uuid::from_u128(5000));
        assert_eq!(cache.get(Uuid::from_u128(5000)), None);
    }
}
