//! `key_attestations_required` of a configuration's `jwt` proof type (OID4VCI 1.0
//! §12.2.4, Appendix D.2): every holder key must be vouched for by a key attestation that
//! meets these constraints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Key attestations a configuration requires; `{}` requires one with no constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyAttestationsRequired {
    /// Accepted `key_storage` levels (e.g. `iso_18045_high`); one must be attested. Empty:
    /// no constraint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_storage: Vec<String>,
    /// Accepted `user_authentication` levels; one must be attested. Empty: no constraint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_authentication: Vec<String>,
}
