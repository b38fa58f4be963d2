//! Per-destination isolation: every receiver (scheme, host and port) has its own HTTP
//! client (a keep-alive connection pool), its own limit of callbacks in flight and its own
//! [`Breaker`]. A slow receiver fills only its own slots; a failing one has its callbacks
//! fail at once while its circuit is open. Both transports take a [`DestinationPermit`]
//! before they send, so neither holds a shared worker for a receiver that cannot take more.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::address::AddressPolicy;
use super::breaker::{self, Breaker, BreakerSettings};
use super::sender::{build_client, SenderError};
use crate::config::CallbackPolicy;

/// Destinations remembered before idle ones are forgotten (a client and a breaker each).
const MAX_DESTINATIONS: usize = 4096;

/// How long an idle destination with a closed circuit is kept once there are too many.
const IDLE_FOR: Duration = Duration::from_secs(600);

/// The destination of a callback URL: `scheme://host:port` (the port made explicit), or
/// `invalid` for a URL that does not parse (its attempts fail permanently anyway).
pub fn destination_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
            _ => "invalid".into(),
        },
        Err(_) => "invalid".into(),
    }
}

/// Limits shared by every destination.
#[derive(Debug, Clone)]
pub struct DestinationSettings {
    /// Callbacks in flight per destination.
    pub concurrency: usize,
    /// When circuits open.
    pub breaker: BreakerSettings,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Where offers' own callback URLs may connect.
    pub addresses: AddressPolicy,
}

impl From<&CallbackPolicy> for DestinationSettings {
    fn from(policy: &CallbackPolicy) -> Self {
        DestinationSettings {
            concurrency: policy.per_destination_concurrency.max(1),
            breaker: BreakerSettings {
                failures: policy.breaker_failures.max(1),
                open_for: Duration::from_millis(policy.breaker_open_ms),
            },
            timeout: policy.timeout(),
            addresses: AddressPolicy::new(policy.allowed_networks()),
        }
    }
}

struct Slots {
    in_flight: usize,
    breaker: Breaker,
    last_used: Instant,
}

/// One receiver.
struct Destination {
    slots: Mutex<Slots>,
    /// The client for the configured default URL and for offers' own URLs: built on first
    /// use, each with its own pool.
    clients: [OnceLock<reqwest::Client>; 2],
}

/// What [`Destinations::try_acquire`] found.
pub enum Admission {
    /// Send now, holding this permit.
    Permit(DestinationPermit),
    /// The destination has as many callbacks in flight as it may (or a probe is in flight):
    /// try later, without counting an attempt.
    Saturated,
    /// The destination's circuit is open: count a failed attempt without sending.
    Open,
}

/// A slot of one destination, given back when dropped.
pub struct DestinationPermit {
    destination: Arc<Destination>,
    probe: bool,
    recorded: bool,
    timeout: Duration,
    pool: usize,
    addresses: AddressPolicy,
}

impl DestinationPermit {
    /// The destination's HTTP client; `trusted` for the configured default URL, else one
    /// that connects only to addresses the [`AddressPolicy`] allows.
    pub fn client(&self, trusted: bool) -> Result<reqwest::Client, SenderError> {
        let cell = &self.destination.clients[usize::from(trusted)];
        if let Some(client) = cell.get() {
            return Ok(client.clone());
        }
        let checked = (!trusted).then_some(&self.addresses);
        let client = build_client(self.timeout, self.pool, checked)?;
        Ok(cell.get_or_init(|| client).clone())
    }

    /// Records the attempt's outcome in the destination's circuit (`failed`: a timeout, a
    /// connection error or an answer asking for a retry).
    pub fn record(&mut self, failed: bool) {
        self.recorded = true;
        if let Ok(mut slots) = self.destination.slots.lock() {
            slots.breaker.record(failed, Instant::now());
        }
    }
}

impl Drop for DestinationPermit {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.destination.slots.lock() {
            slots.in_flight = slots.in_flight.saturating_sub(1);
            slots.last_used = Instant::now();
            if self.probe && !self.recorded {
                slots.breaker.abandon_probe();
            }
        }
    }
}

/// One destination's state, for health reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationState {
    /// `scheme://host:port`.
    pub destination: String,
    /// Callbacks in flight.
    pub in_flight: usize,
    /// `closed`, `open` or `half_open`.
    pub circuit: &'static str,
}

/// Every destination seen, with its slots, circuit and clients.
pub struct Destinations {
    settings: DestinationSettings,
    map: Mutex<HashMap<String, Arc<Destination>>>,
}

impl Destinations {
    /// No destination yet.
    pub fn new(settings: DestinationSettings) -> Destinations {
        Destinations {
            settings,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// A slot of `destination` if it can take another callback now.
    pub fn try_acquire(&self, destination: &str) -> Admission {
        let entry = self.entry(destination);
        let Ok(mut slots) = entry.slots.lock() else {
            return Admission::Saturated;
        };
        if slots.in_flight >= self.settings.concurrency {
            return Admission::Saturated;
        }
        let probe = match slots.breaker.admit(Instant::now()) {
            breaker::Admission::Send { probe } => probe,
            breaker::Admission::Open => return Admission::Open,
            breaker::Admission::Wait => return Admission::Saturated,
        };
        slots.in_flight += 1;
        slots.last_used = Instant::now();
        drop(slots);
        Admission::Permit(DestinationPermit {
            destination: entry,
            probe,
            recorded: false,
            timeout: self.settings.timeout,
            pool: self.settings.concurrency,
            addresses: self.settings.addresses.clone(),
        })
    }

    /// Destinations that cannot take another callback now (every slot taken, or a probe in
    /// flight): their callbacks should not even be picked up.
    pub fn saturated(&self) -> Vec<String> {
        let now = Instant::now();
        let Ok(map) = self.map.lock() else {
            return Vec::new();
        };
        map.iter()
            .filter(|(_, d)| {
                d.slots.lock().is_ok_and(|s| {
                    s.in_flight >= self.settings.concurrency
                        || (s.in_flight > 0 && s.breaker.state_name(now) == "half_open")
                })
            })
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// Where offers' own callback URLs may connect.
    pub fn addresses(&self) -> &AddressPolicy {
        &self.settings.addresses
    }

    /// Every known destination's state, busiest first.
    pub fn snapshot(&self) -> Vec<DestinationState> {
        let now = Instant::now();
        let Ok(map) = self.map.lock() else {
            return Vec::new();
        };
        let mut states: Vec<DestinationState> = map
            .iter()
            .filter_map(|(key, d)| {
                let slots = d.slots.lock().ok()?;
                Some(DestinationState {
                    destination: key.clone(),
                    in_flight: slots.in_flight,
                    circuit: slots.breaker.state_name(now),
                })
            })
            .collect();
        states.sort_by(|a, b| {
            b.in_flight
                .cmp(&a.in_flight)
                .then(a.destination.cmp(&b.destination))
        });
        states
    }

    fn entry(&self, destination: &str) -> Arc<Destination> {
        let mut map = match self.map.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(entry) = map.get(destination) {
            return entry.clone();
        }
        if map.len() >= MAX_DESTINATIONS {
            let now = Instant::now();
            map.retain(|_, d| {
                d.slots.lock().is_ok_and(|s| {
                    s.in_flight > 0
                        || s.breaker.state_name(now) != "closed"
                        || now.duration_since(s.last_used) < IDLE_FOR
                })
            });
        }
        let entry = Arc::new(Destination {
            slots: Mutex::new(Slots {
                in_flight: 0,
                breaker: Breaker::new(self.settings.breaker),
                last_used: Instant::now(),
            }),
            clients: [OnceLock::new(), OnceLock::new()],
        });
        map.insert(destination.to_string(), entry.clone());
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destinations(concurrency: usize) -> Destinations {
        Destinations::new(DestinationSettings {
            concurrency,
            breaker: BreakerSettings {
                failures: 2,
                open_for: Duration::from_secs(60),
            },
            timeout: Duration::from_secs(1),
            addresses: AddressPolicy::default(),
        })
    }

    #[test]
    fn destinations_are_scheme_host_and_port() {
        assert_eq!(
            destination_of("https://Backend.example/cb?x=1"),
            "https://backend.example:443"
        );
        assert_eq!(
            destination_of("http://user:pw@10.0.0.1:8080/a"),
            "http://10.0.0.1:8080"
        );
        assert_eq!(destination_of("not a url"), "invalid");
    }

    #[test]
    fn each_destination_has_its_own_slots() {
        let d = destinations(2);
        let a1 = d.try_acquire("http://a:80");
        let a2 = d.try_acquire("http://a:80");
        assert!(matches!(d.try_acquire("http://a:80"), Admission::Saturated));
        assert!(matches!(d.try_acquire("http://b:80"), Admission::Permit(_)));
        assert_eq!(d.saturated(), ["http://a:80"]);
        drop(a1);
        assert!(d.saturated().is_empty());
        assert!(matches!(d.try_acquire("http://a:80"), Admission::Permit(_)));
        drop(a2);
    }

    #[test]
    fn failures_open_one_destinations_circuit_only() {
        let d = destinations(4);
        for _ in 0..2 {
            let Admission::Permit(mut permit) = d.try_acquire("http://a:80") else {
                panic!("no permit");
            };
            permit.record(true);
        }
        assert!(matches!(d.try_acquire("http://a:80"), Admission::Open));
        assert!(matches!(d.try_acquire("http://b:80"), Admission::Permit(_)));
        let states = d.snapshot();
        let a = states.iter().find(|s| s.destination == "http://a:80");
        assert_eq!(a.map(|s| s.circuit), Some("open"));
    }
}
