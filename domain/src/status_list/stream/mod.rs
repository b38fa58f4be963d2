//! The status list aggregate: one list's shape and its index block reservations, on the
//! stream `status-list-<uuid>`. Issuance never appends here per credential: a node reserves
//! a block of positions (one append per block, with the expected version) and hands them
//! out from memory; the credentials' statuses live on their offers' streams.
//!
//! ```text
//! (none) ──open──▶ open ──reserve block──▶ … ──▶ full (every block reserved)
//! ```

mod aggregate;
mod codec;

#[cfg(test)]
mod tests;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::blocks::IndexBlocks;
use super::error::StatusError;
use super::status::StatusBits;

pub use codec::{schema, EVENT_TYPES};

/// Prefix of every status list stream.
pub const STREAM_PREFIX: &str = "status-list-";

/// The stream id of a status list: `status-list-<uuid>`.
pub fn stream_id(list_id: Uuid) -> String {
    format!("{STREAM_PREFIX}{list_id}")
}

/// The list id of a status list stream id.
pub fn list_id_of_stream(stream_id: &str) -> Option<Uuid> {
    stream_id
        .strip_prefix(STREAM_PREFIX)
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// A status list was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StatusListOpened {
    /// Bits per entry.
    pub bits: StatusBits,
    /// Number of entries.
    pub size: u32,
    /// Positions per index block.
    pub block_len: u32,
    /// The list's URI (the tokens' `sub`, the credentials' `status.status_list.uri`).
    pub uri: String,
    /// Fingerprint of the index permutation's key: nodes with another key do not allocate.
    pub key_fingerprint: String,
}

/// A node reserved the next block of positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StatusIndexBlockReserved {
    /// The block (positions `block * block_len ..`).
    pub block: u32,
    /// The node that reserved it (for diagnosis only).
    pub node: String,
}

/// Every event of a status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusListEvent {
    /// See [`StatusListOpened`].
    StatusListOpened(StatusListOpened),
    /// See [`StatusIndexBlockReserved`].
    StatusIndexBlockReserved(StatusIndexBlockReserved),
}

/// What a status list can be asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusListCommand {
    /// Open the list with this shape.
    Open(StatusListOpened),
    /// Reserve the next index block for `node`, whose permutation key has `key_fingerprint`.
    ReserveBlock {
        /// The reserving node.
        node: String,
        /// Its permutation key's fingerprint: must be the list's.
        key_fingerprint: String,
    },
}

/// Why a status list refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListStreamError {
    /// The list does not exist.
    #[error("status list not found")]
    NotFound,
    /// `Open` on an existing list.
    #[error("status list already exists")]
    AlreadyOpened,
    /// The reserving node's permutation key is not the list's (rotated server secret).
    #[error("the status list was opened under another index key")]
    KeyMismatch,
    /// The list's shape is invalid, or every block is reserved.
    #[error(transparent)]
    Status(#[from] StatusError),
}

/// A status list's state: its shape and which blocks are taken.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusListStream {
    /// The opening facts; `None` until opened.
    pub opened: Option<StatusListOpened>,
    /// Blocks `0..reserved_blocks` are taken.
    pub reserved_blocks: u32,
    /// Number of events applied (the stream version).
    pub version: u64,
}

impl StatusListStream {
    /// Records one event. Infallible and free of decisions.
    pub fn apply(&mut self, event: StatusListEvent) {
        self.version += 1;
        match event {
            StatusListEvent::StatusListOpened(opened) => self.opened = Some(opened),
            StatusListEvent::StatusIndexBlockReserved(reserved) => {
                self.reserved_blocks = self.reserved_blocks.max(reserved.block.saturating_add(1));
            }
        }
    }

    /// The block reservations of an opened list (`None` before it is opened, or for a
    /// shape no decision can have produced).
    pub fn blocks(&self) -> Option<IndexBlocks> {
        let opened = self.opened.as_ref()?;
        let mut blocks = IndexBlocks::new(opened.size, opened.block_len).ok()?;
        if let Some(last) = self.reserved_blocks.checked_sub(1) {
            blocks.apply(last);
        }
        Some(blocks)
    }
}

/// Decides which events a command produces.
pub fn decide(
    list: &StatusListStream,
    command: StatusListCommand,
) -> Result<Vec<StatusListEvent>, StatusListStreamError> {
    match command {
        StatusListCommand::Open(opened) => {
            if list.opened.is_some() {
                return Err(StatusListStreamError::AlreadyOpened);
            }
            IndexBlocks::new(opened.size, opened.block_len)?;
            Ok(vec![StatusListEvent::StatusListOpened(opened)])
        }
        StatusListCommand::ReserveBlock {
            node,
            key_fingerprint,
        } => {
            let (Some(opened), Some(blocks)) = (&list.opened, list.blocks()) else {
                return Err(StatusListStreamError::NotFound);
            };
            if opened.key_fingerprint != key_fingerprint {
                return Err(StatusListStreamError::KeyMismatch);
            }
            let block = blocks.next_block()?;
            Ok(vec![StatusListEvent::StatusIndexBlockReserved(
                StatusIndexBlockReserved { block, node },
            )])
        }
    }
}
