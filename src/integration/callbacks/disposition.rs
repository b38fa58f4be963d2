//! What a transport does with a message once the callback processor has worked on it.

use std::time::Duration;

use super::payload::CallbackStatus;

/// What the transport should do with a message after [`CallbackProcessor::process`](super::CallbackProcessor::process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Finished: delivered, or nothing to send. Acknowledge.
    Done,
    /// Try again after `delay` as attempt `attempt + 1`.
    Retry {
        /// Why the attempt failed.
        reason: String,
        /// How long to wait.
        delay: Duration,
    },
    /// Give up: move to the dead letters.
    Dead {
        /// Why.
        reason: String,
        /// The status the callback would have reported.
        status: Option<CallbackStatus>,
    },
    /// The service itself could not work on it (event store unavailable): hand the message
    /// back without counting an attempt.
    Defer(String),
}
