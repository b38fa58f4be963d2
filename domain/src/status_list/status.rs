//! Status values of the Token Status List (draft-ietf-oauth-status-list §7) and the
//! lifecycle of one credential's status.

use serde::{Deserialize, Serialize};

use super::error::StatusError;

/// Status Type values as they appear in a status list (§7.1, §14.5 of the draft).
pub mod status_type {
    /// `0x00`: the referenced token is valid.
    pub const VALID: u8 = 0x00;
    /// `0x01`: revoked, annulled, taken back, recalled or cancelled. Final.
    pub const INVALID: u8 = 0x01;
    /// `0x02`: temporarily invalid. Needs lists of at least 2 bits.
    pub const SUSPENDED: u8 = 0x02;
    /// `0x03`: permanently reserved as application specific.
    pub const APPLICATION_SPECIFIC: u8 = 0x03;
    /// `0x0C`–`0x0F`: permanently reserved as application specific.
    pub const APPLICATION_SPECIFIC_RANGE: std::ops::RangeInclusive<u8> = 0x0C..=0x0F;
}

/// Bits per entry of a status list (§4.1): 1, 2, 4 or 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum StatusBits {
    /// Two values: VALID and INVALID only.
    One,
    /// Four values: room for SUSPENDED (the issuer's default).
    Two,
    /// Sixteen values.
    Four,
    /// 256 values.
    Eight,
}

impl schemars::JsonSchema for StatusBits {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusBits".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Bits per status list entry.",
            "type": "integer",
            "enum": [1, 2, 4, 8]
        })
    }
}

impl StatusBits {
    /// The width as a number: 1, 2, 4 or 8.
    pub fn get(self) -> u8 {
        match self {
            StatusBits::One => 1,
            StatusBits::Two => 2,
            StatusBits::Four => 4,
            StatusBits::Eight => 8,
        }
    }

    /// The width for a number of bits, if it is one the draft allows.
    pub fn new(bits: u8) -> Option<StatusBits> {
        match bits {
            1 => Some(StatusBits::One),
            2 => Some(StatusBits::Two),
            4 => Some(StatusBits::Four),
            8 => Some(StatusBits::Eight),
            _ => None,
        }
    }

    /// Entries per byte: 8, 4, 2 or 1.
    pub fn per_byte(self) -> usize {
        8 / usize::from(self.get())
    }

    /// The largest status value an entry can hold.
    pub fn max_value(self) -> u8 {
        u8::MAX >> (8 - self.get())
    }

    /// Whether `value` fits into one entry.
    pub fn holds(self, value: u8) -> bool {
        value <= self.max_value()
    }
}

impl TryFrom<u8> for StatusBits {
    type Error = StatusError;

    fn try_from(bits: u8) -> Result<Self, Self::Error> {
        StatusBits::new(bits).ok_or(StatusError::InvalidBits(bits))
    }
}

impl From<StatusBits> for u8 {
    fn from(bits: StatusBits) -> u8 {
        bits.get()
    }
}

/// The status of one issued credential.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CredentialStatus {
    /// Valid (the state of every allocated entry at issuance).
    #[default]
    Valid,
    /// Temporarily invalid; can be reinstated.
    Suspended,
    /// Revoked; final.
    Revoked,
}

/// A requested change of a credential's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    /// Make it INVALID for good.
    Revoke,
    /// Make it SUSPENDED.
    Suspend,
    /// Make a suspended credential VALID again.
    Reinstate,
}

impl CredentialStatus {
    /// The Status Type value written into the list.
    pub fn status_type(self) -> u8 {
        match self {
            CredentialStatus::Valid => status_type::VALID,
            CredentialStatus::Suspended => status_type::SUSPENDED,
            CredentialStatus::Revoked => status_type::INVALID,
        }
    }

    /// The API name, e.g. `SUSPENDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Valid => "VALID",
            CredentialStatus::Suspended => "SUSPENDED",
            CredentialStatus::Revoked => "REVOKED",
        }
    }

    /// The status after `action` on a list of `bits` bits, or why the change is refused:
    /// revoked is final, reinstate only from suspended, no suspension on a 1-bit list, and
    /// no change that leaves the status as it is.
    pub fn after(self, action: StatusAction, bits: StatusBits) -> Result<Self, StatusError> {
        match (self, action) {
            (CredentialStatus::Revoked, _) => Err(StatusError::AlreadyRevoked),
            (_, StatusAction::Suspend) if bits == StatusBits::One => {
                Err(StatusError::SuspensionUnsupported)
            }
            (CredentialStatus::Valid, StatusAction::Revoke)
            | (CredentialStatus::Suspended, StatusAction::Revoke) => Ok(CredentialStatus::Revoked),
            (CredentialStatus::Valid, StatusAction::Suspend) => Ok(CredentialStatus::Suspended),
            (CredentialStatus::Suspended, StatusAction::Suspend) => {
                Err(StatusError::AlreadySuspended)
            }
            (CredentialStatus::Suspended, StatusAction::Reinstate) => Ok(CredentialStatus::Valid),
            (CredentialStatus::Valid, StatusAction::Reinstate) => Err(StatusError::NotSuspended),
        }
    }
}

impl std::fmt::Display for CredentialStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
