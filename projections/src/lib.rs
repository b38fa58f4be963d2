//! Read models built from the issuance event log.
//!
//! Each projection is a pure function from (current row, event) to the new row; storage
//! adapters in the service persist the rows together with the projector's checkpoint in one
//! transaction, and every projection can be rebuilt from position 0.
//!
//! - [`offer_view`]: the queryable offer view behind `GET /offers`.
//! - [`audit`]: the hash-chained audit view behind `GET /audit`.
//! - [`public_data`]: an event's data with personal data and secret hashes removed, as shown
//!   in histories, AMQP messages and callbacks.

pub mod audit;
pub mod offer_view;
pub mod public_data;

pub use audit::AuditEntry;
pub use offer_view::{IssuedCredentialView, OfferView};
