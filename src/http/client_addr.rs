//! The client's address: the TCP peer, or — when the peer is a configured trusted proxy
//! (`limits.trusted_proxies`) — the address its forwarding headers name.
//!
//! A forwarding header is a list of hops, the client first and each proxy appending the
//! address it received the request from. Only the hops added by trusted proxies can be
//! believed, so the list is read from the right: the first address that is not a trusted
//! proxy is the client. `Forwarded` (RFC 7239) is read when present, else
//! `X-Forwarded-For`. A header that cannot be read, or a hop that names no address
//! (`unknown`, an obfuscated identifier), leaves the request attributed to the address
//! before it (at worst the peer): a client can never choose its own address.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName, FORWARDED};
use ipnet::IpNet;

use crate::config::parse_proxy;

/// `X-Forwarded-For` (de facto standard).
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The configured trusted proxies.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// From `limits.trusted_proxies` (validated at start; unparsable entries are skipped).
    pub fn new(entries: &[String]) -> TrustedProxies {
        TrustedProxies(entries.iter().filter_map(|e| parse_proxy(e)).collect())
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request from `peer` with `headers`.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops = if headers.contains_key(FORWARDED) {
            forwarded_hops(headers)
        } else {
            x_forwarded_for_hops(headers)
        };
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(address) => {
                    client = canonical(*address);
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }

    /// The client of an actix request (`None` without a peer, e.g. in unit tests).
    pub fn client_of_request(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> Option<IpAddr> {
        peer.map(|peer| self.client_of(peer.ip(), headers))
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The `for=` of every `Forwarded` element, in order (`None`: not an address).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all(FORWARDED) {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in text.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"'))
            });
            hops.push(node.and_then(parse_node));
        }
    }
    hops
}

/// The entries of every `X-Forwarded-For` header, in order.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        match value.to_str() {
            Ok(text) => hops.extend(text.split(',').map(|hop| parse_node(hop.trim()))),
            Err(_) => hops.push(None),
        }
    }
    hops
}

/// An address with an optional port: `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]:80`,
/// `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(address, _)| address.parse().ok())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn proxies() -> TrustedProxies {
        TrustedProxies::new(&["10.0.0.0/8".into(), "2001:db8:ffff::1".into()])
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let claims = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        assert_eq!(
            proxies().client_of(ip("198.51.100.7"), &claims),
            ip("198.51.100.7")
        );
        assert_eq!(
            TrustedProxies::default().client_of(ip("10.0.0.1"), &claims),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_read_from_the_right() {
        // The client forged a first hop; the proxy appended the real address.
        let forwarded = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9")]);
        assert_eq!(
            proxies().client_of(ip("10.1.2.3"), &forwarded),
            ip("203.0.113.9")
        );
        // Two trusted proxies in a row.
        let chained = headers(&[("x-forwarded-for", "203.0.113.9, 10.9.9.9")]);
        assert_eq!(
            proxies().client_of(ip("10.1.2.3"), &chained),
            ip("203.0.113.9")
        );
        // Split over several header lines.
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            proxies().client_of(ip("::ffff:10.1.2.3"), &split),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_is_preferred_and_parsed_with_ports_and_brackets() {
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            (
                "forwarded",
                "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\"",
            ),
        ]);
        assert_eq!(
            proxies().client_of(ip("2001:db8:ffff::1"), &both),
            ip("2001:db8:cafe::17")
        );
        let with_port = headers(&[("forwarded", "for=\"192.0.2.60:8080\"")]);
        assert_eq!(
            proxies().client_of(ip("10.0.0.2"), &with_port),
            ip("192.0.2.60")
        );
    }

    #[test]
    fn unreadable_hops_stop_at_the_last_known_address() {
        let hidden = headers(&[("forwarded", "for=203.0.113.9, for=_hidden")]);
        assert_eq!(proxies().client_of(ip("10.0.0.2"), &hidden), ip("10.0.0.2"));
        let garbage = headers(&[("x-forwarded-for", "203.0.113.9, nonsense, 10.0.0.7")]);
        assert_eq!(
            proxies().client_of(ip("10.0.0.2"), &garbage),
            ip("10.0.0.7")
        );
        let none = headers(&[]);
        assert_eq!(proxies().client_of(ip("10.0.0.2"), &none), ip("10.0.0.2"));
    }
}
