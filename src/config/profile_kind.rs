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
