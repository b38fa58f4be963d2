//! Row-level helpers of the PostgreSQL integration store: outbox inserts, settlements, dead letters.

use super::*;

pub(super) async fn insert_outbox(
    client: &impl GenericClient,
    callbacks: &[NewCallback],
    now: DateTime<Utc>,
) -> Result<(), IntegrationStoreError> {
    if callbacks.is_empty() {
        return Ok(());
    }
    let delivery_ids: Vec<Uuid> = callbacks.iter().map(|c| c.envelope.event_id).collect();
    let offer_ids: Vec<Uuid> = callbacks.iter().map(|c| c.envelope.offer_id).collect();
    let documents = callbacks
        .iter()
        .map(|c| serde_json::to_value(&c.envelope))
        .collect::<Result<Vec<Value>, _>>()
        .map_err(corrupt)?;
    let destinations: Vec<Option<&str>> =
        callbacks.iter().map(|c| c.destination.as_deref()).collect();
    let occurred: Vec<i64> = callbacks
        .iter()
        .map(|c| c.envelope.occurred_at.timestamp_micros())
        .collect();
    let statement = client.prepare_cached(INSERT_OUTBOX).await?;
    client
        .execute(
            &statement,
            &[
                &delivery_ids,
                &offer_ids,
                &documents,
                &now.timestamp_micros(),
                &destinations,
                &occurred,
            ],
        )
        .await?;
    Ok(())
}

/// "`expression` is not in the array parameter `placeholder` of `element` type".
pub(super) fn not_in(expression: &str, placeholder: &str, element: &str) -> String {
    format!("NOT ({expression} = ANY({placeholder}::{element}[]))")
}

pub(super) async fn settle(
    tx: &deadpool_postgres::Transaction<'_>,
    settlement: &Settlement,
) -> Result<(), IntegrationStoreError> {
    match settlement {
        Settlement::Finished(id) => {
            let statement = tx.prepare_cached(&sql::delete_outbox(&POSTGRES)).await?;
            tx.execute(&statement, &[id]).await?;
        }
        Settlement::Retry {
            id,
            attempts,
            next_attempt_at,
            error,
        } => {
            let statement = tx.prepare_cached(&sql::retry(&POSTGRES)).await?;
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] = [
                id,
                &i64::from(*attempts),
                &next_attempt_at.timestamp_micros(),
                error,
            ];
            tx.execute(&statement, &params).await?;
        }
        Settlement::Dead(id, dead) => {
            let statement = tx.prepare_cached(&sql::delete_outbox(&POSTGRES)).await?;
            tx.execute(&statement, &[id]).await?;
            upsert_dead(tx, dead).await?;
        }
        Settlement::Destination(id, destination) => {
            let statement = tx.prepare_cached(&sql::set_destination(&POSTGRES)).await?;
            tx.execute(&statement, &[id, destination]).await?;
        }
    }
    Ok(())
}

pub(super) async fn upsert_dead(
    client: &impl GenericClient,
    dead: &DeadLetter,
) -> Result<(), IntegrationStoreError> {
    let envelope = serde_json::to_value(&dead.event).map_err(corrupt)?;
    let statement = client.prepare_cached(&sql::upsert_dead(&POSTGRES)).await?;
    client
        .execute(
            &statement,
            &[
                &dead.id,
                &dead.offer_id,
                &dead.status,
                &i64::from(dead.attempts),
                &dead.reason,
                &dead.dead_at.timestamp_micros(),
                &envelope,
            ],
        )
        .await?;
    Ok(())
}

pub(super) fn decode_dead(row: &Row) -> Result<DeadLetter, IntegrationStoreError> {
    Ok(DeadRow {
        id: row.try_get(0)?,
        offer_id: row.try_get(1)?,
        status: row.try_get(2)?,
        attempts: row.try_get(3)?,
        reason: row.try_get(4)?,
        dead_at: row.try_get(5)?,
        requeue_requested: row.try_get(6)?,
        envelope: serde_json::from_value(row.try_get(7)?).map_err(corrupt)?,
    }
    .into_dead_letter()?)
}
