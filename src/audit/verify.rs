//! Recomputing the stored audit chain, page by page, and naming the first broken entry.

use issuance_projections::audit::{ChainBreak, ChainProblem, ChainTip, ChainVerifier};
use serde_json::{json, Value};

use super::from_log::LogDerivation;
use super::head::HeadClaims;
use crate::readstore::{AuditQuery, AuditStore, ReadStoreError};
use crate::store::{EventStore, StoreError};

/// Entries read per page while verifying.
const PAGE: usize = 1000;

/// Why a verification could not be carried out (a broken chain is a [`VerifyReport`]).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The audit store failed.
    #[error(transparent)]
    AuditStore(#[from] ReadStoreError),
    /// The event store failed.
    #[error(transparent)]
    EventStore(#[from] StoreError),
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries verified before the end or the break.
    pub entries: u64,
    /// The last verified entry.
    pub tip: ChainTip,
    /// The first broken position, if any.
    pub broken: Option<ChainBreak>,
}

impl VerifyReport {
    /// Whether the chain is intact.
    pub fn valid(&self) -> bool {
        self.broken.is_none()
    }

    /// The JSON answer of `GET /audit/verify`.
    pub fn to_json(&self) -> Value {
        match &self.broken {
            None => json!({
                "valid": true,
                "entries": self.entries,
                "head": {"position": self.tip.position, "hash": self.tip.hash},
            }),
            Some(broken) => json!({
                "valid": false,
                "entries": self.entries,
                "first_broken_position": broken.position,
                "problem": broken.problem.code(),
                "description": broken.problem.describe(),
            }),
        }
    }
}

/// Verifies every entry up to the tip as it is when verification starts (entries appended
/// meanwhile are left for the next run), and that the chain ends at the projector's
/// checkpoint. With `signed`, also checks that the chain still contains the signed head:
/// same hash at its position, and not shorter. With `log`, also re-derives every entry
/// from the event log and requires the stored one to be identical.
pub async fn verify_chain(
    store: &dyn AuditStore,
    signed: Option<&HeadClaims>,
    log: Option<&dyn EventStore>,
) -> Result<VerifyReport, VerifyError> {
    let mut derivation = log.map(LogDerivation::new);
    let head = store.audit_head().await?;
    let until = head.tip.position;
    let mut verifier = ChainVerifier::new();
    let mut after = 0;
    let report = |verifier: &ChainVerifier, broken| VerifyReport {
        entries: verifier.entries(),
        tip: verifier.tip().clone(),
        broken,
    };
    loop {
        let page = store
            .audit_entries(AuditQuery {
                after,
                until: Some(until),
                limit: PAGE,
                ..Default::default()
            })
            .await?;
        for entry in &page.entries {
            if let Err(broken) = verifier.check(entry) {
                return Ok(report(&verifier, Some(broken)));
            }
            if let Some(derivation) = &mut derivation {
                let derived = derivation.next().await?;
                if !matches!(&derived, Some(Ok(expected)) if expected == entry) {
                    let broken = ChainBreak {
                        position: entry.position,
                        problem: ChainProblem::DiffersFromLog,
                    };
                    return Ok(report(&verifier, Some(broken)));
                }
            }
            if let Some(head) = signed.filter(|h| h.position == entry.position) {
                if head.hash != entry.hash {
                    let broken = ChainBreak {
                        position: head.position,
                        problem: ChainProblem::HeadMismatch,
                    };
                    return Ok(report(&verifier, Some(broken)));
                }
            }
        }
        match (page.next_cursor, page.entries.last()) {
            (Some(_), Some(last)) => after = last.position,
            _ => break,
        }
    }
    // Entries removed from the end leave a chain that verifies on its own; the projector's
    // checkpoint (the last projected event) and a signed head both remember the end.
    let cut_short = !head.consistent() || signed.is_some_and(|s| s.position > verifier.entries());
    let truncated = cut_short.then(|| ChainBreak {
        position: verifier.entries() + 1,
        problem: ChainProblem::Truncated,
    });
    Ok(report(&verifier, truncated))
}
