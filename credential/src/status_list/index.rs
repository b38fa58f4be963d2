//! Unpredictable, never-reused indexes: a keyed pseudo-random permutation of a list's
//! positions `0..size`.
//!
//! Issuance counts positions per list (in per-node blocks, see
//! [`IndexBlocks`](issuance_domain::status_list::IndexBlocks)); the index written into the
//! credential is the permutation of the position. A permutation is a bijection, so distinct
//! positions never share an index; without the key, consecutive positions give unrelated
//! indexes, so a relying party cannot tell issuance order or batch membership from them.
//!
//! Construction: a balanced Feistel network over the smallest even-bit domain `2^(2h)`
//! holding `size`, with [`ROUNDS`] rounds whose round function is SHA-256 keyed by
//! `HMAC-SHA256(server secret, "issuance/status-list-index/v1" || list id)`; positions that
//! land outside the list are walked along their cycle until they land inside ("cycle
//! walking", which keeps the bijection). The domain is at most 4x the size, so a lookup
//! takes a few walks on average.

use std::fmt;
use std::ops::Range;

use hmac::{Hmac, Mac};
use issuance_domain::status_list::MAX_LIST_SIZE;
use sha2::Sha256;

use super::StatusListError;

/// Feistel rounds. Four make a strong pseudo-random permutation from a pseudo-random
/// function (Luby-Rackoff); eight leave a margin.
pub const ROUNDS: u8 = 8;

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const SHA256_INITIAL_STATE: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Domain separation of the derived list key.
const KEY_LABEL: &[u8] = b"issuance/status-list-index/v1\0";

/// The keyed permutation of one list's positions. `Debug` never shows the key.
#[derive(Clone)]
pub struct IndexPermutation {
    /// Round key, derived from the server secret and the list id.
    key: [u8; 32],
    size: u32,
    /// Bits of each Feistel half.
    half_bits: u32,
}

impl IndexPermutation {
    /// The permutation of list `list_id`'s `size` positions under `server_secret` (the
    /// secret every node shares; the same inputs give the same permutation on every node).
    pub fn new(
        server_secret: &[u8],
        list_id: &str,
        size: u32,
    ) -> Result<IndexPermutation, StatusListError> {
        if size == 0 || size > MAX_LIST_SIZE {
            return Err(StatusListError::InvalidSize);
        }
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_secret)
            .map_err(|e| StatusListError::InvalidInput(e.to_string()))?;
        mac.update(KEY_LABEL);
        mac.update(list_id.as_bytes());
        let key = mac.finalize().into_bytes().into();
        // Bits needed for positions 0..size, split into two equal halves (at least 1 each).
        let bits = u32::BITS - (size - 1).leading_zeros();
        Ok(IndexPermutation {
            key,
            size,
            half_bits: bits.div_ceil(2).max(1),
        })
    }

    /// Number of positions (and indexes).
    pub fn size(&self) -> u32 {
        self.size
    }

    /// The index of `position`, `None` outside `0..size`.
    pub fn index(&self, position: u32) -> Option<u32> {
        if position >= self.size {
            return None;
        }
        let mut value = self.feistel(u64::from(position));
        // Terminates: the cycle through `position` (which is < size) returns to it.
        while value >= u64::from(self.size) {
            value = self.feistel(value);
        }
        u32::try_from(value).ok()
    }

    /// A fingerprint of the derived list key (hex, 16 bytes): recorded when a list opens, so
    /// that a node whose server secret differs (a rotated or misconfigured secret) sees that
    /// its permutation is not the list's and refuses to allocate from it, instead of
    /// mapping positions to indexes already handed out.
    pub fn key_fingerprint(&self) -> String {
        use sha2::Digest;
        Sha256::new()
            .chain_update(b"issuance/status-list-index/fingerprint\0")
            .chain_update(self.key)
            .finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The indexes of a block of positions, in position order (positions past the list's
    /// end yield nothing).
    pub fn indexes(&self, positions: Range<u32>) -> impl Iterator<Item = u32> + '_ {
        positions.filter_map(|position| self.index(position))
    }

    fn feistel(&self, value: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (value >> self.half_bits, value & mask);
        for round in 0..ROUNDS {
            let mixed = left ^ (self.round_function(round, right) & mask);
            left = right;
            right = mixed;
        }
        (left << self.half_bits) | right
    }

    /// SHA-256(key || round || half), first 64 bits. The 41-byte input fits one block,
    /// which is padded here and compressed directly: a third of the cost of the
    /// streaming API in unoptimised builds, and no allocation.
    fn round_function(&self, round: u8, half: u64) -> u64 {
        const INPUT_BITS: u64 = (32 + 1 + 8) * 8;
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.key);
        block[32] = round;
        block[33..41].copy_from_slice(&half.to_be_bytes());
        block[41] = 0x80;
        block[56..].copy_from_slice(&INPUT_BITS.to_be_bytes());
        let mut state = SHA256_INITIAL_STATE;
        sha2::compress256(&mut state, &[block.into()]);
        (u64::from(state[0]) << 32) | u64::from(state[1])
    }
}

impl fmt::Debug for IndexPermutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexPermutation")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a server secret of thirty-two by";

    fn permutation(list: &str, size: u32) -> IndexPermutation {
        IndexPermutation::new(SECRET, list, size).unwrap()
    }

    /// Every index of `0..size` exactly once.
    fn assert_bijective(permutation: &IndexPermutation) {
        let size = permutation.size();
        let mut seen = vec![false; size as usize];
        for position in 0..size {
            let index = permutation.index(position).unwrap();
            assert!(index < size, "index {index} outside {size}");
            assert!(!seen[index as usize], "index {index} twice (size {size})");
            seen[index as usize] = true;
        }
    }

    #[test]
    fn it_is_a_bijection_on_every_size_including_the_default() {
        for size in [1, 2, 3, 5, 7, 8, 100, 255, 1000, 4097, 65_537, 131_072] {
            assert_bijective(&permutation("list-1", size));
        }
    }

    #[test]
    fn it_is_a_bijection_under_other_keys_and_lists() {
        for list in ["a", "b", "c"] {
            for size in [3, 31, 1023] {
                let p = IndexPermutation::new(list.as_bytes(), list, size).unwrap();
                assert_bijective(&p);
            }
        }
    }

    #[test]
    fn positions_outside_the_list_have_no_index() {
        let p = permutation("list-1", 10);
        assert_eq!(p.index(10), None);
        assert_eq!(p.index(u32::MAX), None);
        assert_eq!(p.indexes(8..12).count(), 2);
    }

    #[test]
    fn sizes_outside_one_to_max_are_refused() {
        assert!(IndexPermutation::new(SECRET, "l", 0).is_err());
        assert!(IndexPermutation::new(SECRET, "l", MAX_LIST_SIZE + 1).is_err());
        assert!(IndexPermutation::new(SECRET, "l", MAX_LIST_SIZE).is_ok());
    }

    #[test]
    fn the_same_inputs_give_the_same_indexes_on_every_node() {
        let a: Vec<u32> = permutation("list-1", 131_072).indexes(0..100).collect();
        let b: Vec<u32> = permutation("list-1", 131_072).indexes(0..100).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn other_lists_and_other_secrets_give_other_permutations() {
        let base: Vec<u32> = permutation("list-1", 131_072).indexes(0..64).collect();
        let other_list: Vec<u32> = permutation("list-2", 131_072).indexes(0..64).collect();
        let other_secret: Vec<u32> = IndexPermutation::new(b"another secret", "list-1", 131_072)
            .unwrap()
            .indexes(0..64)
            .collect();
        let same = |a: &[u32], b: &[u32]| a.iter().zip(b).filter(|(x, y)| x == y).count();
        assert!(same(&base, &other_list) <= 1);
        assert!(same(&base, &other_secret) <= 1);
    }

    #[test]
    fn consecutive_positions_get_indexes_far_apart() {
        let size = 131_072u32;
        let p = permutation("list-1", size);
        let indexes: Vec<u32> = p.indexes(0..20_000).collect();
        let gaps: Vec<u32> = indexes.windows(2).map(|w| w[0].abs_diff(w[1])).collect();
        // No neighbours at all for this key, and for a random permutation about
        // 2 * 20_000 * 1_024 / 131_072 = 312 gaps below 1,024 are expected.
        assert!(gaps.iter().all(|gap| *gap > 1), "neighbouring indexes");
        let close = gaps.iter().filter(|gap| **gap < 1_024).count();
        assert!(close < 450, "{close} of 20,000 gaps below 1,024");
        // The mean gap of a random permutation is size / 3.
        let mean = gaps.iter().map(|g| u64::from(*g)).sum::<u64>() / gaps.len() as u64;
        assert!(
            (u64::from(size) / 4..u64::from(size) / 2).contains(&mean),
            "mean gap {mean}"
        );
    }

    #[test]
    fn consecutive_positions_are_not_ordered_by_index() {
        let indexes: Vec<u32> = permutation("list-1", 131_072).indexes(0..10_000).collect();
        let rising = indexes.windows(2).filter(|w| w[1] > w[0]).count();
        assert!((4_500..5_500).contains(&rising), "{rising} rises of 9,999");
    }

    #[test]
    fn the_round_function_is_sha256_of_key_round_and_half() {
        use sha2::Digest;
        let p = permutation("list-1", 8);
        let digest = Sha256::new()
            .chain_update(p.key)
            .chain_update([3u8])
            .chain_update(77u64.to_be_bytes())
            .finalize();
        let expected = u64::from_be_bytes(digest[..8].try_into().unwrap());
        assert_eq!(p.round_function(3, 77), expected);
    }

    #[test]
    fn the_key_fingerprint_tells_secrets_apart_without_revealing_the_key() {
        let a = permutation("list-1", 8).key_fingerprint();
        assert_eq!(a.len(), 32);
        assert_eq!(a, permutation("list-1", 131_072).key_fingerprint());
        assert_ne!(a, permutation("list-2", 8).key_fingerprint());
        let other = IndexPermutation::new(b"rotated", "list-1", 8).unwrap();
        assert_ne!(a, other.key_fingerprint());
        let key_hex: String = permutation("list-1", 8)
            .key
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!key_hex.contains(&a));
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let shown = format!("{:?}", permutation("list-1", 8));
        assert_eq!(shown, "IndexPermutation { size: 8, .. }");
    }
}
