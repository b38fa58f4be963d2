//! The transport-independent part of the callback consumer: turn one event envelope into
//! at most one status callback, send it, and say what the transport should do with the
//! message (acknowledge, retry later, dead-letter, or hand back untouched).
//!
//! The offer's data (callback URL, correlation, configurations) is read from the event
//! store, folded up to the event's own sequence: authoritative, independent of projection
//! lag, and the same answer on every redelivery.

use std::sync::Arc;
use std::time::Duration;

use issuance_domain::offer::{stream_id, Offer, OfferEvent};

use super::payload::{callback_for, target_url, CallbackStatus};
use super::retry::{AttemptOutcome, RetryPolicy};
use super::sender::CallbackSender;
use crate::clock::Clock;
use crate::http::metrics::Metrics;
use crate::integration::envelope::{EventEnvelope, CALLBACK_EVENT_TYPES};
use crate::store::EventStore;

/// What the transport should do with a message after [`CallbackProcessor::process`].
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

/// Maps events to callbacks and sends them.
pub struct CallbackProcessor {
    events: Arc<dyn EventStore>,
    sender: CallbackSender,
    default_url: Option<String>,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    policy: RetryPolicy,
}

impl CallbackProcessor {
    /// A processor sending to each offer's URL, else `default_url`.
    pub fn new(
        events: Arc<dyn EventStore>,
        sender: CallbackSender,
        default_url: Option<String>,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        policy: RetryPolicy,
    ) -> Self {
        CallbackProcessor {
            events,
            sender,
            default_url,
            clock,
            metrics,
            policy,
        }
    }

    /// The retry schedule.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Whether the event type can cause a callback at all (cheap pre-filter).
    pub fn is_relevant(envelope: &EventEnvelope) -> bool {
        CALLBACK_EVENT_TYPES.contains(&envelope.event_type.as_str())
    }

    /// Processes attempt number `attempt` (1-based) of the envelope's callback.
    #[tracing::instrument(name = "callback", skip_all, fields(offer_id = %envelope.offer_id, sequence = envelope.sequence, attempt))]
    pub async fn process(&self, envelope: &EventEnvelope, attempt: u32) -> Disposition {
        if !Self::is_relevant(envelope) {
            return Disposition::Done;
        }
        let (before, event) = match self.load(envelope).await {
            Ok(loaded) => loaded,
            Err(disposition) => return disposition,
        };
        let Some(callback) = callback_for(&before, &event, envelope.sequence, envelope.occurred_at)
        else {
            return Disposition::Done;
        };
        let Some(url) = target_url(&before, &event, self.default_url.as_deref()) else {
            self.count("skipped");
            tracing::debug!(
                status = callback.status.as_str(),
                "no callback URL; skipped"
            );
            return Disposition::Done;
        };
        let body = match serde_json::to_vec(&callback) {
            Ok(body) => body,
            Err(e) => {
                return self.dead(format!("cannot encode callback: {e}"), callback.status);
            }
        };
        let outcome = self
            .sender
            .send(
                url,
                body,
                &envelope.event_id.to_string(),
                self.clock.now().timestamp(),
            )
            .await;
        match outcome {
            AttemptOutcome::Delivered => {
                self.count("delivered");
                tracing::info!(
                    status = callback.status.as_str(),
                    "status callback delivered"
                );
                Disposition::Done
            }
            AttemptOutcome::Transient(reason) if self.policy.allows_another(attempt) => {
                self.count("retried");
                let delay = self.policy.jittered_delay(attempt);
                tracing::warn!(status = callback.status.as_str(), %reason, ?delay, "status callback failed; will retry");
                Disposition::Retry { reason, delay }
            }
            AttemptOutcome::Transient(reason) => self.dead(
                format!("{reason} (after {attempt} attempts)"),
                callback.status,
            ),
            AttemptOutcome::Permanent(reason) => self.dead(reason, callback.status),
        }
    }

    /// The offer before the envelope's event, and that event.
    async fn load(&self, envelope: &EventEnvelope) -> Result<(Offer, OfferEvent), Disposition> {
        let stream = self
            .events
            .read_stream(&stream_id(envelope.offer_id))
            .await
            .map_err(|e| Disposition::Defer(e.to_string()))?;
        let mut before = Offer::default();
        for recorded in stream {
            let event = OfferEvent::decode(
                &recorded.event_type,
                recorded.event_version,
                &recorded.payload,
            )
            .map_err(|e| Disposition::Dead {
                reason: format!("undecodable event in the offer's stream: {e}"),
                status: None,
            })?;
            if recorded.sequence == envelope.sequence {
                if recorded.event_id != envelope.event_id {
                    return Err(Disposition::Dead {
                        reason: "the message does not match the stored event".into(),
                        status: None,
                    });
                }
                return Ok((before, event));
            }
            before.apply(event);
        }
        // Only a lagging replica can be behind the log the relay read.
        Err(Disposition::Defer("event not yet readable".into()))
    }

    fn dead(&self, reason: String, status: CallbackStatus) -> Disposition {
        self.count("dead");
        tracing::warn!(status = status.as_str(), %reason, "status callback dead-lettered");
        Disposition::Dead {
            reason,
            status: Some(status),
        }
    }

    fn count(&self, outcome: &str) {
        self.metrics.callbacks.with_label_values(&[outcome]).inc();
    }
}
