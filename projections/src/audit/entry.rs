//! An audit entry: built from a recorded event and the tip of the chain before it.

use chrono::{DateTime, SecondsFormat, Utc};
use issuance_domain::authorization::{session_id_of_stream, AuthorizationEvent};
use issuance_domain::canonical::canonical_json;
use issuance_domain::issuer::{issuer_id_of_stream, IssuerEvent};
use issuance_domain::offer::event::DecodeError;
use issuance_domain::offer::{offer_id_of_stream, OfferEvent};
use issuance_domain::StoredEvent;
use issuance_eventlog::{LogPosition, RecordedEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::{authorization_summary, from_hex, issuer_summary, summary, to_hex, GENESIS_HASH};

/// One entry of the audit view, as stored, listed and exported.
///
/// Every field except `hash` is covered by `hash`; `prev_hash` through the chaining itself.
/// No field holds personal data: claims, free-text reasons and descriptions, subjects,
/// correlation objects and client addresses stay out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    /// The audit view's own position: gap-free, 1 for the first entry.
    pub position: u64,
    /// The event's position in the event store's global log.
    #[schemars(with = "LogPositionSchema")]
    pub log_position: LogPosition,
    /// The event's id.
    pub event_id: Uuid,
    /// The offer the event belongs to (`None` for a stream that is not an offer's).
    pub offer_id: Option<Uuid>,
    /// The event type, e.g. `OfferCreated`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's schema version.
    pub version: u32,
    /// When the command was decided, to the microsecond.
    #[serde(with = "micros")]
    #[schemars(with = "DateTime<Utc>")]
    pub occurred_at: DateTime<Utc>,
    /// The API key name, `wallet` or `system`.
    pub actor: String,
    /// The wallet's holder key thumbprint (RFC 7638), when known.
    pub holder_key_thumbprint: Option<String>,
    /// The request that caused the event.
    pub request_id: Option<String>,
    /// What happened, for humans, without personal data.
    pub summary: String,
    /// SHA-256 (hex) of the stored event (see [`event_hash`]): ties the entry to the exact
    /// event in the log, sealed claims included, so a rewritten log cannot keep its chain.
    pub event_hash: String,
    /// The previous entry's `hash` ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// `SHA-256(prev_hash || canonical entry)`, hex.
    pub hash: String,
}

/// The serialised form of a [`LogPosition`], for the entry's schema.
#[derive(JsonSchema)]
#[schemars(rename = "LogPosition")]
#[allow(dead_code)]
struct LogPositionSchema {
    /// Commit position (SQLite: the integer position; PostgreSQL: the transaction id).
    commit: u64,
    /// Prepare position (SQLite: equal to `commit`; PostgreSQL: the row's position).
    prepare: u64,
}

/// The last entry of a chain: where the next entry attaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTip {
    /// Its position (0 for an empty chain).
    pub position: u64,
    /// Its hash ([`GENESIS_HASH`] for an empty chain).
    pub hash: String,
}

impl ChainTip {
    /// The tip of an empty chain.
    pub fn genesis() -> ChainTip {
        ChainTip {
            position: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }

    /// The tip after `entry`.
    pub fn of(entry: &AuditEntry) -> ChainTip {
        ChainTip {
            position: entry.position,
            hash: entry.hash.clone(),
        }
    }
}

impl AuditEntry {
    /// The canonical bytes the hash covers: the JSON form without `prev_hash` and `hash`,
    /// members sorted, no whitespace.
    pub fn canonical(&self) -> Vec<u8> {
        // Written directly (members declared in sorted order) rather than through a
        // `Value`: this runs for every entry on every projection, export and verification.
        // A unit test pins it to the generic canonical form of the JSON entry.
        #[derive(Serialize)]
        struct Canonical<'a> {
            actor: &'a str,
            event_hash: &'a str,
            event_id: &'a Uuid,
            holder_key_thumbprint: &'a Option<String>,
            log_position: &'a LogPosition,
            occurred_at: String,
            offer_id: &'a Option<Uuid>,
            position: u64,
            request_id: &'a Option<String>,
            summary: &'a str,
            #[serde(rename = "type")]
            event_type: &'a str,
            version: u32,
        }
        let canonical = Canonical {
            actor: &self.actor,
            event_hash: &self.event_hash,
            event_id: &self.event_id,
            holder_key_thumbprint: &self.holder_key_thumbprint,
            log_position: &self.log_position,
            occurred_at: micros::text(&self.occurred_at),
            offer_id: &self.offer_id,
            position: self.position,
            request_id: &self.request_id,
            summary: &self.summary,
            event_type: &self.event_type,
            version: self.version,
        };
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_vec(&canonical).unwrap_or_default()
    }

    /// The hash this entry must have, given its `prev_hash`; `None` if `prev_hash` is not a
    /// hex SHA-256 digest.
    pub fn expected_hash(&self) -> Option<String> {
        let previous = from_hex(&self.prev_hash)?;
        let mut hasher = Sha256::new();
        hasher.update(previous);
        hasher.update(self.canonical());
        Some(to_hex(&hasher.finalize()))
    }
}

/// SHA-256 (hex) of a recorded event: its stream, sequence, id, type, version, payload and
/// metadata, canonicalised. Independent of backend-specific JSON key order.
pub fn event_hash(event: &RecordedEvent) -> String {
    let document = json!({
        "stream_id": event.stream_id,
        "sequence": event.sequence,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_version": event.event_version,
        "payload": &*event.payload,
        "metadata": event.metadata,
    });
    to_hex(&Sha256::digest(canonical_json(&document)))
}

/// The entry for `event`, attached after `previous`.
///
/// Fails only if an offer, session or issuer event cannot be decoded (a type or version this code does not
/// know): guessing a summary would make the chain depend on the code version that guessed.
pub fn audit_entry(event: &RecordedEvent, previous: &ChainTip) -> Result<AuditEntry, DecodeError> {
    let offer_id = offer_id_of_stream(&event.stream_id);
    let summary = match offer_id {
        Some(_) => summary(&OfferEvent::decode(
            &event.event_type,
            event.event_version,
            &event.payload,
        )?),
        None if session_id_of_stream(&event.stream_id).is_some() => authorization_summary(
            &AuthorizationEvent::decode(&event.event_type, event.event_version, &event.payload)?,
        ),
        None => match issuer_id_of_stream(&event.stream_id) {
            Some(issuer) => issuer_summary(
                issuer.as_str(),
                &IssuerEvent::decode(&event.event_type, event.event_version, &event.payload)?,
            ),
            None => format!(
                "{} recorded on stream {}",
                event.event_type, event.stream_id
            ),
        },
    };
    let metadata = &event.metadata;
    let mut entry = AuditEntry {
        position: previous.position + 1,
        log_position: event.position,
        event_id: event.event_id,
        offer_id,
        event_type: event.event_type.clone(),
        version: event.event_version,
        occurred_at: truncate_to_micros(metadata.occurred_at),
        actor: metadata.actor.clone(),
        holder_key_thumbprint: metadata.holder_key_thumbprint.clone(),
        request_id: metadata.request_id.clone(),
        summary,
        event_hash: event_hash(event),
        prev_hash: previous.hash.clone(),
        hash: String::new(),
    };
    // The tip's hash is always one this module computed (or the genesis), so it is hex.
    entry.hash = entry.expected_hash().unwrap_or_default();
    Ok(entry)
}

/// Stores keep microseconds; truncating here makes an entry read back equal to the one
/// written, on every backend.
fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// `occurred_at` as RFC 3339 UTC with exactly six fractional digits: one text per instant.
mod micros {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn text(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuance_domain::offer::{ClaimsErased, OfferEvent, OfferRevoked};
    use issuance_eventlog::EventMetadata;

    fn recorded(position: u64, event: &OfferEvent, actor: &str) -> RecordedEvent {
        RecordedEvent {
            position: LogPosition::at(position),
            stream_id: "offer-6a1f0e9e-0000-4000-8000-000000000001".into(),
            sequence: position,
            event_id: Uuid::from_u128(position as u128),
            event_type: event.event_type().into(),
            event_version: 1,
            payload: std::sync::Arc::new(event.payload()),
            metadata: EventMetadata {
                actor: actor.into(),
                request_id: Some(format!("req-{position}")),
                occurred_at: DateTime::from_timestamp(1_800_000_000 + position as i64, 123_456_789)
                    .unwrap(),
                client_ip: Some("192.0.2.7".into()),
                holder_key_thumbprint: None,
                issuer_id: None,
            },
        }
    }

    fn revoked() -> OfferEvent {
        OfferEvent::OfferRevoked(OfferRevoked {
            reason: Some("customer Erika Mustermann called".into()),
        })
    }

    #[test]
    fn the_first_entry_chains_to_the_genesis_hash() {
        let entry = audit_entry(&recorded(1, &revoked(), "admin"), &ChainTip::genesis()).unwrap();
        assert_eq!(entry.position, 1);
        assert_eq!(entry.prev_hash, GENESIS_HASH);
        assert_eq!(entry.actor, "admin");
        assert_eq!(entry.request_id.as_deref(), Some("req-1"));
        assert_eq!(
            entry.offer_id,
            Some(Uuid::parse_str("6a1f0e9e-0000-4000-8000-000000000001").unwrap())
        );
        let mut hasher = Sha256::new();
        hasher.update([0u8; 32]);
        hasher.update(entry.canonical());
        assert_eq!(entry.hash, to_hex(&hasher.finalize()));
    }

    #[test]
    fn the_hash_is_over_the_previous_hash_and_the_canonical_entry() {
        let first = audit_entry(&recorded(1, &revoked(), "admin"), &ChainTip::genesis()).unwrap();
        let erased = OfferEvent::ClaimsErased(ClaimsErased {
            reason: "admin_request".into(),
        });
        let second = audit_entry(&recorded(2, &erased, "admin"), &ChainTip::of(&first)).unwrap();
        assert_eq!(second.position, 2);
        assert_eq!(second.prev_hash, first.hash);
        let mut hasher = Sha256::new();
        hasher.update(from_hex(&first.hash).unwrap());
        hasher.update(second.canonical());
        assert_eq!(second.hash, to_hex(&hasher.finalize()));
    }

    #[test]
    fn the_canonical_entry_is_sorted_compact_json_without_the_hashes() {
        let entry = audit_entry(&recorded(1, &revoked(), "admin"), &ChainTip::genesis()).unwrap();
        let text = String::from_utf8(entry.canonical()).unwrap();
        assert!(
            text.starts_with(r#"{"actor":"admin","event_hash":""#),
            "{text}"
        );
        assert!(text.contains(r#""log_position":{"commit":1,"prepare":1}"#));
        assert!(text.contains(r#""occurred_at":"2027-01-15T08:00:01.123456Z""#));
        assert!(!text.contains("prev_hash") && !text.contains(r#""hash""#));
        assert!(!text.contains(' '.to_string().repeat(2).as_str()));
    }

    #[test]
    fn the_canonical_entry_is_the_generic_canonical_form_of_the_json_entry() {
        let mut event = recorded(7, &revoked(), "admin \"quoted\" ü");
        event.metadata.holder_key_thumbprint = Some("thumb".into());
        event.metadata.request_id = None;
        let entry = audit_entry(&event, &ChainTip::genesis()).unwrap();
        let mut value = serde_json::to_value(&entry).unwrap();
        let map = value.as_object_mut().unwrap();
        map.remove("hash");
        map.remove("prev_hash");
        assert_eq!(entry.canonical(), canonical_json(&value));
    }

    #[test]
    fn the_same_event_gives_the_same_entry() {
        let event = recorded(1, &revoked(), "admin");
        assert_eq!(
            audit_entry(&event, &ChainTip::genesis()).unwrap(),
            audit_entry(&event, &ChainTip::genesis()).unwrap()
        );
    }

    #[test]
    fn any_change_to_the_event_changes_the_hash() {
        let event = recorded(1, &revoked(), "admin");
        let base = audit_entry(&event, &ChainTip::genesis()).unwrap().hash;
        let mut other_payload = event.clone();
        other_payload.payload = std::sync::Arc::new(json!({"reason": "another"}));
        let mut other_ip = event.clone();
        other_ip.metadata.client_ip = None;
        let mut other_actor = event.clone();
        other_actor.metadata.actor = "mallory".into();
        for changed in [other_payload, other_ip, other_actor] {
            assert_ne!(
                audit_entry(&changed, &ChainTip::genesis()).unwrap().hash,
                base
            );
        }
    }

    #[test]
    fn entries_hold_no_personal_data() {
        let entry = audit_entry(&recorded(1, &revoked(), "admin"), &ChainTip::genesis()).unwrap();
        let json = serde_json::to_string(&entry).unwrap();
        assert!(!json.contains("Erika"), "{json}");
        assert!(!json.contains("192.0.2.7"), "{json}");
    }

    #[test]
    fn an_entry_round_trips_through_json() {
        let entry = audit_entry(&recorded(1, &revoked(), "admin"), &ChainTip::genesis()).unwrap();
        let back: AuditEntry =
            serde_json::from_str(&serde_json::to_string(&entry).unwrap()).unwrap();
        assert_eq!(back, entry);
        assert_eq!(back.expected_hash().unwrap(), entry.hash);
    }

    #[test]
    fn an_undecodable_offer_event_is_an_error_not_a_guess() {
        let mut event = recorded(1, &revoked(), "admin");
        event.event_type = "SomethingNew".into();
        assert!(audit_entry(&event, &ChainTip::genesis()).is_err());
    }

    #[test]
    fn events_of_other_streams_get_a_generic_summary() {
        let mut event = recorded(1, &revoked(), "system");
        event.stream_id = "maintenance-1".into();
        let entry = audit_entry(&event, &ChainTip::genesis()).unwrap();
        assert_eq!(entry.offer_id, None);
        assert_eq!(
            entry.summary,
            "OfferRevoked recorded on stream maintenance-1"
        );
    }
}
