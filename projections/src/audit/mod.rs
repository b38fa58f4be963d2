//! The audit view: one hash-chained entry per event of the log, in global order.
//!
//! Each [`AuditEntry`] carries who did what when (actor, request id, holder key), a human
//! summary without personal data, a digest of the stored event, and
//!
//! ```text
//! hash = SHA-256( prev_hash (32 bytes) || canonical entry )
//! ```
//!
//! where the canonical entry is the entry's JSON form without `prev_hash` and `hash`,
//! canonicalised ([`issuance_domain::canonical`]; RFC 8785 for these documents). The first
//! entry's `prev_hash` is [`GENESIS_HASH`]. Hashes are lowercase hex.
//!
//! Entries are a pure function of the log, so a replay from position 0 yields the same
//! chain, hash for hash. The rules that produce them (fields, summaries, canonical form)
//! are therefore part of the chain format [`CHAIN_FORMAT`]: changing any of them is a new
//! format, never a silent edit.
//!
//! - [`entry`]: the entry, building it from a recorded event, its canonical form and hash.
//! - [`summary`], [`issuer_summary`]: the human summaries.
//! - [`verify`]: recomputing a chain and naming the first broken entry.

pub mod entry;
pub mod issuer_summary;
pub mod summary;
pub mod verify;

pub use entry::{audit_entry, event_hash, AuditEntry, ChainTip};
pub use issuer_summary::issuer_summary;
pub use summary::{authorization_summary, summary};
pub use verify::{ChainBreak, ChainProblem, ChainVerifier};

/// Name and version of the chain format, stated in signed heads.
pub const CHAIN_FORMAT: &str = "issuance-audit-v1";

/// The `prev_hash` of the first entry: 32 zero bytes.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

/// The 32 bytes of a lowercase hex SHA-256 digest; `None` unless exactly that.
pub fn from_hex(text: &str) -> Option<[u8; 32]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_anything_else() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 9) as u8);
        assert_eq!(from_hex(&to_hex(&bytes)), Some(bytes));
        assert_eq!(from_hex(GENESIS_HASH), Some([0; 32]));
        assert_eq!(from_hex(&to_hex(&bytes).to_uppercase()), None);
        assert_eq!(from_hex("00"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
    }
}
