//! Which addresses an offer's own `callback_url` may reach (SSRF protection, issue 16 §3).
//!
//! Anyone with an `offers:write` key names a callback URL, and the service then POSTs to
//! it from inside the institution's network. So an offer's own URL may only reach public
//! addresses: loopback, private, link-local, unique-local, shared (CGNAT), cloud metadata
//! and other special-purpose addresses are refused unless they lie inside
//! `callbacks.allowed_networks`. The check runs when the offer is created
//! ([`AddressPolicy::check_url`]) and on every connection a delivery opens (the
//! [`super::resolver::CheckedResolver`] and [`AddressPolicy::check_literal`]), so a name
//! that later resolves elsewhere (DNS rebinding) is refused too. The configured default
//! `callback_url` is the operator's and is trusted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

/// How long offer creation waits for DNS before leaving the check to delivery.
const CREATION_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Well-known cloud instance metadata endpoints (AWS, GCP, Azure, OpenStack, ECS, Alibaba,
/// Oracle).
const METADATA: [IpAddr; 5] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V4(Ipv4Addr::new(192, 0, 0, 192)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
];

/// A callback URL that would reach an address it may not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the callback URL resolves to {address}, a {kind} address, which callbacks may not reach (unless it is inside callbacks.allowed_networks)")]
pub struct RefusedAddress {
    /// The address.
    pub address: IpAddr,
    /// What kind of address it is (`loopback`, `private`, `cloud metadata`, …).
    pub kind: &'static str,
}

/// The addresses offers' own callback URLs may reach. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Arc<Vec<IpNet>>,
}

impl AddressPolicy {
    /// Public addresses, and non-public ones inside `allowed`.
    pub fn new(allowed: Vec<IpNet>) -> AddressPolicy {
        AddressPolicy {
            allowed: Arc::new(allowed),
        }
    }

    /// Whether a callback may connect to `address`.
    pub fn check(&self, address: IpAddr) -> Result<(), RefusedAddress> {
        let canonical = canonical(address);
        let allowed = |ip: &IpAddr| self.allowed.iter().any(|net| net.contains(ip));
        if allowed(&address) || allowed(&canonical) {
            return Ok(());
        }
        match special_kind(address) {
            None => Ok(()),
            Some(kind) => Err(RefusedAddress { address, kind }),
        }
    }

    /// Every address must pass (a name resolving to one refused address is refused, so
    /// that the answer does not depend on which address a connection picks).
    pub fn check_all(
        &self,
        addresses: impl IntoIterator<Item = IpAddr>,
    ) -> Result<(), RefusedAddress> {
        addresses.into_iter().try_for_each(|a| self.check(a))
    }

    /// The URL's host when it is an IP address (connections to it resolve nothing, so
    /// the resolver does not see them): checked. Names pass (the resolver checks them).
    pub fn check_literal(&self, url: &url::Url) -> Result<(), RefusedAddress> {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check(IpAddr::V6(ip)),
            _ => Ok(()),
        }
    }

    /// Offer creation's check of an offer's own callback URL: an IP address is checked;
    /// a name is resolved and each of its addresses checked. A name that does not resolve
    /// now (or not within two seconds) passes: DNS may be briefly unavailable, and every
    /// delivery checks again after resolving.
    pub async fn check_url(&self, url: &url::Url) -> Result<(), RefusedAddress> {
        self.check_literal(url)?;
        let (Some(url::Host::Domain(name)), Some(port)) = (url.host(), url.port_or_known_default())
        else {
            return Ok(());
        };
        let lookup = tokio::net::lookup_host((name, port));
        match tokio::time::timeout(CREATION_LOOKUP_TIMEOUT, lookup).await {
            Ok(Ok(addresses)) => self.check_all(addresses.map(|a| a.ip())),
            Ok(Err(_)) | Err(_) => Ok(()),
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`, or NAT64 `64:ff9b::a.b.c.d`) as the
/// IPv4 address it reaches; any other address as it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => match v6.segments() {
                [0x64, 0xff9b, 0, 0, 0, 0, high, low] => {
                    IpAddr::V4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)))
                }
                _ => address,
            },
        },
        v4 => v4,
    }
}

/// What kind of non-public address `address` is, or `None` for a public one.
pub fn special_kind(address: IpAddr) -> Option<&'static str> {
    if METADATA.contains(&address) {
        return Some("cloud metadata");
    }
    match canonical(address) {
        IpAddr::V4(v4) if IpAddr::V4(v4) != address => special_kind(IpAddr::V4(v4)),
        IpAddr::V4(v4) => ipv4_kind(v4),
        IpAddr::V6(v6) => ipv6_kind(v6),
    }
}

fn ipv4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified (this network)",
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "shared (CGNAT)",
        (127, _, _) => "loopback",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "6to4 relay",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved",
        _ => return None,
    })
}

fn ipv6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its second and third segments.
    if s[0] == 0x2002 {
        let embedded = Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2]));
        return ipv4_kind(embedded);
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "unique-local",
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "site-local",
        0xff00..=0xffff => "multicast",
        // 2001:db8::/32 and 3fff::/20: documentation.
        0x2001 if s[1] == 0x0db8 => "documentation",
        0x3fff if s[1] < 0x1000 => "documentation",
        // 2001::/23: IETF protocol assignments (Teredo, ORCHID, …).
        0x2001 if s[1] < 0x0200 => "IETF protocol assignment",
        // Global unicast.
        0x2000..=0x3fff => return None,
        _ => "reserved",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    fn refused(policy: &AddressPolicy, text: &str) -> Option<&'static str> {
        policy.check(ip(text)).err().map(|r| r.kind)
    }

    #[test]
    fn public_addresses_pass() {
        let policy = AddressPolicy::default();
        for text in [
            "93.184.215.14",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:93.184.215.14",
            "64:ff9b::808:808",
            "2002:5db8:d70e::1",
        ] {
            assert_eq!(refused(&policy, text), None, "{text}");
        }
    }

    #[test]
    fn special_addresses_are_refused_by_kind() {
        let policy = AddressPolicy::default();
        for (text, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "cloud metadata"),
            ("169.254.1.1", "link-local"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.100.100.200", "cloud metadata"),
            ("0.0.0.0", "unspecified (this network)"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("192.0.2.1", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00:ec2::254", "cloud metadata"),
            ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "cloud metadata"),
            ("64:ff9b::a9fe:a9fe", "cloud metadata"),
            ("64:ff9b::a00:1", "private"),
            ("2002:7f00:1::1", "loopback"),
            ("2001:db8::1", "documentation"),
            ("2001::1", "IETF protocol assignment"),
            ("::7f00:1", "reserved"),
        ] {
            assert_eq!(refused(&policy, text), Some(kind), "{text}");
        }
    }

    #[test]
    fn allowed_networks_let_their_addresses_through() {
        let policy = AddressPolicy::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.20.0.0/16".parse().unwrap(),
            "fd00::/8".parse().unwrap(),
        ]);
        for text in [
            "127.0.0.1",
            "::ffff:127.0.0.1",
            "10.20.3.4",
            "fd00:ec2::254",
        ] {
            assert_eq!(refused(&policy, text), None, "{text}");
        }
        assert_eq!(refused(&policy, "10.21.0.1"), Some("private"));
        assert_eq!(refused(&policy, "::1"), Some("loopback"));
        assert_eq!(refused(&policy, "169.254.169.254"), Some("cloud metadata"));
    }

    #[test]
    fn every_resolved_address_must_pass() {
        let policy = AddressPolicy::default();
        assert!(policy.check_all([ip("8.8.8.8"), ip("8.8.4.4")]).is_ok());
        let refusal = policy.check_all([ip("8.8.8.8"), ip("10.0.0.1")]);
        assert_eq!(refusal.map_err(|r| r.address), Err(ip("10.0.0.1")));
    }

    #[test]
    fn literal_hosts_are_checked_and_names_left_to_the_resolver() {
        let policy = AddressPolicy::default();
        let url = |text: &str| url::Url::parse(text).unwrap();
        assert!(policy.check_literal(&url("http://127.0.0.1:9/cb")).is_err());
        assert!(policy.check_literal(&url("http://[::1]/cb")).is_err());
        // The URL standard reads these as 127.0.0.1, as the HTTP client does.
        assert!(policy.check_literal(&url("http://2130706433/")).is_err());
        assert!(policy.check_literal(&url("http://0x7f.1/")).is_err());
        assert!(policy.check_literal(&url("https://example.org/cb")).is_ok());
    }

    #[tokio::test]
    async fn names_are_resolved_at_creation() {
        let policy = AddressPolicy::default();
        let localhost = url::Url::parse("http://localhost:8080/cb").unwrap();
        let refusal = policy.check_url(&localhost).await.unwrap_err();
        assert_eq!(refusal.kind, "loopback");
        let allowed = AddressPolicy::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ]);
        assert!(allowed.check_url(&localhost).await.is_ok());
    }
}
