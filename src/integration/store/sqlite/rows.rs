//! Row-level helpers of the SQLite integration store: outbox inserts, settlements, dead letters.

use super::*;

/// "`expression` is not in the JSON array parameter `placeholder`".
pub(super) fn not_in(expression: &str, placeholder: &str, _type: &str) -> String {
    format!("{expression} NOT IN (SELECT value FROM json_each({placeholder}))")
}

pub(super) fn insert_outbox(
    tx: &rusqlite::Transaction<'_>,
    envelope: &EventEnvelope,
    destination: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ReadStoreError> {
    let json = serde_json::to_string(envelope).map_err(corrupt)?;
    tx.prepare_cached(
        "INSERT INTO callback_outbox \
         (delivery_id, offer_id, envelope, attempts, next_attempt_at, destination, occurred_at) \
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6) ON CONFLICT (delivery_id) DO NOTHING",
    )
    .and_then(|mut s| {
        s.execute(params![
            envelope.event_id.to_string(),
            envelope.offer_id.to_string(),
            json,
            micros(now),
            destination,
            micros(envelope.occurred_at)
        ])
    })
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn settle(
    tx: &rusqlite::Transaction<'_>,
    settlement: &Settlement,
) -> Result<(), ReadStoreError> {
    match settlement {
        Settlement::Finished(id) => tx.execute(&sql::delete_outbox(&SQLITE), [id]),
        Settlement::Retry {
            id,
            attempts,
            next_attempt_at,
            error,
        } => tx.execute(
            &sql::retry(&SQLITE),
            params![id, attempts, micros(*next_attempt_at), error],
        ),
        Settlement::Dead(id, dead) => {
            tx.execute(&sql::delete_outbox(&SQLITE), [id])
                .map_err(db_error)?;
            return upsert_dead(tx, dead);
        }
        Settlement::Destination(id, destination) => {
            tx.execute(&sql::set_destination(&SQLITE), params![id, destination])
        }
    }
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn upsert_dead(
    tx: &rusqlite::Transaction<'_>,
    dead: &DeadLetter,
) -> Result<(), ReadStoreError> {
    let json = serde_json::to_string(&dead.event).map_err(corrupt)?;
    tx.prepare_cached(&sql::upsert_dead(&SQLITE))
        .and_then(|mut s| {
            s.execute(params![
                dead.id.to_string(),
                dead.offer_id.to_string(),
                dead.status,
                dead.attempts,
                dead.reason,
                micros(dead.dead_at),
                json
            ])
        })
        .map_err(db_error)?;
    Ok(())
}

pub(super) fn collect_dead(
    statement: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<DeadLetter>, ReadStoreError> {
    // Ids and the envelope are text in SQLite.
    let rows = statement
        .query_map(params, |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get::<_, String>(7)?,
            ))
        })
        .map_err(db_error)?;
    let mut dead = Vec::new();
    for row in rows {
        let (id, offer_id, status, attempts, reason, dead_at, requeue_requested, envelope) =
            row.map_err(db_error)?;
        dead.push(
            DeadRow {
                id: Uuid::parse_str(&id).map_err(corrupt)?,
                offer_id: Uuid::parse_str(&offer_id).map_err(corrupt)?,
                status,
                attempts,
                reason,
                dead_at,
                requeue_requested,
                envelope: serde_json::from_str(&envelope).map_err(corrupt)?,
            }
            .into_dead_letter()?,
        );
    }
    Ok(dead)
}
