//! When a failed callback is tried again: exponential back-off with jitter, and which
//! failures are worth retrying (api.md: 408, 429, 5xx, timeouts and connection errors).

use std::time::Duration;

use rand::Rng;

use crate::config::CallbackPolicy;

/// What one HTTP attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered,
    /// Worth trying again later.
    Transient(String),
    /// Retrying cannot help (another 4xx, a redirect, an unusable URL).
    Permanent(String),
}

impl AttemptOutcome {
    /// Classifies an HTTP status.
    pub fn from_status(status: u16) -> AttemptOutcome {
        match status {
            200..=299 => AttemptOutcome::Delivered,
            408 | 429 | 500..=599 => AttemptOutcome::Transient(format!("HTTP {status}")),
            _ => AttemptOutcome::Permanent(format!("HTTP {status}")),
        }
    }
}

/// The retry schedule.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// Delay after the first failure.
    pub base_delay: Duration,
    /// Longest delay.
    pub max_delay: Duration,
}

impl From<&CallbackPolicy> for RetryPolicy {
    fn from(policy: &CallbackPolicy) -> Self {
        RetryPolicy {
            max_attempts: policy.max_attempts.max(1),
            base_delay: Duration::from_millis(policy.base_delay_ms),
            max_delay: Duration::from_millis(policy.max_delay_ms.max(policy.base_delay_ms)),
        }
    }
}

impl RetryPolicy {
    /// Whether attempt number `attempt` (1-based) may be followed by another.
    pub fn allows_another(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The nominal delay after failed attempt `attempt` (1-based):
    /// `base × 2^(attempt-1)`, capped at `max_delay`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }

    /// The delay with "equal jitter": uniform in `[d/2, d]`, so receivers recovering from
    /// an outage are not hit by every pending callback at the same instant, while no
    /// callback waits longer than the nominal schedule.
    pub fn jittered_delay(&self, attempt: u32) -> Duration {
        let nominal = self.delay(attempt);
        let half = nominal / 2;
        let spread = u64::try_from((nominal - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::thread_rng().gen_range(0..=spread))
    }

    /// Every distinct nominal delay the schedule uses (the AMQP delay queues).
    pub fn delays(&self) -> Vec<Duration> {
        let mut delays: Vec<Duration> = (1..self.max_attempts).map(|a| self.delay(a)).collect();
        delays.dedup();
        delays
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
        }
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let delays: Vec<u64> = (1..=5).map(|a| policy().delay(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 5, 5]);
        assert_eq!(
            policy().delays(),
            [1, 2, 4, 5].map(Duration::from_secs).to_vec()
        );
    }

    #[test]
    fn jitter_stays_within_half_and_full_delay() {
        for _ in 0..100 {
            let d = policy().jittered_delay(3);
            assert!(
                d >= Duration::from_secs(2) && d <= Duration::from_secs(4),
                "{d:?}"
            );
        }
    }

    #[test]
    fn the_last_attempt_allows_no_other() {
        assert!(policy().allows_another(5));
        assert!(!policy().allows_another(6));
    }

    #[test]
    fn statuses_are_classified_as_the_contract_says() {
        assert_eq!(AttemptOutcome::from_status(204), AttemptOutcome::Delivered);
        for status in [408, 429, 500, 502, 503] {
            assert!(matches!(
                AttemptOutcome::from_status(status),
                AttemptOutcome::Transient(_)
            ));
        }
        for status in [301, 400, 401, 404, 410] {
            assert!(matches!(
                AttemptOutcome::from_status(status),
                AttemptOutcome::Permanent(_)
            ));
        }
    }
}
