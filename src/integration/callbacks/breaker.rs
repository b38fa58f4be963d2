//! The circuit breaker of one callback destination: after `failures` consecutive failed
//! attempts the circuit opens and the destination's callbacks fail at once (counted as
//! failed attempts on their own retry schedule, without a request and without holding a
//! worker); after `open_for` one probe is let through, whose success closes the circuit
//! and whose failure opens it again.
//!
//! Pure: the caller passes the time in.

use std::time::{Duration, Instant};

/// When a circuit opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the circuit.
    pub failures: u32,
    /// How long it stays open before a probe.
    pub open_for: Duration,
}

/// What the breaker lets a new attempt do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send it (`probe`: the one attempt of a half-open circuit).
    Send {
        /// Whether this attempt is the probe.
        probe: bool,
    },
    /// The circuit is open: fail at once.
    Open,
    /// A probe is in flight: wait for its outcome.
    Wait,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// One destination's circuit.
#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    consecutive_failures: u32,
    state: State,
}

impl Breaker {
    /// A closed circuit.
    pub fn new(settings: BreakerSettings) -> Breaker {
        Breaker {
            settings,
            consecutive_failures: 0,
            state: State::Closed,
        }
    }

    /// Whether an attempt may be made at `now`; a [`Admission::Send`] with `probe` must be
    /// followed by [`Breaker::record`] or [`Breaker::abandon_probe`].
    pub fn admit(&mut self, now: Instant) -> Admission {
        if let State::Open { until } = self.state {
            if now < until {
                return Admission::Open;
            }
            self.state = State::HalfOpen { probing: false };
        }
        match self.state {
            State::HalfOpen { probing: false } => {
                self.state = State::HalfOpen { probing: true };
                Admission::Send { probe: true }
            }
            State::HalfOpen { probing: true } => Admission::Wait,
            _ => Admission::Send { probe: false },
        }
    }

    /// Records an attempt's outcome: `failed` for timeouts, connection errors and answers
    /// that ask for a retry; any other answer shows the receiver is there.
    pub fn record(&mut self, failed: bool, now: Instant) {
        if !failed {
            self.consecutive_failures = 0;
            self.state = State::Closed;
            return;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        match self.state {
            State::HalfOpen { .. } => self.open(now),
            State::Closed if self.consecutive_failures >= self.settings.failures => self.open(now),
            // Late failures of attempts started before the circuit opened keep it as it is.
            _ => {}
        }
    }

    /// A probe ended without an outcome (cancelled): the next attempt probes instead.
    pub fn abandon_probe(&mut self) {
        if self.state == (State::HalfOpen { probing: true }) {
            self.state = State::HalfOpen { probing: false };
        }
    }

    /// `closed`, `open` or `half_open`, for health reports.
    pub fn state_name(&self, now: Instant) -> &'static str {
        match self.state {
            State::Closed => "closed",
            State::Open { until } if now < until => "open",
            _ => "half_open",
        }
    }

    /// Whether the circuit is neither closed nor ready to probe, at `now`.
    pub fn is_open(&self, now: Instant) -> bool {
        matches!(self.state, State::Open { until } if now < until)
    }

    fn open(&mut self, now: Instant) {
        self.state = State::Open {
            until: now + self.settings.open_for,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> (Breaker, Instant) {
        let settings = BreakerSettings {
            failures: 3,
            open_for: Duration::from_secs(10),
        };
        (Breaker::new(settings), Instant::now())
    }

    const SEND: Admission = Admission::Send { probe: false };
    const PROBE: Admission = Admission::Send { probe: true };

    #[test]
    fn opens_after_the_configured_consecutive_failures_only() {
        let (mut b, now) = breaker();
        b.record(true, now);
        b.record(true, now);
        b.record(false, now);
        b.record(true, now);
        b.record(true, now);
        assert_eq!(b.admit(now), SEND, "a success in between resets the count");
        b.record(true, now);
        assert_eq!(b.admit(now), Admission::Open);
        assert_eq!(b.state_name(now), "open");
        assert!(b.is_open(now));
    }

    #[test]
    fn after_the_open_period_one_probe_decides() {
        let (mut b, now) = breaker();
        for _ in 0..3 {
            b.record(true, now);
        }
        let later = now + Duration::from_secs(10);
        assert_eq!(b.admit(later), PROBE);
        assert_eq!(b.admit(later), Admission::Wait, "one probe at a time");
        b.record(true, later);
        assert_eq!(b.admit(later), Admission::Open, "a failed probe re-opens");
        let again = later + Duration::from_secs(10);
        assert_eq!(b.admit(again), PROBE);
        b.record(false, again);
        assert_eq!(b.admit(again), SEND, "a successful probe closes");
        assert_eq!(b.state_name(again), "closed");
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_attempt_probe() {
        let (mut b, now) = breaker();
        for _ in 0..3 {
            b.record(true, now);
        }
        let later = now + Duration::from_secs(11);
        assert_eq!(b.admit(later), PROBE);
        b.abandon_probe();
        assert_eq!(b.admit(later), PROBE);
    }

    #[test]
    fn late_failures_do_not_extend_an_open_circuit_and_a_late_success_closes_it() {
        let (mut b, now) = breaker();
        for _ in 0..3 {
            b.record(true, now);
        }
        b.record(true, now + Duration::from_secs(9));
        assert_eq!(b.admit(now + Duration::from_secs(10)), PROBE);
        let (mut b, now) = breaker();
        for _ in 0..3 {
            b.record(true, now);
        }
        b.record(false, now);
        assert_eq!(b.admit(now), SEND);
    }
}
