//! `[attestation]`: wallet attestations as client authentication (OAuth 2.0
//! Attestation-Based Client Authentication, draft -07; HAIP 1.0 §4.3) and key attestations
//! (OID4VCI 1.0 Appendix D): the wallet providers' trust anchors and what is required.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Wallet and key attestations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttestationSettings {
    /// PEM files of the certificates attestation `x5c` chains must lead to (wallet and key
    /// storage providers). Attestations are read only when at least one is configured.
    pub trust_anchors: Vec<PathBuf>,
    /// Every pushed authorization request and token request must authenticate the wallet
    /// with `OAuth-Client-Attestation` and `OAuth-Client-Attestation-PoP`
    /// (`attest_jwt_client_auth`); otherwise `invalid_client`.
    pub required: bool,
    /// Oldest accepted attestation PoP `iat`, seconds before now.
    pub pop_max_age: u64,
}

impl Default for AttestationSettings {
    fn default() -> Self {
        AttestationSettings {
            trust_anchors: Vec::new(),
            required: false,
            pop_max_age: 60,
        }
    }
}

impl AttestationSettings {
    /// Whether attestations are verified at all.
    pub fn enabled(&self) -> bool {
        !self.trust_anchors.is_empty()
    }
}
