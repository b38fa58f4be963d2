//! The retention policy: erase an offer's claims a configured number of hours after the
//! offer reached a terminal state (`retention.erase_claims_after_hours`; 0 = as soon as it
//! completes, expires, fails or is revoked; unset = never automatically).
//!
//! Due offers come from the offer view (`offers_due_for_erasure`), which lags the log a
//! little; erasure is idempotent ([`erase_claims`]), so an offer listed again after its
//! erasure costs one no-op. Several nodes running the task at once are equally harmless.

use std::time::Duration;

use actix_web::web;
use chrono::TimeDelta;
use futures_util::{stream, StreamExt};
use tokio::sync::watch;
use uuid::Uuid;

use crate::app::offers::erasure::{erase_claims, Erasure, REASON_RETENTION_POLICY};
use crate::app::offers::CommandMeta;
use crate::node::state::NodeState;

/// Offers erased per query.
const BATCH: usize = 100;

/// Erasures in flight at once. Each waits for two durable commits (the key's destruction,
/// then `ClaimsErased`); side by side, the group commit carries many of them per fsync.
/// One at a time, erasure managed about 120 offers/s under load: fewer than the offers
/// completing, so with erasure "at once" the backlog of personal data grew for as long as
/// the load lasted.
const CONCURRENCY: usize = 32;

/// Longest pause between passes (offers whose grace period ends while nothing else
/// happens are found by this timer; new terminal offers wake the task at once).
const INTERVAL: Duration = Duration::from_secs(60);

/// Pause after a wake-up, so that a burst of projected batches costs one pass.
const COALESCE: Duration = Duration::from_millis(200);

/// Counts of one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassOutcome {
    /// Offers whose claims this pass erased.
    pub erased: usize,
    /// Offers found already erased (the view had not caught up).
    pub already_erased: usize,
    /// Offers that failed (logged; retried on the next pass).
    pub failed: usize,
}

/// Runs passes until `shutdown`: after every offer view change and at least every
/// [`INTERVAL`].
pub async fn run(
    state: web::Data<NodeState>,
    after_hours: u64,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut progress = state.offer_view_progress.subscribe();
    loop {
        if let Err(error) = erase_due(&state, after_hours).await {
            tracing::error!(%error, "retention pass failed; retrying");
        }
        tokio::select! {
            changed = progress.changed() => {
                if changed.is_err() {
                    // The offer view projector only stops at shutdown.
                    return;
                }
                // Lets a burst of projected batches coalesce into one pass.
                tokio::time::sleep(COALESCE).await;
            }
            _ = tokio::time::sleep(INTERVAL) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Erases the claims of every offer terminal for at least `after_hours`, as the `system`
/// actor under one request id per pass (so a pass's erasures can be found together).
pub async fn erase_due(
    state: &NodeState,
    after_hours: u64,
) -> Result<PassOutcome, crate::readstore::ReadStoreError> {
    let grace = i64::try_from(after_hours)
        .ok()
        .and_then(TimeDelta::try_hours)
        .unwrap_or(TimeDelta::MAX);
    let meta = CommandMeta {
        request_id: Some(format!("retention-{}", Uuid::new_v4())),
        ..CommandMeta::system()
    };
    let mut outcome = PassOutcome::default();
    loop {
        let cutoff = state
            .clock
            .now()
            .checked_sub_signed(grace)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let due = state.views.offers_due_for_erasure(cutoff, BATCH).await?;
        let before = outcome;
        let results: Vec<_> = stream::iter(due.iter().copied())
            .map(|offer_id| {
                let meta = &meta;
                async move {
                    let erased = erase_claims(
                        &state.offers,
                        &state.data_keys,
                        offer_id,
                        REASON_RETENTION_POLICY,
                        meta,
                    )
                    .await;
                    (offer_id, erased)
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (offer_id, erased) in results {
            match erased {
                Ok(Erasure::Erased(_)) => outcome.erased += 1,
                Ok(Erasure::AlreadyErased) => outcome.already_erased += 1,
                Err(error) => {
                    outcome.failed += 1;
                    tracing::error!(%offer_id, %error, "cannot erase an offer's claims");
                }
            }
        }
        // Another batch only if this one was full and erased something: otherwise the
        // rest is the view lagging behind (or failures), which the next pass sees again.
        if due.len() < BATCH || outcome.erased == before.erased {
            break;
        }
        // The next query must not list this batch again: let the view catch up with its
        // erasures first (best effort; one listed again is a no-op).
        let _ = state.await_offer_view_head().await;
    }
    if outcome.erased > 0 {
        tracing::info!(erased = outcome.erased, "retention policy erased claims");
    }
    Ok(outcome)
}
