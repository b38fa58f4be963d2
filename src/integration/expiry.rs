//! The expiry scheduler: offers past their deadline that are not terminal get an
//! `OfferExpired` event within about one interval.
//!
//! It finds candidates in the offer view and asks the aggregate, which decides against
//! the offer's real state: an offer that completed, was revoked, or got a longer deadline
//! (a live access token) meanwhile is rejected with `Terminal`/`NotYetExpired`, and of
//! several instances racing on one offer, optimistic concurrency lets exactly one append
//! `OfferExpired`; the others see `Terminal`. So running it on every node is safe (a lease,
//! issue 5, only saves the duplicate work).

use std::sync::Arc;
use std::time::Duration;

use issuance_domain::offer::{ExpireOffer, OfferCommand, OfferError};
use tokio::sync::watch;

use crate::app::offers::{CommandError, CommandMeta, OfferRepository};
use crate::clock::Clock;
use crate::readstore::OfferViewStore;

/// Offers expired per round at most (the next round continues at once).
const BATCH: usize = 200;

/// Runs the scheduler until `shutdown`, one round every `interval`.
pub async fn run(
    views: Arc<dyn OfferViewStore>,
    offers: OfferRepository,
    clock: Arc<dyn Clock>,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let full = match expire_due(views.as_ref(), &offers, clock.as_ref()).await {
            Ok(expired) => expired == BATCH,
            Err(error) => {
                tracing::warn!(%error, "expiry scheduler round failed");
                false
            }
        };
        if *shutdown.borrow() {
            return;
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { return },
        }
    }
}

/// One round: expires every due offer the view lists. Returns how many it expired.
pub async fn expire_due(
    views: &dyn OfferViewStore,
    offers: &OfferRepository,
    clock: &dyn Clock,
) -> Result<usize, crate::readstore::ReadStoreError> {
    let due = views.offers_due_for_expiry(clock.now(), BATCH).await?;
    let mut expired = 0;
    for offer_id in &due {
        let result = offers
            .execute(*offer_id, &CommandMeta::system(), |_, now| {
                OfferCommand::Expire(ExpireOffer { now })
            })
            .await;
        match result {
            Ok(executed) if !executed.events.is_empty() => {
                expired += 1;
                tracing::info!(%offer_id, "offer expired");
            }
            Ok(_) => {}
            // Someone else expired it, it completed, or its deadline moved: nothing to do.
            Err(CommandError::Rejected(OfferError::Terminal(_) | OfferError::NotYetExpired)) => {}
            Err(error) => tracing::warn!(%offer_id, %error, "cannot expire offer"),
        }
    }
    Ok(expired)
}
