//! The careful way to commit a batch: step by step, so that each append gets its own
//! outcome. Taken when the one-flight attempt ([`super::pipelined`]) found an append that
//! would not pass (a version conflict, a reused nonce) or a statement that failed.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{Object, Transaction};
use futures_util::future::try_join_all;

use super::columns::{
    nonce_columns, outcomes, positions, stream_versions, EventColumns, KeyColumns,
};
use super::{unavailable, Fate, Request, Statements};
use crate::store::{AppendOutcome, ExpectedVersion, StoreError};

/// The versions of streams whose append lost the race (for the conflict error).
const VERSIONS: &str = "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1)";

/// Forgets nonces claimed by appends that fail on another of their nonces.
const UNCLAIM_NONCES: &str = "DELETE FROM used_nonces \
     WHERE (expires_at, nonce_hash) IN (SELECT * FROM unnest($1::timestamptz[], $2::bytea[]))";

/// Puts back a stream an append that failed on a nonce had advanced.
const REVERT: &str = "UPDATE streams SET version = $2 WHERE stream_id = $1";

/// Removes a stream an append that failed on a nonce had created.
const UNCLAIM: &str = "DELETE FROM streams WHERE stream_id = $1";

/// Commits `batch` in one transaction. `Ok` holds each append's own outcome (a conflict
/// for those that lost their race). `Err` means the batch failed: rolled back, or — if the
/// connection broke during `COMMIT` — with an unknown outcome, as for any database client;
/// a retry then finds the stream versions moved and reports conflicts, never duplicates.
pub(super) async fn commit(
    client: &mut Object,
    statements: &Statements,
    batch: &[Request],
) -> Result<Vec<Result<AppendOutcome, StoreError>>, StoreError> {
    let tx = client.transaction().await?;

    // Claim or advance every stream, in stream order (deadlock-free), pipelined.
    let versions = stream_versions(batch)?;
    let checks = versions.iter().map(|(i, expected, new)| {
        let request = &batch[*i];
        let tx = &tx;
        async move {
            match request.expected {
                ExpectedVersion::NoStream => {
                    tx.execute(&statements.claim, &[&request.stream_id, new])
                        .await
                }
                ExpectedVersion::Exact(_) => {
                    tx.execute(&statements.advance, &[&request.stream_id, expected, new])
                        .await
                }
            }
        }
    });
    let affected = try_join_all(checks).await?;
    let mut fates = vec![Fate::Conflict; batch.len()];
    for ((i, _, _), rows) in versions.iter().zip(affected) {
        if rows == 1 {
            fates[*i] = Fate::Passed;
        }
    }
    if batch.iter().any(|r| !r.nonces.is_empty()) {
        claim_nonces(&tx, statements, batch, &mut fates).await?;
    }
    let passed: Vec<bool> = fates.iter().map(|f| *f == Fate::Passed).collect();

    // The data keys stored and destroyed by appends that passed. A key that exists
    // already fails the batch, which is then retried one append at a time.
    let keys = KeyColumns::of(batch, &passed);
    if !keys.inserted.is_empty() {
        tx.execute(&statements.insert_keys, &[&keys.inserted, &keys.keys])
            .await?;
    }
    if !keys.destroyed.is_empty() {
        tx.execute(&statements.zero_keys, &[&keys.destroyed])
            .await?;
        tx.execute(&statements.delete_keys, &[&keys.destroyed])
            .await?;
    }

    // One insert for the events of every append that passed.
    let events = EventColumns::of(batch, &passed)?;
    let mut appended = HashMap::new();
    if !events.ids.is_empty() {
        let rows = tx.query(&statements.insert, &events.params()).await?;
        appended = positions(rows)?;
    }

    // The current versions of the losers, for their conflict errors.
    let losers: Vec<&str> = batch
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| **fate == Fate::Conflict)
        .map(|(r, _)| r.stream_id.as_str())
        .collect();
    let mut actual: HashMap<String, i64> = HashMap::new();
    if !losers.is_empty() {
        for row in tx.query(VERSIONS, &[&losers]).await? {
            actual.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    tx.commit().await?;
    Ok(outcomes(batch, &fates, &appended, &actual))
}

/// Records the nonces of the appends that passed their version check, in one statement.
/// An append with a nonce used before (or claimed by an earlier append of the batch)
/// becomes [`Fate::NonceReused`]: the nonces it did claim are forgotten and its stream is
/// put back, so it writes nothing, as if it had never been in the batch.
async fn claim_nonces(
    tx: &Transaction<'_>,
    statements: &Statements,
    batch: &[Request],
    fates: &mut [Fate],
) -> Result<(), StoreError> {
    let (expiries, hashes) = nonce_columns(batch, fates);
    if hashes.is_empty() {
        return Ok(());
    }
    let mut fresh: HashSet<Vec<u8>> = HashSet::with_capacity(hashes.len());
    for row in tx
        .query(&statements.claim_nonces, &[&hashes, &expiries])
        .await?
    {
        fresh.insert(row.try_get(0)?);
    }
    // Each fresh nonce belongs to the first append of the batch that presented it.
    let mut owner: HashMap<&[u8], usize> = HashMap::new();
    let mut failed = Vec::new();
    for (i, request) in batch.iter().enumerate() {
        if fates[i] != Fate::Passed {
            continue;
        }
        let mut ok = true;
        for nonce in &request.nonces {
            let hash: &[u8] = &nonce.hash;
            if !fresh.contains(hash) || *owner.entry(hash).or_insert(i) != i {
                ok = false;
            }
        }
        if !ok {
            fates[i] = Fate::NonceReused;
            failed.push(i);
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    // The nonces the failed appends did claim (each is owned by one append).
    let (mut claimed_expiries, mut claimed) = (Vec::new(), Vec::new());
    for &i in &failed {
        for nonce in &batch[i].nonces {
            let hash: &[u8] = &nonce.hash;
            if fresh.contains(hash) && owner.get(hash) == Some(&i) {
                claimed_expiries.push(nonce.expires_at);
                claimed.push(hash);
            }
        }
    }
    if !claimed.is_empty() {
        tx.execute(UNCLAIM_NONCES, &[&claimed_expiries, &claimed])
            .await?;
    }
    for i in failed {
        let request = &batch[i];
        match request.expected {
            ExpectedVersion::NoStream => tx.execute(UNCLAIM, &[&request.stream_id]).await?,
            ExpectedVersion::Exact(version) => {
                let version = i64::try_from(version)
                    .map_err(|_| unavailable("expected version out of range"))?;
                tx.execute(REVERT, &[&request.stream_id, &version]).await?
            }
        };
    }
    Ok(())
}
