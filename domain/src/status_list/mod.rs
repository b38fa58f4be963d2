//! Credential status with IETF Token Status Lists (draft-ietf-oauth-status-list): the pure
//! rules, independent of where the facts are stored.
//!
//! - [`status`]: Status Type values, bits per entry, and one credential's lifecycle
//!   (`VALID ⇄ SUSPENDED`, either `→ REVOKED`, which is final; no suspension on 1-bit lists).
//! - [`list`]: a list as the fold of its [`StatusFact`]s (allocated, revoked, suspended,
//!   reinstated), with `allocate`/`change` deciding and `apply` recording.
//! - [`history`]: the list as it was at an instant, for historical resolution.
//! - [`blocks`]: the per-node index blocks a list's positions are handed out in.
//! - [`stream`]: the status list aggregate (`status-list-<uuid>`): its opening and block
//!   reservations.
//!
//! Which index a position maps to (a keyed permutation) and the encoding of a list are in
//! the credential crate; see docs/adr/0008-credential-status.md for how this is wired.

pub mod blocks;
pub mod error;
pub mod history;
pub mod list;
pub mod status;
pub mod stream;

#[cfg(test)]
mod tests;

pub use blocks::IndexBlocks;
pub use error::StatusError;
pub use history::{list_as_of, HistoricalList};
pub use list::{StatusChange, StatusFact, StatusListState};
pub use status::{status_type, CredentialStatus, StatusAction, StatusBits};

/// The largest list this engine opens or decodes: 16,777,216 entries (16 MiB at 8 bits).
pub const MAX_LIST_SIZE: u32 = 1 << 24;

/// The default list size (issue 20): 131,072 entries, 32 KiB at 2 bits before compression.
pub const DEFAULT_LIST_SIZE: u32 = 131_072;
