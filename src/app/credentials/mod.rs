//! Minting credentials for verified holder keys: the offer's claims opened with its data key
//! ([`open_claims`]), a signer of the configuration's format ([`signer`]), status list
//! entries ([`allocate_statuses`]) and, per credential, the record its `CredentialIssued`
//! event keeps ([`mint`]). The wallet's credential endpoint orchestrates them; failures are
//! [`MintError`]s, mapped to the protocol's errors at the edge.

pub mod issue;
mod mint;
pub mod signer;

pub use issue::{CredentialIssuer, Issue, IssueError, Issued};
pub use mint::{allocate_statuses, mint, open_claims};
pub use signer::{CredentialSigner, SignerKeys};

use crate::store::StoreError;

/// Why credentials could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// The holder key cannot be bound into the credential (the wallet's problem).
    #[error("{0}")]
    HolderKey(String),
    /// The offer's claims no longer fit the (changed) configuration.
    #[error("the offer's data no longer fits the credential configuration ({0} problem(s))")]
    ClaimsMisfit(usize),
    /// The offer's data key is gone: its claims were erased.
    #[error("the data for this credential is no longer available")]
    ClaimsErased,
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Our own failure (sealing, signing, status allocation).
    #[error("{0}")]
    Internal(String),
}
