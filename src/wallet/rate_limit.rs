//! Per-client rate limiting of the token and credential endpoints: a token bucket per peer
//! IP address, in process.
//!
//! Each client may make `limits.wallet_requests_per_second` requests per second on average
//! and `limits.wallet_burst` more in a burst; beyond that it gets 429
//! `temporarily_unavailable` with `Retry-After`. `wallet_requests_per_second = 0` turns the
//! limiter off. Behind a load balancer every request shares the balancer's address, so
//! there the limit belongs in the balancer (or this must learn trusted forwarding headers).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use super::errors::WalletError;
use crate::config::Limits;
use crate::state::AppState;

/// Independent shards, so that concurrent requests rarely wait on one lock.
const SHARDS: usize = 64;
/// Above this many clients in a shard, buckets that have refilled completely (idle
/// clients) are dropped.
const SHARD_CAPACITY: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets by client address.
#[derive(Debug)]
pub struct RateLimiter {
    /// Tokens added per second; `None` = unlimited.
    rate: Option<f64>,
    /// Bucket size: the rate plus the burst allowance.
    capacity: f64,
    shards: Vec<Mutex<HashMap<IpAddr, Bucket>>>,
}

impl RateLimiter {
    /// A limiter from the configured limits.
    pub fn new(limits: &Limits) -> Self {
        let rate = f64::from(limits.wallet_requests_per_second);
        RateLimiter {
            rate: (limits.wallet_requests_per_second > 0).then_some(rate),
            capacity: (rate + f64::from(limits.wallet_burst)).max(1.0),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Takes one token for `client` at `now`; `Err(wait)` when the bucket is empty.
    pub fn acquire(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let shard = &self.shards[shard_of(client)];
        // A poisoned lock only means another request panicked mid-update: the map is
        // still a valid map of buckets.
        let mut buckets = shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= SHARD_CAPACITY && !buckets.contains_key(&client) {
            let capacity = self.capacity;
            buckets.retain(|_, b| refill(b, now, rate, capacity) < capacity);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        let tokens = refill(bucket, now, rate, self.capacity);
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            bucket.updated = now;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / rate))
        }
    }
}

/// The bucket's level at `now` (not stored).
fn refill(bucket: &Bucket, now: Instant, rate: f64, capacity: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * rate).min(capacity)
}

fn shard_of(client: IpAddr) -> usize {
    let hash = match client {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        // The /64 prefix: one IPv6 client usually owns all of it.
        IpAddr::V6(v6) => u128::from(v6) >> 64,
    };
    (hash % SHARDS as u128) as usize
}

/// Middleware for the limited endpoints: answers 429 before the body is read.
pub async fn middleware<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let limited = match (
        request.app_data::<web::Data<AppState>>(),
        request.peer_addr(),
    ) {
        (Some(state), Some(peer)) => state
            .wallet
            .rate_limiter
            .acquire(limit_key(peer.ip()), Instant::now())
            .err(),
        _ => None,
    };
    if let Some(wait) = limited {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let response = WalletError::rate_limited(seconds).error_response();
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// IPv6 clients are limited per /64 (they can pick any address in it).
fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into())
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(&Limits {
            wallet_requests_per_second: rate,
            wallet_burst: burst,
            ..Limits::default()
        })
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn a_burst_is_allowed_then_the_rate() {
        let limiter = limiter(2, 3);
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limiter.acquire(ip(1), start).is_ok());
        }
        let wait = limiter.acquire(ip(1), start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(limiter
            .acquire(ip(1), start + Duration::from_millis(500))
            .is_ok());
        assert!(limiter
            .acquire(ip(1), start + Duration::from_millis(500))
            .is_err());
    }

    #[test]
    fn clients_have_their_own_buckets() {
        let limiter = limiter(1, 0);
        let now = Instant::now();
        assert!(limiter.acquire(ip(1), now).is_ok());
        assert!(limiter.acquire(ip(1), now).is_err());
        assert!(limiter.acquire(ip(2), now).is_ok());
    }

    #[test]
    fn zero_turns_the_limiter_off() {
        let limiter = limiter(0, 0);
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.acquire(ip(1), now).is_ok());
        }
    }

    #[test]
    fn ipv6_clients_share_their_64_prefix() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        assert_eq!(limit_key(a), limit_key(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(limit_key(mapped), ip(1));
    }
}
