//! The published form of an Issuer event (issuers, their signing keys and credential
//! configurations managed at runtime): `issuer.<event>` messages on the same exchange as the
//! offers' `offer.<event>`. No private key material exists in these events; the vault
//! reference of a key (`key_ref`), an internal detail, is left out.

use chrono::{DateTime, Utc};
use issuance_domain::issuer::{issuer_id_of_stream, IssuerEvent};
use issuance_domain::StoredEvent;
use issuance_eventlog::RecordedEvent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::envelope::{snake_routing_key, EnvelopeError};

/// The AMQP body of an Issuer event: `{"event_id", "issuer_id", "sequence", "position",
/// "type", "version", "occurred_at", "actor", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IssuerEnvelope {
    /// The event's id (also the AMQP `message_id`; consumers deduplicate on it).
    pub event_id: Uuid,
    /// The issuer the event belongs to.
    pub issuer_id: String,
    /// 1-based position in the issuer's stream: receivers order one issuer's messages by it.
    pub sequence: u64,
    /// Position in the global log (the commit position).
    pub position: u64,
    /// Stable type name, e.g. `ConfigurationPublished`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version of the event.
    pub version: u32,
    /// When the change was decided.
    pub occurred_at: DateTime<Utc>,
    /// Who made it: an API key's name, or `system`.
    pub actor: String,
    /// The event's payload without `actor`, `at` (above) and `key_ref` (internal).
    pub data: Value,
}

impl IssuerEnvelope {
    /// The envelope of a stored event; `None` when it is not an Issuer event.
    pub fn from_recorded(
        recorded: &RecordedEvent,
    ) -> Result<Option<IssuerEnvelope>, EnvelopeError> {
        let Some(issuer_id) = issuer_id_of_stream(&recorded.stream_id) else {
            return Ok(None);
        };
        let event = IssuerEvent::decode(
            &recorded.event_type,
            recorded.event_version,
            &recorded.payload,
        )
        .map_err(|e| EnvelopeError::Undecodable {
            event_id: recorded.event_id,
            detail: e.to_string(),
        })?;
        Ok(Some(IssuerEnvelope {
            event_id: recorded.event_id,
            issuer_id: issuer_id.as_str().to_string(),
            sequence: recorded.sequence,
            position: recorded.position.commit,
            event_type: recorded.event_type.clone(),
            version: recorded.event_version,
            occurred_at: event.at(),
            actor: event.actor().to_string(),
            data: public_data(event.payload()),
        }))
    }

    /// The routing key: `issuer.<event>` in snake case.
    pub fn routing_key(&self) -> String {
        issuer_routing_key(&self.event_type)
    }
}

/// The payload without what the envelope carries and what stays internal.
fn public_data(mut payload: Value) -> Value {
    if let Some(object) = payload.as_object_mut() {
        for internal in ["actor", "at", "key_ref"] {
            object.remove(internal);
        }
    }
    payload
}

/// The routing key of an Issuer event type: `IssuerCreated` → `issuer.created`,
/// `ConfigurationPublished` → `issuer.configuration_published`, `SigningKeyActivated` →
/// `issuer.signing_key_activated`.
pub fn issuer_routing_key(event_type: &str) -> String {
    snake_routing_key("Issuer", event_type)
}

#[cfg(test)]
mod tests {
    use issuance_domain::issuer::EVENT_TYPES;

    use super::*;

    #[test]
    fn routing_keys_are_the_documented_snake_case_names() {
        let keys: Vec<String> = EVENT_TYPES.iter().map(|t| issuer_routing_key(t)).collect();
        assert_eq!(
            keys,
            [
                "issuer.created",
                "issuer.display_changed",
                "issuer.signing_key_generated",
                "issuer.signing_key_imported",
                "issuer.signing_key_activated",
                "issuer.signing_key_retired",
                "issuer.certificate_chain_set",
                "issuer.configuration_published",
                "issuer.configuration_retired",
                "issuer.profile_set",
                "issuer.retired",
            ]
        );
    }

    #[test]
    fn the_vault_reference_and_the_envelope_fields_leave_the_data() {
        let data = public_data(serde_json::json!({
            "kid": "k1", "key_ref": "vault-1", "actor": "admin", "at": "2026-12-05T10:00:00Z",
        }));
        assert_eq!(data, serde_json::json!({"kid": "k1"}));
    }
}
