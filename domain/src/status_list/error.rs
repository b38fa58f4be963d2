//! Typed rejections of status list changes. A rejected change records nothing.

/// Why a status list or one of its entries refused a change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// `bits` is not 1, 2, 4 or 8.
    #[error("a status list has 1, 2, 4 or 8 bits per entry, not {0}")]
    InvalidBits(u8),
    /// The list size is 0 or larger than [`MAX_LIST_SIZE`](super::MAX_LIST_SIZE).
    #[error("a status list holds 1 to {max} entries, not {0}", max = super::MAX_LIST_SIZE)]
    InvalidSize(u32),
    /// The index block length is 0.
    #[error("an index block holds at least one index")]
    InvalidBlockLength,
    /// The index is not below the list's size.
    #[error("index {index} is outside the list of {size} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u32,
        /// The list's size.
        size: u32,
    },
    /// The index was allocated before; indexes are never reused.
    #[error("index {0} is already allocated")]
    AlreadyAllocated(u32),
    /// No credential holds this index.
    #[error("index {0} is not allocated")]
    NotAllocated(u32),
    /// Every index block of the list is reserved: a new list must be opened.
    #[error("the status list is full")]
    ListFull,
    /// The credential is revoked; revocation is final.
    #[error("the credential is revoked; revocation is final")]
    AlreadyRevoked,
    /// The credential is already suspended.
    #[error("the credential is already suspended")]
    AlreadySuspended,
    /// Reinstate applies only to a suspended credential.
    #[error("only a suspended credential can be reinstated")]
    NotSuspended,
    /// A 1-bit list cannot express SUSPENDED (0x02).
    #[error("suspension needs a status list of at least 2 bits")]
    SuspensionUnsupported,
}
