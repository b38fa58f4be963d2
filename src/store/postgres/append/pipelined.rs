//! The fast way to commit a batch: every statement in one flight.
//!
//! A conflict needs two commands for one offer at the same moment, a reused nonce a
//! replayed proof: both are rare. So a batch is first sent as if every append will pass —
//! `BEGIN`, each stream's claim or advance (in stream order, as on the careful way), the
//! batch's nonces, data keys and events — pipelined on one connection, and then `COMMIT`:
//! two round trips to the database whatever the batch holds, where the careful way
//! ([`super::careful`]) needs one per step. If any append would not pass, or any statement
//! fails, the transaction is rolled back and the caller takes the careful way, which
//! sorts out each append's own outcome.

use deadpool_postgres::Object;
use futures_util::future::try_join_all;
use issuance_eventlog::LogPosition;
use std::collections::{HashMap, HashSet};

use tokio_postgres::types::ToSql;
use tokio_postgres::Statement;

use super::columns::{
    nonce_columns, outcomes, positions, stream_versions, EventColumns, KeyColumns,
};
use super::{Fate, Request, Statements};
use crate::store::{AppendOutcome, ExpectedVersion, StoreError};

/// How the one-flight attempt ended.
pub(super) enum Attempt {
    /// Committed: every append passed.
    Committed(Vec<Result<AppendOutcome, StoreError>>),
    /// Rolled back (an append would not pass, or a statement failed): the connection is
    /// outside any transaction and the batch is to be committed the careful way.
    RolledBack,
}

/// Sends the whole batch in one flight and commits it if every append passed. An `Err`
/// leaves the connection in an unknown state (it is not to be reused).
pub(super) async fn commit(
    client: &Object,
    statements: &Statements,
    batch: &[Request],
) -> Result<Attempt, StoreError> {
    // A nonce presented twice in one batch fails the later append: the careful way's job.
    let nonce_count: usize = batch.iter().map(|r| r.nonces.len()).sum();
    if nonce_count > 1 {
        let mut seen = HashSet::with_capacity(nonce_count);
        if !batch
            .iter()
            .flat_map(|r| &r.nonces)
            .all(|n| seen.insert(n.hash))
        {
            return Ok(Attempt::RolledBack);
        }
    }
    let all = vec![true; batch.len()];
    let fates = vec![Fate::Passed; batch.len()];
    let versions = stream_versions(batch)?;
    let (expiries, hashes) = nonce_columns(batch, &fates);
    let keys = KeyColumns::of(batch, &all);
    let events = EventColumns::of(batch, &all)?;

    // Each future sends its statement when first polled; `join!` polls them in order.
    let begin = client.batch_execute("BEGIN");
    let checks = try_join_all(versions.iter().map(|(i, expected, new)| {
        let request = &batch[*i];
        async move {
            match request.expected {
                ExpectedVersion::NoStream => {
                    client
                        .execute(&statements.claim, &[&request.stream_id, new])
                        .await
                }
                ExpectedVersion::Exact(_) => {
                    client
                        .execute(&statements.advance, &[&request.stream_id, expected, new])
                        .await
                }
            }
        }
    }));
    let nonce_params: [&(dyn ToSql + Sync); 2] = [&hashes, &expiries];
    let nonces = execute_unless(
        hashes.is_empty(),
        client,
        &statements.claim_nonces,
        &nonce_params,
    );
    let key_params: [&(dyn ToSql + Sync); 2] = [&keys.inserted, &keys.keys];
    let insert_keys = execute_unless(
        keys.inserted.is_empty(),
        client,
        &statements.insert_keys,
        &key_params,
    );
    let destroyed: [&(dyn ToSql + Sync); 1] = [&keys.destroyed];
    let no_destroy = keys.destroyed.is_empty();
    let zero_keys = execute_unless(no_destroy, client, &statements.zero_keys, &destroyed);
    let delete_keys = execute_unless(no_destroy, client, &statements.delete_keys, &destroyed);
    let event_params = events.params();
    let insert = client.query(&statements.insert, &event_params);
    let (begun, checked, claimed, inserted_keys, zeroed, deleted, rows) = futures_util::join!(
        begin,
        checks,
        nonces,
        insert_keys,
        zero_keys,
        delete_keys,
        insert
    );

    // `BEGIN` fails only on a broken connection (inside a transaction it merely warns):
    // the batch fails, the connection is closed, and the worker retries the appends.
    begun?;
    let passed = checked.is_ok_and(|rows| rows.iter().all(|&n| n == 1))
        && claimed.is_ok_and(|n| n == hashes.len() as u64)
        && inserted_keys.is_ok()
        && zeroed.is_ok()
        && deleted.is_ok();
    let positions: Option<HashMap<_, LogPosition>> = match rows {
        Ok(rows) if passed => Some(positions(rows)?),
        _ => None,
    };
    match positions {
        Some(positions) => {
            client.batch_execute("COMMIT").await?;
            Ok(Attempt::Committed(outcomes(
                batch,
                &fates,
                &positions,
                &HashMap::new(),
            )))
        }
        None => {
            client.batch_execute("ROLLBACK").await?;
            Ok(Attempt::RolledBack)
        }
    }
}

/// Executes `statement` as part of the flight, unless `skip` (then it affected no row).
async fn execute_unless(
    skip: bool,
    client: &Object,
    statement: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    match skip {
        true => Ok(0),
        false => client.execute(statement, params).await,
    }
}
