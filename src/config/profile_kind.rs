//! The name of the interoperability profile the issuer follows (its rules are in
//! [`super::profile`]).

use serde::{Deserialize, Serialize};

/// The interoperability profile (`profile`, env `ISSUANCE_PROFILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Every HAIP feature is optional and off unless configured.
    #[default]
    Default,
    /// HAIP 1.0: DPoP (required, with nonces) and wallet attestation are enforced and
    /// advertised.
    Haip,
}

impl Profile {
    /// The issuer profile every issuer follows at least: `haip` for `haip`.
    pub fn issuer_profile(self) -> issuance_domain::issuer::IssuerProfile {
        use issuance_domain::issuer::IssuerProfile;
        match self {
            Profile::Default => IssuerProfile::Standard,
            Profile::Haip => IssuerProfile::Haip,
        }
    }
}
