//! SQL shared by the SQLite and PostgreSQL read stores: the offer list's filters and keyset
//! cursor, the scheduler queries and the row encoding. Both stores keep the same columns
//! (times as microseconds since the epoch, configuration ids as `|a|b|`), so only the
//! placeholder syntax and one string function differ: a [`Dialect`].

use issuance_projections::OfferView;
use uuid::Uuid;

use super::{OfferCursor, OfferPage, OfferQuery};

/// What differs between the two SQL dialects.
pub struct Dialect {
    /// The n-th (1-based) parameter: `?1` or `$1`.
    pub placeholder: fn(usize) -> String,
    /// Whether `column` contains the text of parameter `placeholder`.
    pub contains: fn(&str, &str) -> String,
    /// The literal of a true boolean column value (SQLite stores booleans as integers, and
    /// its partial indexes match `= 1`, not `= TRUE`).
    pub true_literal: &'static str,
    /// The literal of a false boolean column value (as [`Dialect::true_literal`]: with
    /// `FALSE` SQLite would not use the partial index and scan the whole view).
    pub false_literal: &'static str,
}

/// SQLite.
pub const SQLITE: Dialect = Dialect {
    placeholder: |n| format!("?{n}"),
    contains: |column, placeholder| format!("instr({column}, {placeholder}) > 0"),
    true_literal: "1",
    false_literal: "0",
};

/// PostgreSQL.
pub const POSTGRES: Dialect = Dialect {
    placeholder: |n| format!("${n}"),
    contains: |column, placeholder| format!("strpos({column}, {placeholder}) > 0"),
    true_literal: "TRUE",
    false_literal: "FALSE",
};

/// A parameter value of a generated query.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// Text.
    Text(String),
    /// An integer (times are microseconds).
    Int(i64),
    /// An offer id (text in SQLite, `uuid` in PostgreSQL).
    Uuid(Uuid),
}

/// Statuses of offers that can still expire.
const LIVE: &str = "status IN ('CREATED', 'REDEEMED', 'ISSUING')";

/// The `configuration_ids` column value: every id framed by `|`, so a containment test for
/// `|id|` matches whole ids only.
pub fn configuration_ids(view: &OfferView) -> String {
    format!("|{}|", view.credential_configuration_ids.join("|"))
}

/// The `GET /offers` page query: newest first, `limit + 1` rows so the caller can tell
/// whether another page follows (see [`page`]). Selects the `view` column only.
pub fn list_offers(
    dialect: &Dialect,
    view_column: &str,
    query: &OfferQuery,
) -> (String, Vec<SqlValue>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    let next = |value: SqlValue, values: &mut Vec<SqlValue>| {
        values.push(value);
        (dialect.placeholder)(values.len())
    };
    if let Some(issuers) = &query.issuers {
        clauses.push(one_of(dialect, "issuer_id", issuers, &mut values));
    }
    if let Some(status) = query.status {
        let p = next(SqlValue::Text(status.as_str().to_string()), &mut values);
        clauses.push(format!("status = {p}"));
    }
    if let Some(id) = &query.credential_configuration_id {
        let p = next(SqlValue::Text(format!("|{id}|")), &mut values);
        clauses.push((dialect.contains)("configuration_ids", &p));
    }
    if let Some(pseudonym) = &query.subject_pseudonym {
        let p = next(SqlValue::Text(pseudonym.to_b64()), &mut values);
        clauses.push(format!("subject_pseudonym = {p}"));
    }
    if let Some(after) = query.created_after {
        let p = next(SqlValue::Int(after.timestamp_micros()), &mut values);
        clauses.push(format!("created_at >= {p}"));
    }
    if let Some(before) = query.created_before {
        let p = next(SqlValue::Int(before.timestamp_micros()), &mut values);
        clauses.push(format!("created_at < {p}"));
    }
    if let Some(cursor) = query.cursor {
        let created = next(SqlValue::Int(cursor.created_at_micros), &mut values);
        let id = next(SqlValue::Uuid(cursor.offer_id), &mut values);
        clauses.push(format!("(created_at, offer_id) < ({created}, {id})"));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let limit = next(
        SqlValue::Int(i64::try_from(query.limit).unwrap_or(i64::MAX - 1) + 1),
        &mut values,
    );
    (
        format!(
            "SELECT {view_column} FROM offer_views {filter} \
             ORDER BY created_at DESC, offer_id DESC LIMIT {limit}"
        ),
        values,
    )
}

/// The offers of `issuers` (`None`: every issuer) per status: rows `(status, count)`.
pub fn count_by_status(dialect: &Dialect, issuers: Option<&[String]>) -> (String, Vec<SqlValue>) {
    let mut values = Vec::new();
    let filter = match issuers {
        Some(issuers) => format!(
            "WHERE {}",
            one_of(dialect, "issuer_id", issuers, &mut values)
        ),
        None => String::new(),
    };
    (
        format!("SELECT status, COUNT(*) FROM offer_views {filter} GROUP BY status"),
        values,
    )
}

/// `column IN (…)` of `texts`, their parameters appended to `values`; a clause that holds
/// for no row when `texts` is empty.
pub fn one_of(
    dialect: &Dialect,
    column: &str,
    texts: &[String],
    values: &mut Vec<SqlValue>,
) -> String {
    if texts.is_empty() {
        return "1 = 0".to_string();
    }
    let placeholders: Vec<String> = texts
        .iter()
        .map(|text| {
            values.push(SqlValue::Text(text.clone()));
            (dialect.placeholder)(values.len())
        })
        .collect();
    format!("{column} IN ({})", placeholders.join(", "))
}

/// Turns the `limit + 1` rows of [`list_offers`] into a page and its cursor.
pub fn page(mut items: Vec<OfferView>, limit: usize) -> OfferPage {
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(OfferCursor::after)
    } else {
        None
    };
    OfferPage { items, next_cursor }
}

/// Live offers due for expiry: parameters `now` (micros) and `limit`.
pub fn due_for_expiry(dialect: &Dialect) -> String {
    format!(
        "SELECT offer_id FROM offer_views WHERE {LIVE} AND deadline <= {} ORDER BY deadline LIMIT {}",
        (dialect.placeholder)(1),
        (dialect.placeholder)(2)
    )
}

/// Terminal offers whose claims are due for erasure: parameters `cutoff` (micros), `limit`.
pub fn due_for_erasure(dialect: &Dialect) -> String {
    format!(
        "SELECT offer_id FROM offer_views WHERE claims_erased = {} AND terminal_at IS NOT NULL \
         AND terminal_at <= {} ORDER BY terminal_at LIMIT {}",
        dialect.false_literal,
        (dialect.placeholder)(1),
        (dialect.placeholder)(2)
    )
}

/// Stores a projection's checkpoint: parameters projection, commit, prepare. A checkpoint
/// never moves backwards (only a reset deletes it): should two projectors ever overlap — a
/// lease holder that has not yet noticed it lost the lease — the slower one cannot rewind
/// the faster.
pub fn upsert_checkpoint(dialect: &Dialect) -> String {
    let p = dialect.placeholder;
    format!(
        "INSERT INTO checkpoints (projection, commit_position, prepare_position) VALUES ({}, {}, {}) \
         ON CONFLICT (projection) DO UPDATE SET commit_position = excluded.commit_position, \
         prepare_position = excluded.prepare_position \
         WHERE (checkpoints.commit_position, checkpoints.prepare_position) \
             < (excluded.commit_position, excluded.prepare_position)",
        p(1),
        p(2),
        p(3)
    )
}

/// Reads a projection's checkpoint: parameter projection.
pub fn select_checkpoint(dialect: &Dialect) -> String {
    format!(
        "SELECT commit_position, prepare_position FROM checkpoints WHERE projection = {}",
        (dialect.placeholder)(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuance_domain::offer::OfferStatus;

    #[test]
    fn filters_number_their_parameters_in_order() {
        let cursor = OfferCursor {
            created_at_micros: 7,
            offer_id: Uuid::nil(),
        };
        let (sql, values) = list_offers(
            &POSTGRES,
            "view",
            &OfferQuery {
                status: Some(OfferStatus::Created),
                credential_configuration_id: Some("Id".into()),
                limit: 10,
                cursor: Some(cursor),
                ..Default::default()
            },
        );
        assert_eq!(
            sql,
            "SELECT view FROM offer_views WHERE status = $1 AND strpos(configuration_ids, $2) > 0 \
             AND (created_at, offer_id) < ($3, $4) ORDER BY created_at DESC, offer_id DESC LIMIT $5"
        );
        assert_eq!(
            values,
            vec![
                SqlValue::Text("CREATED".into()),
                SqlValue::Text("|Id|".into()),
                SqlValue::Int(7),
                SqlValue::Uuid(Uuid::nil()),
                SqlValue::Int(11),
            ]
        );
    }

    #[test]
    fn the_issuer_filter_lists_each_issuer_and_an_empty_one_matches_nothing() {
        let query = |issuers: Vec<&str>| OfferQuery {
            issuers: Some(issuers.into_iter().map(String::from).collect()),
            status: Some(OfferStatus::Created),
            limit: 10,
            ..Default::default()
        };
        let (sql, values) = list_offers(&POSTGRES, "view", &query(vec!["acme", "default"]));
        assert!(
            sql.contains("WHERE issuer_id IN ($1, $2) AND status = $3 ORDER BY"),
            "{sql}"
        );
        assert_eq!(
            values[..2],
            [
                SqlValue::Text("acme".into()),
                SqlValue::Text("default".into())
            ]
        );
        let (sql, values) = list_offers(&SQLITE, "view", &query(vec![]));
        assert!(
            sql.contains("WHERE 1 = 0 AND status = ?1 ORDER BY"),
            "{sql}"
        );
        assert_eq!(values.len(), 2);
    }

    #[test]
    fn sqlite_placeholders_are_numbered_too() {
        let (sql, _) = list_offers(
            &SQLITE,
            "view",
            &OfferQuery {
                limit: 1,
                ..Default::default()
            },
        );
        assert!(sql.ends_with("LIMIT ?1"), "{sql}");
    }
}
