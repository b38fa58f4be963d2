//! The Offer aggregate: one credential offer from creation to a terminal state.
//!
//! Lifecycle (statuses as the management API reports them):
//!
//! ```text
//! CREATED ──redeem──▶ REDEEMED ──issue some──▶ ISSUING ──issue rest──▶ COMPLETED
//!    │                    │                       │
//!    └──────── expire / revoke / fail (tx code attempts exhausted, issuance failure) ──▶ EXPIRED | REVOKED | FAILED
//! ```
//!
//! A multi-use offer stays `CREATED` while wallets redeem it, until it expires or is revoked.
//!
//! - [`command`]: what callers ask for (`CreateOffer`, `RedeemOffer`, `IssueCredentials`, …).
//! - [`event`]: what happened (`OfferCreated`, `OfferRedeemed`, `CredentialIssued`, …);
//!   [`codec`]: their stored form, versions and upcasting.
//! - [`decide`](crate::offer::decide): `decide(state, command) -> Result<Vec<OfferEvent>, OfferError>`.
//! - [`state`]: the fold of events (`Offer::apply`).

mod aggregate;
pub mod codec;
pub mod command;
pub mod credential_status;
pub mod decide;
pub mod error;
pub mod event;
pub mod state;
pub mod status;

#[cfg(test)]
mod tests;

pub use codec::{causes_callback, current_version, EVENT_TYPES};
pub use command::*;
pub use decide::{decide, ensure_authorizable, ensure_issuable};
pub use error::OfferError;
pub use event::*;
pub use state::{Offer, OfferStatus, Redemption};

/// The stream id of an offer: `offer-<uuid>`.
pub fn stream_id(offer_id: uuid::Uuid) -> String {
    format!("{STREAM_PREFIX}{offer_id}")
}

/// Prefix of every offer stream.
pub const STREAM_PREFIX: &str = "offer-";

/// The offer id of an offer stream id.
pub fn offer_id_of_stream(stream_id: &str) -> Option<uuid::Uuid> {
    stream_id
        .strip_prefix(STREAM_PREFIX)
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
}
