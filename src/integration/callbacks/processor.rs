//! The transport-independent part of the callback consumer: turn one event envelope into
//! at most one status callback ([`CallbackProcessor::prepare`]), send it through a slot of
//! its destination ([`CallbackProcessor::send`]), and say what the transport should do
//! with the message (acknowledge, retry later, dead-letter, or hand back untouched).
//!
//! The offer's data (callback URL, correlation, configurations) is read from the event
//! store, folded up to the event's own sequence ([`OfferHistory`]): authoritative,
//! independent of projection lag, and the same answer on every redelivery.

use std::sync::Arc;
use std::time::Duration;

use super::destination::{destination_of, DestinationPermit, Destinations};
use super::disposition::Disposition;
use super::history::OfferHistory;
use super::payload::{callback_for, stored_correlation, target_url, CallbackStatus};
use super::pending::PendingCallbacks;
use super::retry::{AttemptOutcome, RetryPolicy};
use super::sender::CallbackSender;
use crate::clock::Clock;
use crate::integration::envelope::EventEnvelope;
use crate::metrics::Metrics;
use crate::store::{EventStore, SecretStore};

/// A callback ready to send: where to, and the body.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Its destination (`scheme://host:port`).
    pub destination: String,
    url: String,
    /// Whether the URL is the configured default (trusted) rather than the offer's own.
    trusted: bool,
    body: Vec<u8>,
    status: CallbackStatus,
    delivery_id: String,
    event_id: uuid::Uuid,
}

/// Maps events to callbacks and sends them.
pub struct CallbackProcessor {
    history: OfferHistory,
    secrets: Arc<dyn SecretStore>,
    sender: CallbackSender,
    default_url: Option<String>,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    policy: RetryPolicy,
    destinations: Arc<Destinations>,
    pending: PendingCallbacks,
}

impl CallbackProcessor {
    /// A processor sending to each offer's URL, else `default_url`, through `destinations`
    /// (`secrets`: the data keys that open correlation objects).
    #[allow(clippy::too_many_arguments)] // independent collaborators, each used as is
    pub fn new(
        events: Arc<dyn EventStore>,
        secrets: Arc<dyn SecretStore>,
        sender: CallbackSender,
        default_url: Option<String>,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        policy: RetryPolicy,
        destinations: Arc<Destinations>,
    ) -> Self {
        // An attempt ends within its timeout; a parked callback comes back at once.
        let horizon = destinations.timeout() + Duration::from_secs(60);
        CallbackProcessor {
            pending: PendingCallbacks::new(horizon),
            history: OfferHistory::new(events),
            secrets,
            sender,
            default_url,
            clock,
            metrics,
            policy,
            destinations,
        }
    }

    /// The retry schedule.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The destinations' slots, circuits and clients.
    pub fn destinations(&self) -> &Destinations {
        &self.destinations
    }

    /// The callbacks this node has taken up and not finished.
    pub fn pending(&self) -> &PendingCallbacks {
        &self.pending
    }

    /// Whether the event type can cause a callback at all (cheap pre-filter).
    pub fn is_relevant(envelope: &EventEnvelope) -> bool {
        issuance_domain::offer::causes_callback(&envelope.event_type)
    }

    /// The callback the envelope's event causes, or what to do with the message when it
    /// causes none (`Done`) or cannot be worked on now.
    #[tracing::instrument(name = "callback", skip_all, fields(offer_id = %envelope.offer_id, sequence = envelope.sequence))]
    pub async fn prepare(&self, envelope: &EventEnvelope) -> Result<Prepared, Disposition> {
        if !Self::is_relevant(envelope) {
            return Err(Disposition::Done);
        }
        let default = self.default_url.as_deref();
        let found = self
            .history
            .with_event(envelope, |before, event| {
                let callback =
                    callback_for(before, event, envelope.sequence, envelope.occurred_at)?;
                // The configured default is trusted; an offer's own URL is not.
                let own = target_url(before, event, None);
                let trusted = own.is_none();
                let url = own.or(default).map(str::to_string);
                Some((callback, url, trusted, stored_correlation(before, event)))
            })
            .await?;
        let Some((mut callback, url, trusted, correlation)) = found else {
            return Err(Disposition::Done);
        };
        let Some(url) = url else {
            self.count("skipped");
            tracing::debug!(
                status = callback.status.as_str(),
                "no callback URL; skipped"
            );
            return Err(Disposition::Done);
        };
        if let Some(correlation) = correlation {
            callback.correlation = correlation
                .open(self.secrets.as_ref())
                .await
                .map_err(|e| Disposition::Defer(e.to_string()))?;
        }
        let body = serde_json::to_vec(&callback)
            .map_err(|e| self.dead(format!("cannot encode callback: {e}"), callback.status))?;
        let destination = destination_of(&url);
        self.pending
            .seen(envelope.event_id, &destination, envelope.occurred_at);
        Ok(Prepared {
            destination,
            url,
            trusted,
            body,
            status: callback.status,
            delivery_id: envelope.event_id.to_string(),
            event_id: envelope.event_id,
        })
    }

    /// Sends attempt number `attempt` (1-based) of a prepared callback through `permit` (a
    /// slot of its destination) and records the outcome in the destination's circuit.
    #[tracing::instrument(name = "callback", skip_all, fields(destination = %prepared.destination, attempt))]
    pub async fn send(
        &self,
        prepared: &Prepared,
        mut permit: DestinationPermit,
        attempt: u32,
    ) -> Disposition {
        if !prepared.trusted {
            // An address in the URL is connected to without resolving: checked here (the
            // client's resolver checks names).
            let refused = url::Url::parse(&prepared.url)
                .ok()
                .and_then(|url| self.destinations.addresses().check_literal(&url).err());
            if let Some(refused) = refused {
                permit.record(false);
                let outcome = AttemptOutcome::Permanent(refused.to_string());
                return self.conclude(outcome, attempt, prepared);
            }
        }
        let client = match permit.client(prepared.trusted) {
            Ok(client) => client,
            Err(e) => return Disposition::Defer(e.to_string()),
        };
        let outcome = self
            .sender
            .send(
                &client,
                &prepared.url,
                prepared.body.clone(),
                &prepared.delivery_id,
                self.clock.now().timestamp(),
            )
            .await;
        permit.record(matches!(outcome, AttemptOutcome::Transient(_)));
        drop(permit);
        self.conclude(outcome, attempt, prepared)
    }

    /// Attempt number `attempt` of a callback whose destination's circuit is open: a
    /// failed attempt, made without a request.
    pub fn circuit_open(&self, prepared: &Prepared, attempt: u32) -> Disposition {
        let reason = "destination circuit open (recent attempts failed)".to_string();
        self.conclude(AttemptOutcome::Transient(reason), attempt, prepared)
    }

    /// What an attempt's outcome means for the message; a callback delivered or given up
    /// is no longer pending.
    fn conclude(&self, outcome: AttemptOutcome, attempt: u32, prepared: &Prepared) -> Disposition {
        let disposition = self.disposition(outcome, attempt, prepared.status);
        match &disposition {
            Disposition::Done | Disposition::Dead { .. } => {
                self.pending.finished(prepared.event_id)
            }
            Disposition::Retry { delay, .. } => self.pending.retry_in(prepared.event_id, *delay),
            Disposition::Defer(_) => {}
        }
        disposition
    }

    fn disposition(
        &self,
        outcome: AttemptOutcome,
        attempt: u32,
        status: CallbackStatus,
    ) -> Disposition {
        match outcome {
            AttemptOutcome::Delivered => {
                self.count("delivered");
                tracing::info!(status = status.as_str(), "status callback delivered");
                Disposition::Done
            }
            AttemptOutcome::Transient(reason) if self.policy.allows_another(attempt) => {
                self.count("retried");
                let delay = self.policy.jittered_delay(attempt);
                tracing::warn!(status = status.as_str(), %reason, ?delay, "status callback failed; will retry");
                Disposition::Retry { reason, delay }
            }
            AttemptOutcome::Transient(reason) => {
                self.dead(format!("{reason} (after {attempt} attempts)"), status)
            }
            AttemptOutcome::Permanent(reason) => self.dead(reason, status),
        }
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
