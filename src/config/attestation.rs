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
    /// How long an attestation challenge (`POST /challenge`, draft -07 §8) is current,
    /// seconds; a challenge is accepted for up to twice that.
    pub challenge_lifetime: u64,
    /// Every attestation PoP must carry a current challenge; otherwise
    /// `use_attestation_challenge` with a fresh one in `OAuth-Client-Attestation-Challenge`.
    pub challenge_required: bool,
}

impl Default for AttestationSettings {
    fn default() -> Self {
        AttestationSettings {
            trust_anchors: Vec::new(),
            required: false,
            pop_max_age: 60,
            challenge_lifetime: 300,
            challenge_required: false,
        }
    }
}

impl AttestationSettings {
    /// Whether attestations are verified at all.
    pub fn enabled(&self) -> bool {
        !self.trust_anchors.is_empty()
    }

    /// What is wrong with the settings, as (field, problem).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.required && !self.enabled() {
            problems.push((
                "attestation.trust_anchors",
                "attestation.required needs at least one trust anchor (PEM file)".into(),
            ));
        }
        if self.challenge_required && !self.enabled() {
            problems.push((
                "attestation.trust_anchors",
                "attestation.challenge_required needs at least one trust anchor (PEM file)".into(),
            ));
        }
        if self.pop_max_age == 0 {
            problems.push((
                "attestation.pop_max_age",
                "must be at least 1 second".into(),
            ));
        }
        if self.challenge_lifetime == 0 || self.challenge_lifetime > 3600 {
            problems.push((
                "attestation.challenge_lifetime",
                "must be within 1..=3600 seconds".into(),
            ));
        }
        problems
    }
}
