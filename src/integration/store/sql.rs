//! SQL shared by the SQLite and PostgreSQL integration stores. Both keep the same tables
//! and columns (times as microseconds since the epoch, ids as text in SQLite and `uuid` in
//! PostgreSQL), so only the [`Dialect`] differs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{DeadLetter, DeadLetterCursor, DeadLetterPage};
use crate::integration::envelope::EventEnvelope;
use crate::readstore::sql::Dialect;
use crate::readstore::ReadStoreError;

/// The columns of `dead_letters`, in the order [`DeadRow`] is read.
pub const DEAD_COLUMNS: &str =
    "id, offer_id, status, attempts, reason, dead_at, requeue_requested, envelope";

/// Each offer's oldest outbox row, if it is due, and neither in flight nor bound for a
/// saturated destination: parameters now (micros), in-flight ids, saturated destinations,
/// limit. `not_in` writes "expression is not in the list parameter" in the dialect. An
/// offer's later rows wait behind its head, so its callbacks go out strictly in log order.
pub fn due(d: &Dialect, not_in: fn(&str, &str, &str) -> String) -> String {
    let p = d.placeholder;
    format!(
        "SELECT o.id, o.envelope, o.attempts, o.destination FROM callback_outbox o \
         WHERE o.next_attempt_at <= {} AND {} AND {} AND NOT EXISTS \
         (SELECT 1 FROM callback_outbox p WHERE p.offer_id = o.offer_id AND p.id < o.id) \
         ORDER BY o.id LIMIT {}",
        p(1),
        not_in("o.id", &p(2), "bigint"),
        not_in("coalesce(o.destination, '')", &p(3), "text"),
        p(4)
    )
}

/// Sets an outbox row's destination: parameters id, destination.
pub fn set_destination(d: &Dialect) -> String {
    let p = d.placeholder;
    format!(
        "UPDATE callback_outbox SET destination = {} WHERE id = {}",
        p(2),
        p(1)
    )
}

/// The outbox's backlog per destination: depth and the oldest event time (micros; rows
/// from before `occurred_at` was recorded count from their due time).
pub const BACKLOG: &str = "SELECT coalesce(destination, ''), count(*), \
     min(coalesce(occurred_at, next_attempt_at)) FROM callback_outbox \
     GROUP BY coalesce(destination, '')";

/// Removes an outbox row: parameter id.
pub fn delete_outbox(d: &Dialect) -> String {
    format!(
        "DELETE FROM callback_outbox WHERE id = {}",
        (d.placeholder)(1)
    )
}

/// Records a failed attempt: parameters id, attempts, next attempt (micros), error.
pub fn retry(d: &Dialect) -> String {
    let p = d.placeholder;
    format!(
        "UPDATE callback_outbox SET attempts = {}, next_attempt_at = {}, last_error = {} \
         WHERE id = {}",
        p(2),
        p(3),
        p(4),
        p(1)
    )
}

/// Stores a dead letter, replacing an older one of the same id (and its re-queue request):
/// parameters id, offer id, status, attempts, reason, dead at (micros), envelope.
pub fn upsert_dead(d: &Dialect) -> String {
    let p = d.placeholder;
    let not_requested = format!("NOT {}", d.true_literal);
    format!(
        "INSERT INTO dead_letters ({DEAD_COLUMNS}) VALUES ({}, {}, {}, {}, {}, {}, {not_requested}, {}) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, \
         reason = excluded.reason, dead_at = excluded.dead_at, \
         requeue_requested = {not_requested}, envelope = excluded.envelope",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7)
    )
}

/// A page of dead letters after a cursor, oldest first: parameters dead at (micros), id,
/// limit.
pub fn dead_page(d: &Dialect) -> String {
    let p = d.placeholder;
    format!(
        "SELECT {DEAD_COLUMNS} FROM dead_letters WHERE (dead_at, id) > ({}, {}) \
         ORDER BY dead_at, id LIMIT {}",
        p(1),
        p(2),
        p(3)
    )
}

/// Marks one dead letter for re-queueing: parameter id.
pub fn mark_one(d: &Dialect) -> String {
    format!(
        "UPDATE dead_letters SET requeue_requested = {} WHERE id = {}",
        d.true_literal,
        (d.placeholder)(1)
    )
}

/// Marks every dead letter for re-queueing.
pub fn mark_all(d: &Dialect) -> String {
    format!(
        "UPDATE dead_letters SET requeue_requested = {}",
        d.true_literal
    )
}

/// Dead letters marked for re-queueing, oldest first: parameter limit.
pub fn requeue_requests(d: &Dialect) -> String {
    format!(
        "SELECT {DEAD_COLUMNS} FROM dead_letters WHERE requeue_requested = {} \
         ORDER BY dead_at, id LIMIT {}",
        d.true_literal,
        (d.placeholder)(1)
    )
}

/// Removes a dead letter: parameter id.
pub fn delete_dead(d: &Dialect) -> String {
    format!("DELETE FROM dead_letters WHERE id = {}", (d.placeholder)(1))
}

/// Where a dead-letter listing starts: after the cursor, else before everything.
pub fn page_start(after: Option<DeadLetterCursor>) -> (i64, Uuid) {
    after.map_or((i64::MIN, Uuid::nil()), |c| (c.dead_at_micros, c.id))
}

/// Turns the `limit + 1` rows of [`dead_page`] into a page and its cursor.
pub fn page(mut items: Vec<DeadLetter>, limit: usize) -> DeadLetterPage {
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|d| DeadLetterCursor {
            dead_at_micros: d.dead_at.timestamp_micros(),
            id: d.id,
        })
    } else {
        None
    };
    DeadLetterPage { items, next_cursor }
}

/// `limit + 1` as a query parameter.
pub fn one_more(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1
}

/// A query limit as a parameter.
pub fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// One `dead_letters` row, ids and envelope already parsed.
pub struct DeadRow {
    /// `id`.
    pub id: Uuid,
    /// `offer_id`.
    pub offer_id: Uuid,
    /// `status`.
    pub status: Option<String>,
    /// `attempts`.
    pub attempts: i64,
    /// `reason`.
    pub reason: String,
    /// `dead_at`, microseconds.
    pub dead_at: i64,
    /// `requeue_requested`.
    pub requeue_requested: bool,
    /// `envelope`.
    pub envelope: EventEnvelope,
}

impl DeadRow {
    /// The dead letter, or `Corrupt` when a stored value is out of range.
    pub fn into_dead_letter(self) -> Result<DeadLetter, ReadStoreError> {
        let id = self.id;
        let corrupt = |what: &str| ReadStoreError::Corrupt(format!("dead letter {id}: bad {what}"));
        Ok(DeadLetter {
            id,
            offer_id: self.offer_id,
            status: self.status,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempts"))?,
            reason: self.reason,
            dead_at: from_micros(self.dead_at).ok_or_else(|| corrupt("dead_at"))?,
            requeue_requested: self.requeue_requested,
            event: self.envelope,
        })
    }
}

/// A stored time.
pub fn from_micros(value: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readstore::sql::{POSTGRES, SQLITE};

    #[test]
    fn booleans_are_written_as_each_dialect_indexes_them() {
        assert!(requeue_requests(&SQLITE).contains("requeue_requested = 1 "));
        assert!(requeue_requests(&POSTGRES).contains("requeue_requested = TRUE "));
        assert!(upsert_dead(&SQLITE).contains("?6, NOT 1, ?7"));
        assert!(upsert_dead(&POSTGRES).contains("$6, NOT TRUE, $7"));
    }
}
