//! Storage of the audit view: the hash-chained entries and the audit projector's
//! checkpoint, behind one trait that every read store backend implements.
//!
//! A backend stores entries as they are given (the chain is computed by the projector, see
//! [`issuance_projections::audit`]) and must read them back byte-for-byte equal: every
//! field is covered by the hash. Implementing it on another database takes one table keyed
//! by `position`, one index per filter, and these rules:
//!
//! - [`AuditStore::append_audit_entries`] writes the entries and the checkpoint in one
//!   transaction, and refuses entries that do not continue the stored chain (first
//!   position = last position + 1, first `prev_hash` = last `hash`) with
//!   [`ReadStoreError::Conflict`]; that is what keeps two projectors from forking the chain.
//! - [`AuditStore::audit_entries`] pages in ascending `position` with the filters ANDed.
//! - Each entry is filed under its issuer ([`AuditRecord::issuer_id`], a column of its
//!   own, outside the entry and its hash) for the `issuers` filter.
//! - [`AuditStore::audit_head`] reads the last entry and the checkpoint in one snapshot.
//! - `occurred_at` keeps microseconds.

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use issuance_eventlog::LogPosition;
use issuance_projections::audit::ChainTip;
use issuance_projections::AuditEntry;
use uuid::Uuid;

use super::ReadStoreError;

/// Name of the audit view projection (its checkpoint key and CLI name).
pub const AUDIT_VIEW: &str = "audit_view";

/// Filters and page of an audit query. Entries come oldest first (ascending position).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Only entries filed under these issuers (`default` for the default issuer); `None`:
    /// every entry, an empty list: none. Entries of no single issuer match no list.
    pub issuers: Option<Vec<String>>,
    /// Only this offer's entries.
    pub offer_id: Option<Uuid>,
    /// Only this event type.
    pub event_type: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
    /// Only positions after this one (the cursor; 0 = from the start).
    pub after: u64,
    /// Only positions up to this one (a snapshot bound for exports and verification).
    pub until: Option<u64>,
    /// Page size.
    pub limit: usize,
}

/// An entry as the projector hands it to the store: the chained entry and the issuer it
/// is filed under ([`issuance_projections::audit::audit_issuer`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// The entry.
    pub entry: AuditEntry,
    /// Its issuer (`default` for the default issuer); `None` for entries of no single
    /// issuer. Not covered by the hash: a filing derived from the same event.
    pub issuer_id: Option<String>,
}

impl From<AuditEntry> for AuditRecord {
    /// An entry of no single issuer.
    fn from(entry: AuditEntry) -> Self {
        AuditRecord {
            entry,
            issuer_id: None,
        }
    }
}

/// One page of entries.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    /// The entries, ascending position.
    pub entries: Vec<AuditEntry>,
    /// Where the next page starts, if there may be one.
    pub next_cursor: Option<AuditCursor>,
}

/// Opaque position in the audit view's order: the last position of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor(pub u64);

/// Marks audit cursors, so that another listing's cursor is rejected rather than misread.
const CURSOR_PREFIX: &str = "audit:";

impl AuditCursor {
    /// The opaque text form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.0))
    }

    /// Parses the opaque text form.
    pub fn decode(text: &str) -> Option<AuditCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        text.strip_prefix(CURSOR_PREFIX)?
            .parse()
            .ok()
            .map(AuditCursor)
    }
}

/// The end of the stored chain and the audit projection's checkpoint, read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    /// The last entry's position and hash ([`ChainTip::genesis`] when empty).
    pub tip: ChainTip,
    /// The log position of the last entry's event (START when empty).
    pub tip_log_position: LogPosition,
    /// The projection's checkpoint (START if it never ran).
    pub checkpoint: LogPosition,
}

impl AuditHead {
    /// Whether the entries end at the checkpoint, as they must: the projector writes one
    /// entry per event and the last event's position as the checkpoint, in one
    /// transaction. A mismatch means entries were removed from the end (or the checkpoint
    /// was moved) behind the projector's back.
    pub fn consistent(&self) -> bool {
        self.tip_log_position == self.checkpoint
    }
}

/// Storage of the audit view.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// The chain's end and the checkpoint, from one consistent snapshot.
    async fn audit_head(&self) -> Result<AuditHead, ReadStoreError>;

    /// Appends entries that continue the chain and moves the checkpoint, atomically;
    /// [`ReadStoreError::Conflict`] if they do not continue the stored chain.
    async fn append_audit_entries(
        &self,
        records: Vec<AuditRecord>,
        checkpoint: LogPosition,
    ) -> Result<(), ReadStoreError>;

    /// Deletes every entry and the checkpoint (before a replay).
    async fn reset_audit(&self) -> Result<(), ReadStoreError>;

    /// A filtered page, ascending position.
    async fn audit_entries(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError>;

    /// The entry at `position`.
    async fn audit_entry(&self, position: u64) -> Result<Option<AuditEntry>, ReadStoreError>;

    /// How many entries match `query`'s filters (its page and limit aside) per minute of
    /// their time: `(minutes since the epoch, count)`, oldest first, minutes without an
    /// entry left out.
    async fn audit_counts_per_minute(
        &self,
        query: AuditQuery,
    ) -> Result<Vec<(i64, u64)>, ReadStoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_rejected() {
        assert_eq!(
            AuditCursor::decode(&AuditCursor(42).encode()),
            Some(AuditCursor(42))
        );
        assert_eq!(AuditCursor::decode("not-a-cursor"), None);
        assert_eq!(AuditCursor::decode(&URL_SAFE_NO_PAD.encode("42")), None);
    }
}
