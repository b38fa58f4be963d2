use super::*;

fn rates(per_minute: u32, burst: u32, max_clients: usize) -> RateLimits {
    let rate = Rate::new(per_minute, burst);
    RateLimits {
        enabled: true,
        max_clients,
        token: rate,
        credential: rate,
        nonce: rate,
        par: rate,
        authorize: rate,
        notification: rate,
        credential_offers: rate,
    }
}

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

fn ip_n(n: u32) -> IpAddr {
    IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n))
}

#[test]
fn a_burst_is_allowed_then_the_rate() {
    // 120 per minute: one request every 500 ms, five at once.
    let limiter = RateLimiter::new(&rates(120, 5, 1000));
    let start = Instant::now();
    for _ in 0..5 {
        assert!(limiter.acquire(Endpoint::Token, ip(1), start).is_ok());
    }
    let wait = limiter.acquire(Endpoint::Token, ip(1), start).unwrap_err();
    assert_eq!(wait, Duration::from_millis(500));
    let later = start + Duration::from_millis(500);
    assert!(limiter.acquire(Endpoint::Token, ip(1), later).is_ok());
    assert!(limiter.acquire(Endpoint::Token, ip(1), later).is_err());
}

#[test]
fn clients_and_endpoints_have_their_own_budgets() {
    let limiter = RateLimiter::new(&rates(1, 1, 1000));
    let now = Instant::now();
    assert!(limiter.acquire(Endpoint::Token, ip(1), now).is_ok());
    assert!(limiter.acquire(Endpoint::Token, ip(1), now).is_err());
    assert!(limiter.acquire(Endpoint::Credential, ip(1), now).is_ok());
    assert!(limiter.acquire(Endpoint::Token, ip(2), now).is_ok());
}

#[test]
fn disabled_limits_and_zero_rates_never_refuse() {
    let mut off = rates(1, 1, 1000);
    off.enabled = false;
    let mut token_free = rates(1, 1, 1000);
    token_free.token = Rate::new(0, 0);
    let now = Instant::now();
    for limiter in [RateLimiter::new(&off), RateLimiter::new(&token_free)] {
        for _ in 0..1000 {
            assert!(limiter.acquire(Endpoint::Token, ip(1), now).is_ok());
        }
        assert_eq!(limiter.tracked_clients(), 0);
    }
}

#[test]
fn memory_is_capped_and_a_flood_of_one_off_clients_replaces_itself() {
    // One shard of 8 slots; 1 request per minute, so nobody becomes idle.
    let limiter = RateLimiter::with_shards(&rates(1, 1, 8), 1);
    let now = Instant::now();
    let regulars = 0..4;
    for n in regulars.clone() {
        assert!(limiter.acquire(Endpoint::Token, ip_n(n), now).is_ok());
    }
    for round in 0..2_000 {
        // Two one-off addresses, then every regular comes back: remembered (its budget
        // is still spent), not forgotten with a fresh one.
        for n in [1_000 + 2 * round, 1_001 + 2 * round] {
            assert!(limiter.acquire(Endpoint::Token, ip_n(n), now).is_ok());
        }
        for n in regulars.clone() {
            assert!(
                limiter.acquire(Endpoint::Token, ip_n(n), now).is_err(),
                "regular {n} forgotten in round {round}"
            );
        }
        assert!(limiter.tracked_clients() <= 8);
    }
}

#[test]
fn idle_clients_are_forgotten_before_active_ones() {
    let limiter = RateLimiter::with_shards(&rates(60, 1, 4), 1);
    let start = Instant::now();
    for n in 0..4 {
        assert!(limiter.acquire(Endpoint::Token, ip_n(n), start).is_ok());
        assert!(limiter.acquire(Endpoint::Token, ip_n(n), start).is_err());
    }
    // Two seconds later clients 0..4 have full budgets again (idle) except the one
    // that comes back now.
    let later = start + Duration::from_secs(2);
    assert!(limiter.acquire(Endpoint::Token, ip_n(3), later).is_ok());
    for n in 100..103 {
        assert!(limiter.acquire(Endpoint::Token, ip_n(n), later).is_ok());
    }
    // Client 3 kept its slot (spent budget), the idle ones were replaced.
    assert!(limiter.acquire(Endpoint::Token, ip_n(3), later).is_err());
    assert_eq!(limiter.tracked_clients(), 4);
}

#[test]
fn paths_name_their_endpoints() {
    assert_eq!(Endpoint::of_path("/token"), Some(Endpoint::Token));
    assert_eq!(
        Endpoint::of_path("/credential-offers/abc"),
        Some(Endpoint::CredentialOffers)
    );
    assert_eq!(Endpoint::of_path("/credential"), Some(Endpoint::Credential));
    assert_eq!(
        Endpoint::of_path("/.well-known/openid-credential-issuer"),
        None
    );
}

#[test]
fn ipv6_clients_share_their_64_prefix() {
    let a: IpAddr = "2001:db8::1".parse().unwrap();
    let b: IpAddr = "2001:db8::2".parse().unwrap();
    assert_eq!(limit_key(a), limit_key(b));
    let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
    assert_eq!(limit_key(mapped), ip(1));
}
