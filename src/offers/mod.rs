//! Offers: the command path (load, decide, append with optimistic concurrency) and the
//! credential offer object both APIs show.

pub mod credential_offer;
pub mod erasure;
mod repository;

pub use repository::{CommandError, CommandMeta, Executed, OfferRepository};
