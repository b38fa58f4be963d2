//! The published form of an event: the AMQP message body and the unit the in-process
//! channel carries. It never holds personal data or hashes of secrets (see
//! [`issuance_projections::public_data::public_data`]).

use chrono::{DateTime, Utc};
use issuance_domain::offer::{offer_id_of_stream, OfferEvent};
use issuance_eventlog::{LogPosition, RecordedEvent};
use issuance_projections::public_data::public_data;

use crate::app::issuers::DEFAULT_ISSUER;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The AMQP body: `{"event_id", "offer_id", "issuer_id", "sequence", "position", "type",
/// "version", "occurred_at", "actor", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EventEnvelope {
    /// The event's id (also the AMQP `message_id`; consumers deduplicate on it).
    pub event_id: Uuid,
    /// The offer the event belongs to.
    pub offer_id: Uuid,
    /// The offer's issuer: `default` for the configuration file's, else an issuer managed
    /// at runtime (envelopes stored before issuers existed read as `default`).
    #[serde(default = "default_issuer")]
    pub issuer_id: String,
    /// 1-based position in the offer's stream: receivers order one offer's messages by it.
    pub sequence: u64,
    /// Position in the global log (the commit position; EventStoreDB's commit position).
    pub position: u64,
    /// Stable type name, e.g. `OfferCreated`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version of the event (of `data`'s source).
    pub version: u32,
    /// When the command was decided.
    pub occurred_at: DateTime<Utc>,
    /// Who caused it: an API key's name, `wallet` or `system`.
    pub actor: String,
    /// The event's public data.
    pub data: Value,
}

fn default_issuer() -> String {
    DEFAULT_ISSUER.to_string()
}

/// Why an event could not be published.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// The stream is not an offer stream.
    #[error("event {0} is not in an offer stream")]
    NotAnOffer(Uuid),
    /// The stored event does not decode.
    #[error("event {event_id} does not decode: {detail}")]
    Undecodable {
        /// The event.
        event_id: Uuid,
        /// Why.
        detail: String,
    },
}

impl EventEnvelope {
    /// The envelope of a stored event, with the decoded event.
    pub fn from_recorded(
        recorded: &RecordedEvent,
    ) -> Result<(EventEnvelope, OfferEvent), EnvelopeError> {
        let offer_id = offer_id_of_stream(&recorded.stream_id)
            .ok_or(EnvelopeError::NotAnOffer(recorded.event_id))?;
        let event = OfferEvent::decode(
            &recorded.event_type,
            recorded.event_version,
            &recorded.payload,
        )
        .map_err(|e| EnvelopeError::Undecodable {
            event_id: recorded.event_id,
            detail: e.to_string(),
        })?;
        let envelope = EventEnvelope {
            event_id: recorded.event_id,
            offer_id,
            issuer_id: recorded
                .metadata
                .issuer_id
                .clone()
                .unwrap_or_else(|| DEFAULT_ISSUER.to_string()),
            sequence: recorded.sequence,
            position: recorded.position.commit,
            event_type: recorded.event_type.clone(),
            version: recorded.event_version,
            occurred_at: recorded.metadata.occurred_at,
            actor: recorded.metadata.actor.clone(),
            data: public_data(&event),
        };
        Ok((envelope, event))
    }

    /// The routing key: `offer.<event>` in snake case.
    pub fn routing_key(&self) -> String {
        routing_key(&self.event_type)
    }

    /// The global log position as a [`LogPosition`] (SQL backends: both parts equal).
    pub fn log_position(&self) -> LogPosition {
        LogPosition::at(self.position)
    }
}

/// The routing key of an event type: `OfferCreated` → `offer.created`,
/// `CredentialIssued` → `offer.credential_issued`, `TxCodeRejected` →
/// `offer.tx_code_rejected`.
pub fn routing_key(event_type: &str) -> String {
    snake_routing_key("Offer", event_type)
}

/// `<aggregate>.<event>` in snake case, the aggregate's name dropped from the event's
/// front: (`Offer`, `OfferCreated`) → `offer.created`.
pub fn snake_routing_key(aggregate: &str, event_type: &str) -> String {
    let name = event_type.strip_prefix(aggregate).unwrap_or(event_type);
    let mut key = aggregate.to_ascii_lowercase();
    key.push('.');
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                key.push('_');
            }
            key.push(c.to_ascii_lowercase());
        } else {
            key.push(c);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuance_domain::offer::{causes_callback, EVENT_TYPES};

    #[test]
    fn routing_keys_are_the_documented_snake_case_names() {
        let keys: Vec<String> = EVENT_TYPES.iter().map(|t| routing_key(t)).collect();
        assert_eq!(
            keys,
            [
                "offer.created",
                "offer.tx_code_rejected",
                "offer.redeemed",
                "offer.credential_issued",
                "offer.completed",
                "offer.failed",
                "offer.expired",
                "offer.revoked",
                "offer.notification_received",
                "offer.claims_erased",
                "offer.redemption_revoked",
                "offer.credential_revoked",
                "offer.credential_suspended",
                "offer.credential_reinstated",
            ]
        );
    }

    #[test]
    fn the_callback_queue_is_bound_to_the_lifecycle_ends_and_credential_changes() {
        let bound: Vec<&str> = EVENT_TYPES
            .into_iter()
            .filter(|t| causes_callback(t))
            .collect();
        assert_eq!(
            bound,
            [
                "OfferCreated",
                "CredentialIssued",
                "OfferCompleted",
                "OfferFailed",
                "OfferExpired",
                "OfferRevoked",
                "CredentialRevoked",
                "CredentialSuspended",
                "CredentialReinstated",
            ]
        );
    }
}
