//! Index blocks: a list's positions `0..size` cut into blocks that nodes reserve one at a
//! time, so that issuance allocates from a node-local block and only one append per block
//! touches the list's stream. A reserved block is never handed out again, so a position
//! (and the index it maps to) is never reused, even when a node dies with part of its
//! block unused.

use std::ops::Range;

use super::error::StatusError;

/// The block reservations of one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexBlocks {
    size: u32,
    block_len: u32,
    /// Blocks `0..reserved` are taken.
    reserved: u32,
}

impl IndexBlocks {
    /// No block of a list of `size` positions reserved yet, in blocks of `block_len`.
    pub fn new(size: u32, block_len: u32) -> Result<IndexBlocks, StatusError> {
        if size == 0 || size > super::MAX_LIST_SIZE {
            return Err(StatusError::InvalidSize(size));
        }
        if block_len == 0 {
            return Err(StatusError::InvalidBlockLength);
        }
        Ok(IndexBlocks {
            size,
            block_len,
            reserved: 0,
        })
    }

    /// How many blocks the list has (the last one may be shorter).
    pub fn block_count(&self) -> u32 {
        self.size.div_ceil(self.block_len)
    }

    /// How many blocks are reserved.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }

    /// The next block to reserve, or [`StatusError::ListFull`].
    pub fn next_block(&self) -> Result<u32, StatusError> {
        if self.reserved >= self.block_count() {
            return Err(StatusError::ListFull);
        }
        Ok(self.reserved)
    }

    /// Records the reservation of `block` (and implicitly of every block before it).
    pub fn apply(&mut self, block: u32) {
        self.reserved = self
            .reserved
            .max(block.saturating_add(1).min(self.block_count()));
    }

    /// The positions of `block` (empty past the end of the list).
    pub fn positions(&self, block: u32) -> Range<u32> {
        let start = block.saturating_mul(self.block_len).min(self.size);
        let end = start.saturating_add(self.block_len).min(self.size);
        start..end
    }
}
