//! Erasing an offer's claims by crypto-shredding: destroy the offer's data key and record
//! `ClaimsErased`.
//!
//! Where the store keeps the keys in its own transactions (SQLite, PostgreSQL), both happen
//! in one transaction: the log states an erasure exactly when the key is gone.
//!
//! Elsewhere (EventStoreDB, whose keys live in the read store) the key is destroyed first, then the event appended. The order is
//! deliberate. The claims exist only sealed under the data key, so destroying the key *is*
//! the erasure; the event records it. Destroying first means the log never states an
//! erasure that did not happen: a crash between the two steps leaves the key gone and no
//! event yet, which a retry (the admin's, or the retention task's next pass, since the
//! offer still looks unerased) completes — destroying an absent key is a no-op. The
//! opposite order could leave `ClaimsErased` in the log with the key still on disk, and
//! nothing would ever look at that offer again. Meanwhile an offer without its key cannot
//! issue: the wallet API treats a missing data key as erased.

use issuance_domain::offer::{EraseClaims, OfferCommand, OfferError};
use issuance_eventlog::LogPosition;
use uuid::Uuid;

use super::DataKeys;
use super::{CommandError, CommandMeta, Executed, OfferRepository};
use crate::store::KeyChange;

/// `ClaimsErased` reason for an admin's request.
pub const REASON_ADMIN_REQUEST: &str = "admin_request";
/// `ClaimsErased` reason for the retention policy.
pub const REASON_RETENTION_POLICY: &str = "retention_policy";

/// What an erasure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// The key is destroyed and `ClaimsErased` was appended at this position.
    Erased(LogPosition),
    /// The claims had already been erased (the key is destroyed regardless).
    AlreadyErased,
}

/// Erases the offer's claims. Idempotent: repeating it destroys nothing more and reports
/// [`Erasure::AlreadyErased`]. Fails with `NotFound` for an unknown offer.
pub async fn erase_claims(
    offers: &OfferRepository,
    data_keys: &DataKeys,
    offer_id: Uuid,
    reason: &str,
    meta: &CommandMeta,
) -> Result<Erasure, CommandError> {
    // Only for offers that exist, so an unknown id answers 404 and destroys nothing.
    offers.load(offer_id).await?.definition()?;
    let command = |_: &_, _| {
        OfferCommand::EraseClaims(EraseClaims {
            reason: reason.to_string(),
        })
    };
    let executed = offers
        .execute_changing_key(offer_id, meta, KeyChange::Destroy, command)
        .await;
    let already_erased = match executed {
        Ok(Executed {
            position: Some(position),
            ..
        }) => return Ok(Erasure::Erased(position)),
        Ok(_) | Err(CommandError::Rejected(OfferError::ClaimsAlreadyErased)) => {
            Erasure::AlreadyErased
        }
        Err(error) => return Err(error),
    };
    // The log says erased; make sure of the key too (a no-op unless a store written by an
    // older version kept it, or a crash came between the two steps of a log beside a
    // separate secret store).
    data_keys.destroy(offer_id).await?;
    Ok(already_erased)
}
