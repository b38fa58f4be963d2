//! The audit view: one hash-chained entry per event of the log, in global order.
//!
//! Each [`AuditEntry`] carries who did what when (actor, request id, holder key), a human
//! summary without personal data, a digest of the stored event, and
//!
//! ```text
//! hash = SHA-256( prev_hash (32 bytes) || canonical entry )
//! ```
//!
//! where the canonical entry is the entry's JSON form without `prev_hash` and `hash`,
//! canonicalised ([`issuance_domain::canonical`]; RFC 8785 for these documents). The first
//! entry's `prev_hash` is [`GENESIS_HASH`]. Hashes are lowercase hex.
//!
//! Entries are a pure function of the log, so a replay from position 0 yields the same
//! chain, hash for hash. The rules that produce them (fields, summaries, canonical form)
//! are therefore part of the chain format [`CHAIN_FORMAT`]: changing any of them is a new
//! format, never a silent edit.
//!
//! - [`entry`]: the entry, building it from a recorded event, its canonical form and hash.
//! - [`summary`], [`issuer_summary`]: the human summaries.
//! - [`verify`]: recomputing a chain and naming the first broken entry.
//!
//! Each entry is also filed under the issuer it belongs to ([`audit_issuer`]), so that a
//! key restricted to issuers sees only theirs. That filing is not part of the entry nor of
//! its hash: the chain format, and every hash already computed, stay as they are.

pub mod entry;
pub mod issuer_summary;
pub mod summary;
pub mod verify;

use issuance_domain::issuer::{issuer_id_of_stream, DEFAULT_ISSUER_ID};
use issuance_domain::offer::offer_id_of_stream;
use issuance_eventlog::RecordedEvent;

pub use entry::{audit_entry, event_hash, AuditEntry, ChainTip};
pub use issuer_summary::issuer_summary;
pub use summary::{authorization_summary, summary};
pub use verify::{ChainBreak, ChainProblem, ChainVerifier};

/// Name and version of the chain format, stated in signed heads.
pub const CHAIN_FORMAT: &str = "issuance-audit-v1";

/// The `prev_hash` of the first entry: 32 zero bytes.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The issuer `event`'s entry is filed under: an offer's issuer (as its metadata names it;
/// the default issuer when it names none), an issuer stream's own issuer; `None` for
/// streams of no single issuer (authorization sessions, status lists), whose entries only
/// keys that see every issuer list.
pub fn audit_issuer(event: &RecordedEvent) -> Option<String> {
    if offer_id_of_stream(&event.stream_id).is_some() {
        let issuer = event.metadata.issuer_id.as_deref();
        return Some(issuer.unwrap_or(DEFAULT_ISSUER_ID).to_string());
    }
    issuer_id_of_stream(&event.stream_id).map(|id| id.as_str().to_string())
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

/// The 32 bytes of a lowercase hex SHA-256 digest; `None` unless exactly that.
pub fn from_hex(text: &str) -> Option<[u8; 32]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use issuance_eventlog::{EventMetadata, LogPosition};

    fn event(stream_id: &str, issuer_id: Option<&str>) -> RecordedEvent {
        let mut metadata = EventMetadata::system(chrono::DateTime::UNIX_EPOCH);
        metadata.issuer_id = issuer_id.map(str::to_string);
        RecordedEvent {
            position: LogPosition::at(1),
            stream_id: stream_id.into(),
            sequence: 1,
            event_id: uuid::Uuid::nil(),
            event_type: "Any".into(),
            event_version: 1,
            payload: std::sync::Arc::new(serde_json::json!({})),
            metadata,
        }
    }

    #[test]
    fn entries_are_filed_under_the_offer_s_or_the_stream_s_issuer() {
        let offer = "offer-6a1f0e9e-0000-4000-8000-000000000001";
        assert_eq!(
            audit_issuer(&event(offer, None)).as_deref(),
            Some("default")
        );
        assert_eq!(
            audit_issuer(&event(offer, Some("acme"))).as_deref(),
            Some("acme")
        );
        assert_eq!(
            audit_issuer(&event("issuer-acme", None)).as_deref(),
            Some("acme")
        );
        assert_eq!(
            audit_issuer(&event("issuer-default", None)).as_deref(),
            Some("default")
        );
        let session = "authz-6a1f0e9e-0000-4000-8000-000000000001";
        assert_eq!(audit_issuer(&event(session, None)), None);
        assert_eq!(audit_issuer(&event("status-list-1", None)), None);
    }

    #[test]
    fn hex_round_trips_and_rejects_anything_else() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 9) as u8);
        assert_eq!(from_hex(&to_hex(&bytes)), Some(bytes));
        assert_eq!(from_hex(GENESIS_HASH), Some([0; 32]));
        assert_eq!(from_hex(&to_hex(&bytes).to_uppercase()), None);
        assert_eq!(from_hex("00"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
    }
}
