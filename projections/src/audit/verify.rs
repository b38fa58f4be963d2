//! Recomputing an audit chain, entry by entry, in constant memory.

use super::entry::{AuditEntry, ChainTip};

/// What is wrong with the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// An entry is missing (or out of order): the position found is not the next one.
    Missing {
        /// The position found where the expected one should be.
        found: u64,
    },
    /// `prev_hash` is not the previous entry's hash: an entry before it was replaced or
    /// re-hashed.
    PrevHashMismatch,
    /// `hash` does not match the entry's content: the entry was edited.
    HashMismatch,
    /// The chain ends before this position: entries were removed from its end (it is
    /// shorter than the projector's checkpoint or an earlier signed head says).
    Truncated,
    /// The entry at a signed head's position has a different hash: the chain was rewritten
    /// since that head was signed.
    HeadMismatch,
    /// The entry is not the one the event log yields at its position: the audit view or
    /// the log was rewritten (or the log lost the event).
    DiffersFromLog,
}

impl ChainProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChainProblem::Missing { .. } => "missing_entry",
            ChainProblem::PrevHashMismatch => "prev_hash_mismatch",
            ChainProblem::HashMismatch => "hash_mismatch",
            ChainProblem::Truncated => "truncated",
            ChainProblem::HeadMismatch => "signed_head_mismatch",
            ChainProblem::DiffersFromLog => "differs_from_log",
        }
    }

    /// A one-line explanation.
    pub fn describe(&self) -> String {
        match self {
            ChainProblem::Missing { found } => {
                format!("entry missing: the next entry found has position {found}")
            }
            ChainProblem::PrevHashMismatch => {
                "prev_hash is not the hash of the previous entry".to_string()
            }
            ChainProblem::HashMismatch => {
                "hash does not match the entry's content (the entry was altered)".to_string()
            }
            ChainProblem::Truncated => {
                "the chain ends before this position: entries were removed from its end".to_string()
            }
            ChainProblem::HeadMismatch => {
                "the entry differs from the signed head at this position".to_string()
            }
            ChainProblem::DiffersFromLog => {
                "the entry is not the one the event log yields at this position".to_string()
            }
        }
    }
}

/// The first broken position of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The position at which the chain breaks.
    pub position: u64,
    /// Why.
    pub problem: ChainProblem,
}

/// Checks entries fed in position order, starting from the genesis.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    tip: ChainTip,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier::new()
    }
}

impl ChainVerifier {
    /// A verifier at the start of a chain.
    pub fn new() -> ChainVerifier {
        ChainVerifier {
            tip: ChainTip::genesis(),
        }
    }

    /// Checks the next entry: its position follows, its `prev_hash` is the previous hash,
    /// and its `hash` matches its content.
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let expected = self.tip.position + 1;
        if entry.position != expected {
            return Err(ChainBreak {
                position: expected,
                problem: ChainProblem::Missing {
                    found: entry.position,
                },
            });
        }
        let broken = |problem| ChainBreak {
            position: entry.position,
            problem,
        };
        if entry.prev_hash != self.tip.hash {
            return Err(broken(ChainProblem::PrevHashMismatch));
        }
        if entry.expected_hash().as_deref() != Some(entry.hash.as_str()) {
            return Err(broken(ChainProblem::HashMismatch));
        }
        self.tip = ChainTip::of(entry);
        Ok(())
    }

    /// The last verified entry.
    pub fn tip(&self) -> &ChainTip {
        &self.tip
    }

    /// How many entries verified.
    pub fn entries(&self) -> u64 {
        self.tip.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::audit_entry;
    use chrono::DateTime;
    use issuance_domain::offer::{OfferEvent, OfferExpired};
    use issuance_eventlog::{EventMetadata, LogPosition, RecordedEvent};
    use uuid::Uuid;

    fn chain(length: u64) -> Vec<AuditEntry> {
        let mut tip = ChainTip::genesis();
        (1..=length)
            .map(|n| {
                let event = OfferEvent::OfferExpired(OfferExpired {});
                let recorded = RecordedEvent {
                    position: LogPosition::at(n * 10),
                    stream_id: format!("offer-{}", Uuid::from_u128(n as u128)),
                    sequence: 2,
                    event_id: Uuid::from_u128(1000 + n as u128),
                    event_type: event.event_type().into(),
                    event_version: 1,
                    payload: std::sync::Arc::new(event.payload()),
                    metadata: EventMetadata::system(
                        DateTime::from_timestamp(1_800_000_000 + n as i64, 0).unwrap(),
                    ),
                };
                let entry = audit_entry(&recorded, &tip).unwrap();
                tip = ChainTip::of(&entry);
                entry
            })
            .collect()
    }

    fn first_break(entries: &[AuditEntry]) -> Option<ChainBreak> {
        let mut verifier = ChainVerifier::new();
        entries.iter().find_map(|e| verifier.check(e).err())
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        let mut verifier = ChainVerifier::new();
        for entry in &entries {
            verifier.check(entry).unwrap();
        }
        assert_eq!(verifier.entries(), 5);
        assert_eq!(verifier.tip().hash, entries[4].hash);
    }

    #[test]
    fn an_edited_entry_breaks_at_its_position() {
        let mut entries = chain(5);
        entries[2].actor = "mallory".into();
        assert_eq!(
            first_break(&entries),
            Some(ChainBreak {
                position: 3,
                problem: ChainProblem::HashMismatch
            })
        );
    }

    #[test]
    fn a_rehashed_entry_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[2].summary = "nothing happened".into();
        entries[2].hash = entries[2].expected_hash().unwrap();
        assert_eq!(
            first_break(&entries),
            Some(ChainBreak {
                position: 4,
                problem: ChainProblem::PrevHashMismatch
            })
        );
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut entries = chain(5);
        entries.remove(1);
        assert_eq!(
            first_break(&entries),
            Some(ChainBreak {
                position: 2,
                problem: ChainProblem::Missing { found: 3 }
            })
        );
    }
}
