//! `[shutdown]`: how the service stops on SIGTERM or SIGINT.

use serde::{Deserialize, Serialize};

/// Graceful shutdown timings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ShutdownSettings {
    /// Seconds in-flight requests may take to complete once the listeners closed; requests
    /// still running then are cut.
    pub drain_timeout: u64,
    /// Seconds `/health/ready` answers 503 while the listeners still accept, so a load
    /// balancer takes the node out of rotation before it stops accepting (0 = close at once).
    pub unready_delay: u64,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        ShutdownSettings {
            drain_timeout: 30,
            unready_delay: 0,
        }
    }
}

/// Problems with `[shutdown]`, as (field, problem).
pub fn validate(settings: &ShutdownSettings) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if settings.drain_timeout == 0 || settings.drain_timeout > 3600 {
        problems.push((
            "shutdown.drain_timeout",
            "must be within 1..=3600 seconds".to_string(),
        ));
    }
    if settings.unready_delay > 600 {
        problems.push((
            "shutdown.unready_delay",
            "must be within 0..=600 seconds".to_string(),
        ));
    }
    problems
}
