//! Offers: the command path (load, decide, append with optimistic concurrency) and the
//! credential offer object both APIs show.

pub mod create;
pub mod credential_offer;
mod data_keys;
pub mod erasure;
pub mod personal;
pub mod queries;
pub mod redeem;

use issuance_domain::offer::{Offer, OfferError};

pub use crate::app::repository::CommandMeta;
pub use data_keys::DataKeys;

/// Loads and changes offers.
pub type OfferRepository = crate::app::repository::Repository<Offer>;
/// Why an offer command failed.
pub type CommandError = crate::app::repository::RepositoryError<OfferError>;
/// The result of an offer command.
pub type Executed = crate::app::repository::Executed<Offer>;

impl From<OfferError> for CommandError {
    fn from(rejection: OfferError) -> Self {
        crate::app::repository::RepositoryError::Rejected(rejection)
    }
}
