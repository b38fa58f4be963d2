//! ISO/IEC 18013-5 mdoc issuance (`mso_mdoc`, OID4VCI 1.0 Appendix A.2).
//!
//! The credential is the base64url of the CBOR `IssuerSigned`:
//!
//! ```text
//! IssuerSigned = { "nameSpaces": { NameSpace => [+ #6.24(bstr .cbor IssuerSignedItem)] },
//!                  "issuerAuth": COSE_Sign1 }      ; untagged, payload #6.24(bstr .cbor MSO)
//! IssuerSignedItem = { "digestID": uint, "random": bstr, "elementIdentifier": tstr,
//!                      "elementValue": any }
//! ```
//!
//! Everything is encoded deterministically ([`cbor`]): shortest heads, definite lengths,
//! sorted map keys. Randomness (salts, digest-ID order) and time come in as arguments, so
//! equal inputs and an equally seeded generator give byte-equal `nameSpaces` and MSO.
//! [`dev_certificates`] makes a development IACA and document signer chain.

pub mod cbor;
mod cose_key;
pub mod dev_certificates;
mod elements;
mod issuer_auth;
mod items;

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value;
use issuance_domain::credential_config::ClaimProblem;
use josekit::jwk::Jwk;
use rand::RngCore;

pub use cose_key::cose_key_from_jwk;
pub use elements::DataElements;
pub use issuer_auth::{DIGEST_ALGORITHM, HEADER_X5CHAIN, MSO_VERSION};
pub use items::SALT_BYTES;

use crate::keys::{SignError, SigningKey};
use crate::status_list::StatusReference;
use cbor::{entry, into_bytes};

/// `validityInfo`, Unix seconds; written as `tdate`s without fractional seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityInfo {
    /// When the MSO was signed.
    pub signed: i64,
    /// Start of validity; not before `signed`.
    pub valid_from: i64,
    /// End of validity; after `valid_from`.
    pub valid_until: i64,
}

/// What goes into one mdoc.
#[derive(Debug, Clone, Copy)]
pub struct MdocInput<'a> {
    /// `docType`, e.g. `org.iso.18013.5.1.mDL`.
    pub doc_type: &'a str,
    /// The data elements (see [`DataElements::from_claims`]).
    pub elements: &'a DataElements,
    /// The holder's public key from the verified proof; becomes `deviceKey`.
    pub holder_jwk: &'a Jwk,
    /// The validity period.
    pub validity: ValidityInfo,
    /// The credential's entry in a Token Status List, written into the MSO as `status`
    /// (`{"status_list": {"idx", "uri"}}`, Token Status List §6.3).
    pub status: Option<&'a StatusReference>,
}

/// An issued mdoc.
///
/// `Debug` redacts the credential, so it cannot end up in logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedMdoc {
    /// The CBOR `IssuerSigned` structure.
    pub issuer_signed: Vec<u8>,
    /// How many data elements it carries.
    pub element_count: usize,
}

impl IssuedMdoc {
    /// The Credential Response's `credential` value: base64url without padding.
    pub fn credential(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.issuer_signed)
    }
}

impl fmt::Debug for IssuedMdoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedMdoc")
            .field(
                "issuer_signed",
                &format_args!("[redacted, {} bytes]", self.issuer_signed.len()),
            )
            .field("element_count", &self.element_count)
            .finish()
    }
}

/// Why an mdoc could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdocError {
    /// The claims do not fit the configuration; every problem is listed.
    #[error("{} claim problem(s), first: {}", .0.len(), .0.first().map_or("", |p| p.problem.as_str()))]
    Claims(Vec<ClaimProblem>),
    /// The holder key cannot be a device key (private, unsupported curve, malformed).
    #[error("holder key: {0}")]
    HolderKey(String),
    /// Other input problems (validity period, empty document type, no elements).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The signing key has no certificate, so `x5chain` cannot be written.
    #[error("the document signer key has no certificate chain")]
    MissingCertificate,
    /// CBOR or COSE encoding failed.
    #[error("encoding failed: {0}")]
    Encoding(String),
    /// The document signer key failed to sign.
    #[error(transparent)]
    Signing(#[from] SignError),
}

/// Issues one mdoc signed by `key` (ES256, whose certificate chain becomes `x5chain`),
/// with salts and digest-ID order drawn from `rng`. Each call makes fresh salts and its own
/// MSO, so every copy of a batch is unlinkable by its digests.
pub fn issue_mdoc<R: RngCore + ?Sized>(
    key: &SigningKey,
    input: &MdocInput,
    rng: &mut R,
) -> Result<IssuedMdoc, MdocError> {
    check_input(input)?;
    let device_key = cose_key_from_jwk(input.holder_jwk)?;
    let namespaces = items::sign_items(input.elements, rng)?;
    let mso = issuer_auth::mobile_security_object(
        &namespaces,
        device_key,
        input.doc_type,
        &input.validity,
        input.status,
    )?;
    let issuer_auth = issuer_auth::issuer_auth(key, mso)?;
    let name_spaces = namespaces
        .into_iter()
        .map(|namespace| (Value::Text(namespace.name), Value::Array(namespace.items)))
        .collect();
    let issuer_signed = Value::Map(vec![
        entry("nameSpaces", Value::Map(name_spaces)),
        entry("issuerAuth", issuer_auth),
    ]);
    Ok(IssuedMdoc {
        issuer_signed: into_bytes(issuer_signed)?,
        element_count: input.elements.len(),
    })
}

fn check_input(input: &MdocInput) -> Result<(), MdocError> {
    if input.doc_type.trim().is_empty() {
        return Err(MdocError::InvalidInput("docType must not be empty".into()));
    }
    if input.elements.is_empty() {
        return Err(MdocError::InvalidInput(
            "an mdoc needs at least one data element".into(),
        ));
    }
    let validity = &input.validity;
    if validity.valid_from < validity.signed {
        return Err(MdocError::InvalidInput(
            "validFrom must not be before signed".into(),
        ));
    }
    if validity.valid_until <= validity.valid_from {
        return Err(MdocError::InvalidInput(
            "validUntil must be after validFrom".into(),
        ));
    }
    Ok(())
}
