//! The storage envelope shared by every event store backend and every projection: what an
//! append carries ([`NewEvent`]), what a read returns ([`RecordedEvent`]), who caused an event
//! ([`EventMetadata`]) and where it sits in the global log ([`LogPosition`]). Storage
//! vocabulary, kept out of the pure domain.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Who caused an event, on whose request, and when. Recorded on every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// The API key's name for management calls, `wallet` for wallet calls, `system` for the
    /// engine's own decisions (expiry, retention).
    pub actor: String,
    /// The request id (`X-Request-Id`, or generated) of the HTTP request that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// When the command was decided.
    pub occurred_at: DateTime<Utc>,
    /// The client's IP address, recorded only when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// The RFC 7638 thumbprint of the wallet's holder key, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_key_thumbprint: Option<String>,
    /// The issuer the event's aggregate belongs to (an offer of an issuer managed at
    /// runtime); absent for the default issuer and for aggregates of no issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_id: Option<String>,
}

impl EventMetadata {
    /// Metadata for a decision the engine takes on its own (expiry, retention policy).
    pub fn system(occurred_at: DateTime<Utc>) -> Self {
        EventMetadata {
            actor: "system".into(),
            request_id: None,
            occurred_at,
            client_ip: None,
            holder_key_thumbprint: None,
            issuer_id: None,
        }
    }
}

/// A position in the global, commit-ordered log across all streams.
///
/// SQLite uses a single integer (both fields hold it); PostgreSQL the id of the writing
/// transaction (`commit`) and the row's identity (`prepare`); EventStoreDB its
/// `(commit, prepare)` pair. Ordering is lexicographic, which matches all three.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct LogPosition {
    /// Commit position (SQLite: the integer position; PostgreSQL: the transaction id).
    pub commit: u64,
    /// Prepare position (SQLite: equal to `commit`; PostgreSQL: the row's position, which
    /// counts events).
    pub prepare: u64,
}

impl LogPosition {
    /// The position before the first event.
    pub const START: LogPosition = LogPosition {
        commit: 0,
        prepare: 0,
    };

    /// A position of a backend with a single integer sequence.
    pub fn at(index: u64) -> Self {
        LogPosition {
            commit: index,
            prepare: index,
        }
    }
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Globally unique id, also the AMQP `message_id`.
    pub event_id: Uuid,
    /// Stable type name, e.g. `OfferCreated`.
    pub event_type: String,
    /// Schema version of the payload.
    pub event_version: u32,
    /// The event's data (personal data only in sealed form).
    pub payload: Value,
    /// Who, when, on which request.
    pub metadata: EventMetadata,
}

/// An event as stored, with its place in its stream and in the global log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Position in the global log.
    pub position: LogPosition,
    /// The stream, e.g. `offer-<uuid>`.
    pub stream_id: String,
    /// 1-based position within the stream.
    pub sequence: u64,
    /// Globally unique id.
    pub event_id: Uuid,
    /// Stable type name.
    pub event_type: String,
    /// Schema version of the payload.
    pub event_version: u32,
    /// The event's data; shared, because several consumers (projections, the relay) read
    /// the same recorded event and cloning it must not copy the whole JSON tree.
    pub payload: Arc<Value>,
    /// Who, when, on which request.
    pub metadata: EventMetadata,
}
