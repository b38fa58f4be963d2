//! Per-client rate limits of the wallet endpoints (`limits.rates`), in process.
//!
//! Each limited endpoint ([`Endpoint`]) has its own budget per client: `per_minute`
//! requests on average and up to `burst` at once. Beyond it the client gets 429
//! `temporarily_unavailable` with `Retry-After`, before the body is read (see
//! [`rate_limit_middleware`](super::rate_limit_middleware)). A client is the
//! address [`TrustedProxies`](crate::http::client_addr::TrustedProxies) attributes the
//! request to; IPv6 clients are limited per /64, since they can pick any address in it.
//! `limits.rates.enabled = false` turns every limit off; `per_minute = 0` one endpoint's.
//!
//! # Bounded memory, constant work
//!
//! Budgets are kept as a generic cell rate algorithm (GCRA): one "theoretical arrival
//! time" per client and endpoint (8 bytes) instead of a token count and a timestamp. A
//! client's cells share one slot in one of [`SHARDS`] independently locked shards, chosen
//! by a randomly keyed hash. Each shard holds at most its share of `max_clients` slots;
//! the lookup is a hash map from client to slot.
//!
//! When a shard is full, a new client takes the slot of one picked by a CLOCK sweep (an
//! approximation of least-recently-used): a hand moves over the slots, taking the first
//! slot that is idle (every budget full again, so forgetting it loses nothing) or was not
//! used since the hand last passed, and giving every other slot it passes a second chance.
//! The sweep inspects at most [`SWEEP`] slots and then takes the one under the hand, so an
//! insertion does constant work under the lock, however many clients are tracked; no
//! operation scans a shard. New clients start without the second chance, so a flood of
//! one-off addresses mostly replaces itself rather than the clients that keep coming back.
//! A client that is forgotten starts again with a full budget: the cap bounds memory, at
//! the price of letting an attacker with very many addresses reset budgets (such a flood
//! belongs to the network edge anyway).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{Rate, RateLimits};

/// Independent shards, so that concurrent requests rarely wait on one lock.
pub const SHARDS: usize = 64;
/// Most slots one eviction inspects.
pub const SWEEP: usize = 8;

/// A limited wallet endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /token`.
    Token,
    /// `POST /credential`.
    Credential,
    /// `POST /nonce`, and `POST /challenge` (as cheap: nothing is stored).
    Nonce,
    /// `POST /par`.
    Par,
    /// `GET /authorize`.
    Authorize,
    /// `POST /notification`.
    Notification,
    /// `GET /credential-offers/{reference}`.
    CredentialOffers,
}

/// Number of [`Endpoint`]s.
const ENDPOINTS: usize = 7;

impl Endpoint {
    /// The limited endpoint at `path` (below the issuer identifier's path), if any.
    pub fn of_path(path: &str) -> Option<Endpoint> {
        Some(match path {
            "/token" => Endpoint::Token,
            "/credential" => Endpoint::Credential,
            "/nonce" | "/challenge" => Endpoint::Nonce,
            "/par" => Endpoint::Par,
            "/authorize" => Endpoint::Authorize,
            "/notification" => Endpoint::Notification,
            p if p.starts_with("/credential-offers/") => Endpoint::CredentialOffers,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One endpoint's GCRA parameters, nanoseconds.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Time one request costs: a minute over `per_minute`.
    interval: u64,
    /// How far ahead of now a client's arrival time may run: `burst - 1` intervals.
    tolerance: u64,
}

impl Budget {
    fn of(rate: Rate) -> Option<Budget> {
        if rate.per_minute == 0 {
            return None;
        }
        let interval = 60_000_000_000 / u64::from(rate.per_minute);
        Some(Budget {
            interval,
            tolerance: interval.saturating_mul(u64::from(rate.burst.saturating_sub(1))),
        })
    }
}

/// One client's arrival times, one per endpoint (0: never limited yet).
#[derive(Debug)]
struct Slot {
    client: IpAddr,
    /// Used since the CLOCK hand last passed (its second chance).
    used: bool,
    arrivals: [u64; ENDPOINTS],
}

impl Slot {
    /// Every budget is full again: the slot carries no information.
    fn idle(&self, now: u64) -> bool {
        self.arrivals.iter().all(|&arrival| arrival <= now)
    }
}

/// At most `capacity` slots and the index to them.
#[derive(Debug)]
struct Shard {
    index: HashMap<IpAddr, usize>,
    slots: Vec<Slot>,
    capacity: usize,
    hand: usize,
}

impl Shard {
    fn new(capacity: usize) -> Shard {
        Shard {
            index: HashMap::new(),
            slots: Vec::new(),
            capacity,
            hand: 0,
        }
    }

    /// The slot of `client`, taking one for it if it has none.
    fn slot(&mut self, client: IpAddr, now: u64) -> &mut Slot {
        let position = match self.index.get(&client) {
            Some(&position) => {
                self.slots[position].used = true;
                position
            }
            None => self.take_slot(client, now),
        };
        &mut self.slots[position]
    }

    fn take_slot(&mut self, client: IpAddr, now: u64) -> usize {
        let fresh = Slot {
            client,
            used: false,
            arrivals: [0; ENDPOINTS],
        };
        if self.slots.len() < self.capacity {
            self.slots.push(fresh);
            self.index.insert(client, self.slots.len() - 1);
            return self.slots.len() - 1;
        }
        let position = self.victim(now);
        let old = std::mem::replace(&mut self.slots[position], fresh);
        self.index.remove(&old.client);
        self.index.insert(client, position);
        position
    }

    /// The CLOCK sweep: at most [`SWEEP`] slots, then the one under the hand.
    fn victim(&mut self, now: u64) -> usize {
        let len = self.slots.len();
        for _ in 0..SWEEP {
            let position = self.hand;
            self.hand = (self.hand + 1) % len;
            let slot = &mut self.slots[position];
            if !slot.used || slot.idle(now) {
                return position;
            }
            slot.used = false;
        }
        let position = self.hand;
        self.hand = (self.hand + 1) % len;
        position
    }
}

/// The wallet API's rate limiter.
#[derive(Debug)]
pub struct RateLimiter {
    /// Per endpoint; `None` = unlimited.
    budgets: [Option<Budget>; ENDPOINTS],
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    epoch: Instant,
}

impl RateLimiter {
    /// A limiter from the configured budgets.
    pub fn new(rates: &RateLimits) -> Self {
        Self::with_shards(rates, SHARDS)
    }

    /// A limiter with `shards` shards sharing `rates.max_clients` slots.
    pub fn with_shards(rates: &RateLimits, shards: usize) -> Self {
        let mut budgets = [None; ENDPOINTS];
        if rates.enabled {
            for (endpoint, rate) in [
                (Endpoint::Token, rates.token),
                (Endpoint::Credential, rates.credential),
                (Endpoint::Nonce, rates.nonce),
                (Endpoint::Par, rates.par),
                (Endpoint::Authorize, rates.authorize),
                (Endpoint::Notification, rates.notification),
                (Endpoint::CredentialOffers, rates.credential_offers),
            ] {
                budgets[endpoint.index()] = Budget::of(rate);
            }
        }
        let shards = shards.clamp(1, rates.max_clients.max(1));
        let capacity = (rates.max_clients / shards).max(1);
        RateLimiter {
            budgets,
            shards: (0..shards)
                .map(|_| Mutex::new(Shard::new(capacity)))
                .collect(),
            hasher: RandomState::new(),
            epoch: Instant::now(),
        }
    }

    /// Takes one request of `endpoint`'s budget for `client` at `now`; `Err(wait)` when
    /// the budget is spent.
    pub fn acquire(
        &self,
        endpoint: Endpoint,
        client: IpAddr,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(budget) = self.budgets[endpoint.index()] else {
            return Ok(());
        };
        let client = limit_key(client);
        // Arrival times start at 0, so "now" starts at 1 ns past the epoch.
        let now = u64::try_from(now.saturating_duration_since(self.epoch).as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let shard = &self.shards[self.shard_of(client)];
        // A poisoned lock only means another request panicked mid-update: the slots are
        // still valid slots.
        let mut shard = shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let arrival = &mut shard.slot(client, now).arrivals[endpoint.index()];
        let due = (*arrival).max(now);
        let ahead = due - now;
        if ahead > budget.tolerance {
            return Err(Duration::from_nanos(ahead - budget.tolerance));
        }
        *arrival = due.saturating_add(budget.interval);
        Ok(())
    }

    /// Clients tracked now.
    pub fn tracked_clients(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .index
                    .len()
            })
            .sum()
    }

    fn shard_of(&self, client: IpAddr) -> usize {
        (self.hasher.hash_one(client) % self.shards.len() as u64) as usize
    }
}

/// IPv6 clients are limited per /64 (they can pick any address in it).
fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests;
