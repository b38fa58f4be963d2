//! `[status_lists]`: credential status with IETF Token Status Lists (ADR 8).

use issuance_domain::status_list::{StatusBits, DEFAULT_LIST_SIZE, MAX_LIST_SIZE};
use serde::{Deserialize, Serialize};

/// How issued credentials get their status, and how status lists are served.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct StatusListSettings {
    /// Whether issued credentials carry a `status` claim (and can be revoked).
    pub enabled: bool,
    /// Entries per list; a new list opens when one is full.
    pub size: u32,
    /// Bits per entry: 1 (VALID/INVALID), 2 (with SUSPENDED), 4 or 8.
    pub bits: u8,
    /// Whether credentials can be suspended (needs `bits` ≥ 2).
    pub suspension: bool,
    /// Positions a node reserves at once (one list-stream append per block).
    pub block_len: u32,
    /// Seconds relying parties may cache a token (`ttl`, and the `max-age` ceiling).
    pub ttl: u64,
    /// Seconds a signed token is valid (`exp` − `iat`); tokens are re-signed before.
    pub token_lifetime: u64,
}

impl Default for StatusListSettings {
    fn default() -> Self {
        StatusListSettings {
            enabled: true,
            size: DEFAULT_LIST_SIZE,
            bits: 2,
            suspension: true,
            block_len: 1024,
            ttl: 300,
            token_lifetime: 86_400,
        }
    }
}

impl StatusListSettings {
    /// Bits per entry (valid once [`validate`] passed; 2 otherwise).
    pub fn status_bits(&self) -> StatusBits {
        StatusBits::new(self.bits).unwrap_or(StatusBits::Two)
    }
}

/// Problems with `[status_lists]`, as (field, problem).
pub fn validate(settings: &StatusListSettings) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    match StatusBits::new(settings.bits) {
        None => problems.push(("status_lists.bits", "must be 1, 2, 4 or 8".to_string())),
        Some(StatusBits::One) if settings.suspension => problems.push((
            "status_lists.suspension",
            "a 1-bit status list cannot express SUSPENDED: set bits = 2 or suspension = false"
                .to_string(),
        )),
        Some(_) => {}
    }
    if settings.size == 0 || settings.size > MAX_LIST_SIZE {
        problems.push((
            "status_lists.size",
            format!("must be within 1..={MAX_LIST_SIZE}"),
        ));
    }
    if settings.block_len == 0 || settings.block_len > settings.size.max(1) {
        problems.push((
            "status_lists.block_len",
            "must be within 1..=size".to_string(),
        ));
    }
    if settings.ttl == 0 || settings.ttl > 86_400 {
        problems.push((
            "status_lists.ttl",
            "must be within 1..=86400 seconds".into(),
        ));
    }
    if settings.token_lifetime <= settings.ttl || settings.token_lifetime > 31 * 86_400 {
        problems.push((
            "status_lists.token_lifetime",
            "must be more than ttl and at most 31 days".into(),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert!(validate(&StatusListSettings::default()).is_empty());
    }

    #[test]
    fn a_one_bit_list_with_suspension_is_refused() {
        let one_bit = StatusListSettings {
            bits: 1,
            ..Default::default()
        };
        let problems = validate(&one_bit);
        assert_eq!(problems[0].0, "status_lists.suspension");
        assert!(validate(&StatusListSettings {
            suspension: false,
            ..one_bit
        })
        .is_empty());
    }

    #[test]
    fn bad_shapes_are_refused() {
        let bad = StatusListSettings {
            bits: 3,
            size: 0,
            block_len: 0,
            ttl: 0,
            token_lifetime: 0,
            ..Default::default()
        };
        let fields: Vec<_> = validate(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "status_lists.bits",
                "status_lists.size",
                "status_lists.block_len",
                "status_lists.ttl",
                "status_lists.token_lifetime"
            ]
        );
    }
}
