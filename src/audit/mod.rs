//! The audit view's service side, shared by the management API and the CLI: verifying the
//! stored chain ([`verify`]) and signing its head ([`head`]). The entries themselves are
//! built by the pure [`issuance_projections::audit`] and kept current by
//! [`crate::projector::AuditProjection`].

pub mod from_log;
pub mod head;
pub mod trail;
pub mod verify;

pub use trail::AuditTrail;
