//! IETF Token Status List (draft-ietf-oauth-status-list; HAIP pins -14, the encoding is
//! unchanged through the latest draft): the encoded list, its signed tokens, the `status`
//! claim of a credential, and the keyed permutation that hands out indexes.
//!
//! - [`list`]: [`StatusList`], entries of 1, 2, 4 or 8 bits packed from the least
//!   significant bit, and [`EncodedStatusList`], ZLIB (RFC 1950) at the highest level and
//!   base64url without padding in JSON (`lst`), a byte string in CBOR (§4).
//! - [`jwt`]: the Status List Token as a JWT (`typ: statuslist+jwt`, §5.1).
//! - [`cwt`]: the Status List Token as a CWT in a tagged COSE_Sign1 (`16: application/
//!   statuslist+cwt`, §5.2), for mdoc credentials.
//! - [`reference`]: the referenced token's `status` claim, JSON and CBOR (§6).
//! - [`index`]: [`IndexPermutation`], a keyed pseudo-random permutation of a list's
//!   positions, so consecutive issuances get unrelated indexes.
//!
//! Statuses, bit widths and the lifecycle rules are the domain's
//! ([`issuance_domain::status_list`]); everything here is encoding and cryptography.

pub mod cwt;
pub mod index;
pub mod jwt;
pub mod list;
pub mod reference;

pub use cwt::{sign_status_list_cwt, verify_status_list_cwt, STATUS_LIST_CWT_TYP};
pub use index::IndexPermutation;
pub use issuance_domain::status_list::{status_type, StatusBits};
pub use jwt::{
    sign_status_list_jwt, verify_status_list_jwt, STATUS_LIST_JWT_MEDIA_TYPE, STATUS_LIST_JWT_TYP,
};
pub use list::{EncodedStatusList, StatusList};
pub use reference::StatusReference;

use crate::keys::SignError;

/// What goes into a Status List Token, JWT or CWT.
#[derive(Debug, Clone, Copy)]
pub struct StatusListTokenInput<'a> {
    /// `sub` (CWT 2): the list's URI, as in the credentials' `status.status_list.uri`.
    pub uri: &'a str,
    /// `iss` (CWT 1), when the token should name its issuer.
    pub issuer: Option<&'a str>,
    /// `iat` (CWT 6), Unix seconds.
    pub issued_at: i64,
    /// `exp` (CWT 4), Unix seconds; after `issued_at`.
    pub expires_at: Option<i64>,
    /// `ttl` (CWT 65534): seconds a consumer may cache the token; positive.
    pub ttl: Option<u64>,
    /// The list, compressed once for both token forms.
    pub list: &'a EncodedStatusList,
}

/// The claims of a verified Status List Token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListTokenClaims {
    /// `sub`: the list's URI.
    pub uri: String,
    /// `iss`, if present.
    pub issuer: Option<String>,
    /// `iat`.
    pub issued_at: i64,
    /// `exp`, if present.
    pub expires_at: Option<i64>,
    /// `ttl`, if present.
    pub ttl: Option<u64>,
    /// `status_list`.
    pub list: EncodedStatusList,
}

/// Why a status list could not be built, encoded, decoded, signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// `bits` is not 1, 2, 4 or 8.
    #[error("a status list has 1, 2, 4 or 8 bits per entry, not {0}")]
    InvalidBits(u64),
    /// The list would have no entries, or more than the engine accepts.
    #[error("a status list holds 1 to {max} entries", max = issuance_domain::status_list::MAX_LIST_SIZE)]
    InvalidSize,
    /// The index is not below the list's size.
    #[error("index {index} is outside the list of {size} entries")]
    IndexOutOfRange {
        /// The index.
        index: u32,
        /// The list's size.
        size: u32,
    },
    /// The value needs more bits than an entry has.
    #[error("status {value} does not fit into {bits} bits")]
    ValueTooLarge {
        /// The value.
        value: u8,
        /// Bits per entry.
        bits: u8,
    },
    /// `lst` is not a ZLIB stream of an acceptable size, or not base64url.
    #[error("malformed status list: {0}")]
    MalformedList(String),
    /// The token's inputs break a rule (`exp` not after `iat`, `ttl` of 0, empty `sub`).
    #[error("invalid status list token input: {0}")]
    InvalidInput(String),
    /// The token is not a well-formed Status List Token (header, claims or structure).
    #[error("malformed status list token: {0}")]
    MalformedToken(String),
    /// Signing or signature verification failed.
    #[error(transparent)]
    Signature(#[from] SignError),
}

impl StatusListTokenInput<'_> {
    /// The rules both token forms share.
    fn check(&self) -> Result<(), StatusListError> {
        let invalid = |reason: &str| Err(StatusListError::InvalidInput(reason.into()));
        if self.uri.is_empty() {
            return invalid("sub (the list's URI) must not be empty");
        }
        if self.expires_at.is_some_and(|exp| exp <= self.issued_at) {
            return invalid("exp must be after iat");
        }
        if self.ttl == Some(0) {
            return invalid("ttl must be positive");
        }
        Ok(())
    }
}
