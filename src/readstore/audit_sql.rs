//! What the SQLite and PostgreSQL audit stores share: the column list, the filtered page
//! query, the head snapshot query, the decoding of a stored row and the chain-continuation
//! rule. Both keep the same columns (times as microseconds since the epoch), so only the
//! [`Dialect`] and the id types differ (text in SQLite, `uuid` in PostgreSQL).

use chrono::DateTime;
use issuance_eventlog::LogPosition;
use issuance_projections::audit::ChainTip;
use issuance_projections::AuditEntry;
use uuid::Uuid;

use super::audit::{AuditCursor, AuditHead, AuditPage, AuditQuery, AuditRecord, AUDIT_VIEW};
use super::sql::{self, Dialect, SqlValue};
use super::ReadStoreError;

/// Every column of `audit_entries`, in the order [`StoredEntry`] is read.
pub const COLUMNS: &str = "position, commit_position, prepare_position, event_id, offer_id, \
    event_type, event_version, occurred_at, actor, holder_key_thumbprint, request_id, summary, \
    event_hash, prev_hash, hash";

/// The audit query's page: ascending position, the filters ANDed, `limit + 1` rows so the
/// caller can tell whether another page follows (see [`page`]).
pub fn list_entries(dialect: &Dialect, query: &AuditQuery) -> (String, Vec<SqlValue>) {
    let (clauses, mut values) = filters(dialect, query);
    // One more than asked tells whether a next page exists.
    values.push(SqlValue::Int(to_i64(query.limit as u64).saturating_add(1)));
    let limit = (dialect.placeholder)(values.len());
    (
        format!(
            "SELECT {COLUMNS} FROM audit_entries WHERE {} ORDER BY position LIMIT {limit}",
            clauses.join(" AND ")
        ),
        values,
    )
}

/// How many entries match the filters of `query` (its page and limit aside), per minute
/// of `occurred_at` (minutes since the epoch), oldest first: rows `(minute, count)`.
pub fn count_per_minute(dialect: &Dialect, query: &AuditQuery) -> (String, Vec<SqlValue>) {
    let (clauses, values) = filters(dialect, query);
    (
        format!(
            "SELECT occurred_at / {MINUTE_MICROS} AS minute, COUNT(*) FROM audit_entries \
             WHERE {} GROUP BY occurred_at / {MINUTE_MICROS} ORDER BY minute",
            clauses.join(" AND ")
        ),
        values,
    )
}

/// A minute in microseconds.
const MINUTE_MICROS: i64 = 60_000_000;

/// The `WHERE` clauses of `query`'s filters (ANDed) and their parameters.
fn filters(dialect: &Dialect, query: &AuditQuery) -> (Vec<String>, Vec<SqlValue>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    let mut add = |clause: &str, value: SqlValue| {
        values.push(value);
        clauses.push(format!("{clause} {}", (dialect.placeholder)(values.len())));
    };
    add("position >", SqlValue::Int(to_i64(query.after)));
    if let Some(until) = query.until {
        add("position <=", SqlValue::Int(to_i64(until)));
    }
    if let Some(offer_id) = query.offer_id {
        add("offer_id =", SqlValue::Uuid(offer_id));
    }
    if let Some(event_type) = &query.event_type {
        add("event_type =", SqlValue::Text(event_type.clone()));
    }
    if let Some(actor) = &query.actor {
        add("actor =", SqlValue::Text(actor.clone()));
    }
    if let Some(from) = query.from {
        add("occurred_at >=", SqlValue::Int(from.timestamp_micros()));
    }
    if let Some(to) = query.to {
        add("occurred_at <", SqlValue::Int(to.timestamp_micros()));
    }
    if let Some(issuers) = &query.issuers {
        clauses.push(sql::one_of(dialect, "issuer_id", issuers, &mut values));
    }
    (clauses, values)
}

/// Turns the `limit + 1` rows of [`list_entries`] into a page and its cursor.
pub fn page(mut entries: Vec<AuditEntry>, limit: usize) -> AuditPage {
    let next_cursor = if entries.len() > limit {
        entries.truncate(limit);
        entries.last().map(|e| AuditCursor(e.position))
    } else {
        None
    };
    AuditPage {
        entries,
        next_cursor,
    }
}

/// One entry by position: parameter position.
pub fn entry_at(dialect: &Dialect) -> String {
    format!(
        "SELECT {COLUMNS} FROM audit_entries WHERE position = {}",
        (dialect.placeholder)(1)
    )
}

/// The last entry's position and hash: the tip the next append must continue.
pub const TIP: &str = "SELECT position, hash FROM audit_entries ORDER BY position DESC LIMIT 1";

/// The last entry and the audit checkpoint in one statement, hence one snapshot: columns
/// position, hash, commit, prepare of the last entry, then commit, prepare of the
/// checkpoint, each NULL when absent. No parameters.
pub fn head() -> String {
    format!(
        "SELECT e.position, e.hash, e.commit_position, e.prepare_position, \
                c.commit_position, c.prepare_position \
         FROM (SELECT 1) AS one \
         LEFT JOIN (SELECT position, hash, commit_position, prepare_position FROM audit_entries \
                    ORDER BY position DESC LIMIT 1) AS e ON TRUE \
         LEFT JOIN checkpoints AS c ON c.projection = '{AUDIT_VIEW}'"
    )
}

/// The row of [`head`], as read.
pub struct HeadRow {
    /// Last entry: position, hash, commit, prepare.
    pub tip: Option<(i64, String, i64, i64)>,
    /// Checkpoint: commit, prepare.
    pub checkpoint: Option<(i64, i64)>,
}

impl HeadRow {
    /// The audit head.
    pub fn into_head(self) -> AuditHead {
        let position = |commit: i64, prepare: i64| LogPosition {
            commit: commit as u64,
            prepare: prepare as u64,
        };
        let (tip, tip_log_position) = match self.tip {
            Some((number, hash, commit, prepare)) => (
                ChainTip {
                    position: number as u64,
                    hash,
                },
                position(commit, prepare),
            ),
            None => (ChainTip::genesis(), LogPosition::START),
        };
        AuditHead {
            tip,
            tip_log_position,
            checkpoint: self
                .checkpoint
                .map_or(LogPosition::START, |(c, p)| position(c, p)),
        }
    }
}

/// The columns an append writes: [`COLUMNS`], then the issuer the entry is filed under.
pub const INSERT_COLUMNS: &str = "position, commit_position, prepare_position, event_id, \
    offer_id, event_type, event_version, occurred_at, actor, holder_key_thumbprint, \
    request_id, summary, event_hash, prev_hash, hash, issuer_id";

/// Refuses entries that do not continue the stored chain: the first must sit right after
/// the stored tip and carry its hash. That keeps two projectors from forking the chain.
pub fn check_continues(records: &[AuditRecord], stored: &ChainTip) -> Result<(), ReadStoreError> {
    match records.first().map(|record| &record.entry) {
        Some(first) if first.position != stored.position + 1 || first.prev_hash != stored.hash => {
            Err(ReadStoreError::Conflict(format!(
                "audit entry {} does not continue the stored chain at {}",
                first.position, stored.position
            )))
        }
        _ => Ok(()),
    }
}

/// One `audit_entries` row as stored, ids already parsed.
pub struct StoredEntry {
    /// `position`.
    pub position: i64,
    /// `commit_position`.
    pub commit: i64,
    /// `prepare_position`.
    pub prepare: i64,
    /// `event_id`.
    pub event_id: Uuid,
    /// `offer_id`.
    pub offer_id: Option<Uuid>,
    /// `event_type`.
    pub event_type: String,
    /// `event_version`.
    pub version: i64,
    /// `occurred_at`, microseconds.
    pub occurred_at: i64,
    /// `actor`.
    pub actor: String,
    /// `holder_key_thumbprint`.
    pub holder_key_thumbprint: Option<String>,
    /// `request_id`.
    pub request_id: Option<String>,
    /// `summary`.
    pub summary: String,
    /// `event_hash`.
    pub event_hash: String,
    /// `prev_hash`.
    pub prev_hash: String,
    /// `hash`.
    pub hash: String,
}

impl StoredEntry {
    /// The entry, or `Corrupt` naming the field that is out of range.
    pub fn into_entry(self) -> Result<AuditEntry, ReadStoreError> {
        let position = self.position;
        let bad =
            |what: &str| ReadStoreError::Corrupt(format!("audit entry {position}: bad {what}"));
        Ok(AuditEntry {
            position: u64::try_from(position).map_err(|_| bad("position"))?,
            log_position: LogPosition {
                commit: u64::try_from(self.commit).map_err(|_| bad("log position"))?,
                prepare: u64::try_from(self.prepare).map_err(|_| bad("log position"))?,
            },
            event_id: self.event_id,
            offer_id: self.offer_id,
            event_type: self.event_type,
            version: u32::try_from(self.version).map_err(|_| bad("version"))?,
            occurred_at: DateTime::from_timestamp_micros(self.occurred_at)
                .ok_or_else(|| bad("occurred_at"))?,
            actor: self.actor,
            holder_key_thumbprint: self.holder_key_thumbprint,
            request_id: self.request_id,
            summary: self.summary,
            event_hash: self.event_hash,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// A stored position: every position fits (they come from `u64` counters far below 2^63).
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readstore::sql::{POSTGRES, SQLITE};

    #[test]
    fn filters_number_their_parameters_in_order() {
        let (sql, values) = list_entries(
            &POSTGRES,
            &AuditQuery {
                offer_id: Some(Uuid::nil()),
                actor: Some("wallet".into()),
                after: 4,
                limit: 10,
                ..Default::default()
            },
        );
        assert_eq!(
            sql,
            format!(
                "SELECT {COLUMNS} FROM audit_entries WHERE position > $1 AND offer_id = $2 \
                 AND actor = $3 ORDER BY position LIMIT $4"
            )
        );
        assert_eq!(
            values,
            vec![
                SqlValue::Int(4),
                SqlValue::Uuid(Uuid::nil()),
                SqlValue::Text("wallet".into()),
                SqlValue::Int(11),
            ]
        );
        let (sql, values) = list_entries(
            &POSTGRES,
            &AuditQuery {
                issuers: Some(vec!["acme".into()]),
                actor: Some("wallet".into()),
                limit: 10,
                ..Default::default()
            },
        );
        assert!(
            sql.contains("WHERE position > $1 AND actor = $2 AND issuer_id IN ($3) ORDER BY"),
            "{sql}"
        );
        assert_eq!(values[2], SqlValue::Text("acme".into()));
        let (sql, _) = list_entries(&SQLITE, &AuditQuery::default());
        assert!(
            sql.ends_with("WHERE position > ?1 ORDER BY position LIMIT ?2"),
            "{sql}"
        );
    }
}
