//! One status list as the fold of its status facts: which indexes are allocated and what
//! status each holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::StatusError;
use super::status::{CredentialStatus, StatusAction, StatusBits};
use super::MAX_LIST_SIZE;

/// What happened to one entry of a status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusChange {
    /// A credential was issued with this index; it starts VALID.
    Allocated,
    /// The credential was revoked.
    Revoked,
    /// The credential was suspended.
    Suspended,
    /// The suspended credential became valid again.
    Reinstated,
}

impl StatusChange {
    /// The change an action produces.
    pub fn of(action: StatusAction) -> StatusChange {
        match action {
            StatusAction::Revoke => StatusChange::Revoked,
            StatusAction::Suspend => StatusChange::Suspended,
            StatusAction::Reinstate => StatusChange::Reinstated,
        }
    }

    /// The status an entry holds after this change.
    pub fn resulting_status(self) -> CredentialStatus {
        match self {
            StatusChange::Allocated | StatusChange::Reinstated => CredentialStatus::Valid,
            StatusChange::Revoked => CredentialStatus::Revoked,
            StatusChange::Suspended => CredentialStatus::Suspended,
        }
    }
}

/// One recorded change of one entry, with the time it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFact {
    /// When the change was recorded (the event's time).
    pub at: DateTime<Utc>,
    /// The entry.
    pub index: u32,
    /// What happened to it.
    pub change: StatusChange,
}

/// A status list: its shape, when it was opened, and the status of every allocated index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListState {
    bits: StatusBits,
    size: u32,
    opened_at: DateTime<Utc>,
    /// The newest fact's time, or `opened_at`: the earliest `iat` a token of this state
    /// may carry.
    changed_at: DateTime<Utc>,
    entries: BTreeMap<u32, CredentialStatus>,
}

impl StatusListState {
    /// An empty list of `size` entries of `bits` bits, opened at `opened_at`.
    pub fn open(
        bits: StatusBits,
        size: u32,
        opened_at: DateTime<Utc>,
    ) -> Result<StatusListState, StatusError> {
        if size == 0 || size > MAX_LIST_SIZE {
            return Err(StatusError::InvalidSize(size));
        }
        Ok(StatusListState {
            bits,
            size,
            opened_at,
            changed_at: opened_at,
            entries: BTreeMap::new(),
        })
    }

    /// Bits per entry.
    pub fn bits(&self) -> StatusBits {
        self.bits
    }

    /// Number of entries (allocated or not).
    pub fn size(&self) -> u32 {
        self.size
    }

    /// When the list was opened.
    pub fn opened_at(&self) -> DateTime<Utc> {
        self.opened_at
    }

    /// When the list last changed (its opening if never).
    pub fn changed_at(&self) -> DateTime<Utc> {
        self.changed_at
    }

    /// The status at `index`, `None` if no credential holds it.
    pub fn status(&self, index: u32) -> Option<CredentialStatus> {
        self.entries.get(&index).copied()
    }

    /// How many indexes are allocated.
    pub fn allocated(&self) -> usize {
        self.entries.len()
    }

    /// Every entry that is not VALID, as `(index, Status Type value)` in index order: what
    /// an encoder writes into an all-zero list.
    pub fn status_types(&self) -> impl Iterator<Item = (u32, u8)> + '_ {
        self.entries
            .iter()
            .filter(|(_, status)| **status != CredentialStatus::Valid)
            .map(|(index, status)| (*index, status.status_type()))
    }

    /// The fact of allocating `index` to a newly issued credential, or why not.
    pub fn allocate(&self, index: u32, at: DateTime<Utc>) -> Result<StatusFact, StatusError> {
        self.check_range(index)?;
        if self.entries.contains_key(&index) {
            return Err(StatusError::AlreadyAllocated(index));
        }
        Ok(StatusFact {
            at,
            index,
            change: StatusChange::Allocated,
        })
    }

    /// The fact of applying `action` to the credential at `index`, or why not (see
    /// [`CredentialStatus::after`]).
    pub fn change(
        &self,
        index: u32,
        action: StatusAction,
        at: DateTime<Utc>,
    ) -> Result<StatusFact, StatusError> {
        self.check_range(index)?;
        let current = self.status(index).ok_or(StatusError::NotAllocated(index))?;
        current.after(action, self.bits)?;
        Ok(StatusFact {
            at,
            index,
            change: StatusChange::of(action),
        })
    }

    /// Records a fact: infallible, no decisions (facts out of range are ignored, as no
    /// decision can have produced them).
    pub fn apply(&mut self, fact: &StatusFact) {
        if fact.index >= self.size {
            return;
        }
        self.entries
            .insert(fact.index, fact.change.resulting_status());
        self.changed_at = self.changed_at.max(fact.at);
    }

    fn check_range(&self, index: u32) -> Result<(), StatusError> {
        if index >= self.size {
            return Err(StatusError::IndexOutOfRange {
                index,
                size: self.size,
            });
        }
        Ok(())
    }
}
