//! `[limits]`: request sizes, the per-client rate limits of the wallet endpoints, and the
//! reverse proxies whose forwarding headers name the client.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Request limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted JSON or form body, bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies (addresses or CIDR networks, e.g. `10.0.0.0/8`) whose `Forwarded` /
    /// `X-Forwarded-For` headers name the client. Requests from any other peer are
    /// attributed to the peer address, whatever they claim.
    pub trusted_proxies: Vec<String>,
    /// Per-client rate limits of the wallet endpoints.
    pub rates: RateLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            rates: RateLimits::default(),
        }
    }
}

/// Per-client budgets of the wallet endpoints (a client is an IPv4 address or an IPv6 /64).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// `false` turns every wallet rate limit off (benchmarks, or a gateway that limits).
    pub enabled: bool,
    /// Most clients tracked at once; beyond it the least recently seen are forgotten
    /// (they start again with a full budget).
    pub max_clients: usize,
    /// `POST /token`.
    pub token: Rate,
    /// `POST /credential`.
    pub credential: Rate,
    /// `POST /nonce`.
    pub nonce: Rate,
    /// `POST /par`.
    pub par: Rate,
    /// `GET /authorize`.
    pub authorize: Rate,
    /// `POST /notification`.
    pub notification: Rate,
    /// `GET /credential-offers/{reference}`.
    pub credential_offers: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            max_clients: 100_000,
            token: Rate::new(60, 20),
            credential: Rate::new(120, 40),
            nonce: Rate::new(120, 40),
            par: Rate::new(30, 10),
            authorize: Rate::new(30, 10),
            notification: Rate::new(60, 20),
            credential_offers: Rate::new(60, 20),
        }
    }
}

impl RateLimits {
    /// Every endpoint's budget with its configuration name.
    pub fn endpoints(&self) -> [(&'static str, Rate); 7] {
        [
            ("token", self.token),
            ("credential", self.credential),
            ("nonce", self.nonce),
            ("par", self.par),
            ("authorize", self.authorize),
            ("notification", self.notification),
            ("credential_offers", self.credential_offers),
        ]
    }
}

/// One endpoint's budget per client: `per_minute` requests on average, up to `burst` at
/// once from a client that has been quiet (a token bucket of `burst` tokens refilled at
/// `per_minute`). `per_minute = 0` leaves the endpoint unlimited.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests accepted at once from a full bucket.
    pub burst: u32,
}

impl Rate {
    /// A budget.
    pub const fn new(per_minute: u32, burst: u32) -> Rate {
        Rate { per_minute, burst }
    }
}

/// A trusted proxy entry: an address or a network.
pub fn parse_proxy(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Problems with `[limits]`, as (field, problem).
pub fn validate(limits: &Limits) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if limits.max_body_bytes < 1024 {
        problems.push((
            "limits.max_body_bytes".into(),
            "must be at least 1024".into(),
        ));
    }
    for (i, proxy) in limits.trusted_proxies.iter().enumerate() {
        if parse_proxy(proxy).is_none() {
            problems.push((
                format!("limits.trusted_proxies[{i}]"),
                format!("`{proxy}` is not an IP address or network like 10.0.0.0/8"),
            ));
        }
    }
    let rates = &limits.rates;
    if rates.enabled && !(64..=10_000_000).contains(&rates.max_clients) {
        problems.push((
            "limits.rates.max_clients".into(),
            "must be within 64..=10000000".into(),
        ));
    }
    for (name, rate) in rates.endpoints() {
        if rate.per_minute > 0 && rate.burst == 0 {
            problems.push((
                format!("limits.rates.{name}.burst"),
                "must be at least 1 (or set per_minute = 0 for no limit)".into(),
            ));
        }
        if rate.per_minute > 6_000_000 {
            problems.push((
                format!("limits.rates.{name}.per_minute"),
                "must be at most 6000000".into(),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_on_by_default_for_every_wallet_endpoint() {
        let limits = Limits::default();
        assert!(limits.rates.enabled);
        for (name, rate) in limits.rates.endpoints() {
            assert!(rate.per_minute > 0 && rate.burst > 0, "{name}");
        }
        assert!(validate(&limits).is_empty());
    }

    #[test]
    fn bad_proxies_and_budgets_are_named() {
        let mut limits = Limits {
            trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into(), "proxy.local".into()],
            ..Limits::default()
        };
        limits.rates.token = Rate::new(10, 0);
        let problems = validate(&limits);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["limits.trusted_proxies[2]", "limits.rates.token.burst"]
        );
    }
}
