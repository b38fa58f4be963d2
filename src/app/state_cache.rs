//! A bounded in-memory cache of aggregate states, so a wallet request does not re-read and
//! re-decode an offer's whole stream each time.
//!
//! Coherence comes from how it is used (see [`crate::app::repository`]): entries are written only
//! after a successful append, under the per-instance command lock, and carry the stream
//! version they reflect. With a store that only this process writes (the embedded SQLite
//! file) an entry is authoritative; with a shared store (PostgreSQL, EventStoreDB) the
//! repository first reads the events after the cached version, so a change made by
//! another node is never missed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use uuid::Uuid;

/// What addresses an aggregate instance (its cache entry, its command lock): a UUID for
/// the Offer and the AuthorizationSession, a slug for the Issuer.
pub trait InstanceId: Clone + Eq + Hash + std::fmt::Display + Send + Sync + 'static {
    /// A well-spread number that picks the instance's cache shard and lock stripe.
    fn spread(&self) -> u64;
}

impl InstanceId for Uuid {
    fn spread(&self) -> u64 {
        // The low bits of a random (v4) or time-ordered (v7) UUID's random tail.
        self.as_u128() as u64
    }
}

impl InstanceId for issuance_domain::issuer::IssuerId {
    fn spread(&self) -> u64 {
        // SipHash with fixed keys: the same on every run, well spread over similar slugs.
        let mut hasher = std::hash::DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }
}

/// Shards, to keep lock contention low.
const SHARDS: usize = 16;

/// Cached states by instance id.
///
/// Each shard keeps two generations: new entries go into the young one; when it is full
/// it becomes the old one and the previous old generation is dropped. A hit in the old
/// generation moves the entry back to the young one. So the recently used instances (the
/// offers wallets are working on) stay cached, whatever their ids hash to, at the cost of
/// one map swap per half capacity.
pub struct StateCache<A, K = Uuid> {
    shards: Vec<Mutex<Shard<A, K>>>,
    per_generation: usize,
}

struct Shard<A, K> {
    young: HashMap<K, A>,
    old: HashMap<K, A>,
}

impl<A, K: InstanceId> Shard<A, K> {
    fn get(&self, id: &K) -> Option<&A> {
        self.young.get(id).or_else(|| self.old.get(id))
    }

    /// Inserts into the young generation, retiring it first when full.
    fn insert(&mut self, id: K, state: A, per_generation: usize) {
        self.old.remove(&id);
        if self.young.len() >= per_generation && !self.young.contains_key(&id) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(id, state);
    }
}

impl<A: Clone, K: InstanceId> StateCache<A, K> {
    /// A cache of at most about `capacity` states.
    pub fn new(capacity: usize) -> Self {
        StateCache {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        young: HashMap::new(),
                        old: HashMap::new(),
                    })
                })
                .collect(),
            per_generation: (capacity / SHARDS / 2).max(1),
        }
    }

    fn shard(&self, id: &K) -> &Mutex<Shard<A, K>> {
        &self.shards[(id.spread() % SHARDS as u64) as usize]
    }

    /// The cached state of `id`, if any (a hit keeps it cached longer).
    pub fn get(&self, id: &K) -> Option<A> {
        let mut shard = self.shard(id).lock().ok()?;
        if let Some(state) = shard.young.get(id) {
            return Some(state.clone());
        }
        let state = shard.old.remove(id)?;
        let per_generation = self.per_generation;
        shard.insert(id.clone(), state.clone(), per_generation);
        Some(state)
    }

    /// Caches `state` for `id`; the least recently used entries make room.
    pub fn put(&self, id: K, state: A) {
        if let Ok(mut shard) = self.shard(&id).lock() {
            shard.insert(id, state, self.per_generation);
        }
    }

    /// Caches `state` unless the cached one is at least as new (`newer(old, new)` decides),
    /// atomically: an append's newer state can never be replaced by an older load.
    pub fn put_newer(&self, id: K, state: A, newer: impl Fn(&A, &A) -> bool) {
        if let Ok(mut shard) = self.shard(&id).lock() {
            if shard.get(&id).is_some_and(|old| !newer(old, &state)) {
                return;
            }
            shard.insert(id, state, self.per_generation);
        }
    }

    /// Forgets `id`.
    pub fn forget(&self, id: &K) {
        if let Ok(mut shard) = self.shard(id).lock() {
            shard.young.remove(id);
            shard.old.remove(id);
        }
    }

    /// Number of cached states.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.young.len() + s.old.len()))
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
        assert_eq!(cache.get(&id), Some(2));
        cache.put_newer(id, 3, |old, new| new > old);
        assert_eq!(cache.get(&id), Some(3));
    }

    #[test]
    fn caches_states_by_issuer_slug() {
        use issuance_domain::issuer::IssuerId;
        let cache: StateCache<u64, IssuerId> = StateCache::new(32);
        let acme = IssuerId::parse("acme").unwrap();
        cache.put(acme.clone(), 1);
        cache.put_newer(acme.clone(), 0, |old, new| new > old);
        assert_eq!(cache.get(&acme), Some(1));
        assert_eq!(cache.get(&IssuerId::parse("other").unwrap()), None);
        cache.forget(&acme);
        assert!(cache.is_empty());
    }

    #[test]
    fn keeps_at_most_its_capacity() {
        let cache = StateCache::new(32);
        for i in 0..1000u128 {
            cache.put(Uuid::from_u128(i), i);
        }
        assert!(cache.len() <= 32);
        cache.put(Uuid::from_u128(5000), 7);
        assert_eq!(cache.get(&Uuid::from_u128(5000)), Some(7));
        cache.forget(&Uuid::from_u128(5000));
        assert_eq!(cache.get(&Uuid::from_u128(5000)), None);
    }

    #[test]
    fn keeps_the_most_recently_used_states() {
        // Far more instances pass through than fit; the last ones stay, whatever their ids.
        let cache = StateCache::new(1024);
        for i in 0..100_000u128 {
            cache.put(Uuid::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)), i);
        }
        for i in 100_000 - 256..100_000u128 {
            let id = Uuid::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            assert_eq!(cache.get(&id), Some(i), "instance {i} was evicted");
        }
    }

    #[test]
    fn a_hit_keeps_an_old_state_cached() {
        let cache = StateCache::new(SHARDS * 4);
        let kept = Uuid::from_u128(0);
        cache.put(kept, 0u128);
        // Same shard as `kept` (ids congruent mod SHARDS), many times its capacity.
        for i in 1..1000u128 {
            cache.put(Uuid::from_u128(i * SHARDS as u128), i);
            assert_eq!(cache.get(&kept), Some(0), "evicted after {i} puts");
        }
    }
}
