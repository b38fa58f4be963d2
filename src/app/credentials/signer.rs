//! Signing one credential of a configuration's format for a verified holder key: SD-JWT VC
//! (`dc+sd-jwt`) or ISO mdoc (`mso_mdoc`, OID4VCI 1.0 Appendix A.2). What every copy of a
//! batch shares (for mdoc, the claims converted to CBOR data elements) is prepared once.

use chrono::{DateTime, Utc};
use issuance_credential::status_list::StatusReference;
use issuance_credential::{
    issue_mdoc, issue_sd_jwt_vc, DataElements, IssueError, MdocError, MdocInput, SdJwtVcInput,
    SigningKey, ValidityInfo, VerifiedProof,
};
use issuance_domain::catalog::CatalogEntry;
use issuance_domain::credential_config::CredentialConfiguration;
use issuance_domain::mdoc_config::MdocConfiguration;
use serde_json::{Map, Value};

use super::MintError;

/// The keys a signer may need: the issuer's active key for SD-JWT VCs, the document signer
/// for mdocs.
#[derive(Clone, Copy)]
pub struct SignerKeys<'a> {
    /// The issuer's active key.
    pub issuer_key: &'a SigningKey,
    /// The Credential Issuer Identifier (`iss`).
    pub issuer: &'a str,
    /// `vct#integrity` of the configuration, when its type metadata is known.
    pub vct_integrity: Option<&'a str>,
    /// The mdoc document signer, when an mdoc configuration is offered.
    pub document_signer: Option<&'a SigningKey>,
}

/// Signs the credentials of one request.
pub enum CredentialSigner<'a> {
    /// SD-JWT VCs signed with the issuer's active key.
    SdJwt {
        /// The configuration.
        configuration: &'a CredentialConfiguration,
        /// The offer's claims.
        claims: &'a Map<String, Value>,
        /// The issuer's active key.
        key: &'a SigningKey,
        /// The Credential Issuer Identifier (`iss`).
        issuer: &'a str,
        /// `vct#integrity`, when the type metadata is known.
        vct_integrity: Option<&'a str>,
    },
    /// mdocs signed by the document signer.
    Mdoc {
        /// The configuration.
        configuration: &'a MdocConfiguration,
        /// The offer's claims as CBOR data elements, shared by every copy.
        elements: DataElements,
        /// The document signer (its certificate becomes `x5chain`).
        key: &'a SigningKey,
    },
}

impl<'a> CredentialSigner<'a> {
    /// Prepares signing `configuration` with the offer's `claims`.
    pub fn prepare(
        keys: SignerKeys<'a>,
        configuration: CatalogEntry<'a>,
        claims: &'a Map<String, Value>,
    ) -> Result<Self, MintError> {
        Ok(match configuration {
            CatalogEntry::SdJwt(configuration) => CredentialSigner::SdJwt {
                configuration,
                claims,
                key: keys.issuer_key,
                issuer: keys.issuer,
                vct_integrity: keys.vct_integrity,
            },
            CatalogEntry::Mdoc(configuration) => CredentialSigner::Mdoc {
                configuration,
                elements: DataElements::from_claims(configuration, claims).map_err(mdoc_error)?,
                key: keys.document_signer.ok_or(MintError::Internal(
                    "mdoc configuration without a document signer".into(),
                ))?,
            },
        })
    }

    /// How long a credential of this configuration is valid, in seconds.
    pub fn validity_seconds(&self) -> u64 {
        match self {
            CredentialSigner::SdJwt { configuration, .. } => configuration.validity_seconds,
            CredentialSigner::Mdoc { configuration, .. } => configuration.validity_seconds,
        }
    }

    /// Whether credentials of this format carry a `status` (both do: the SD-JWT VC's
    /// `status` claim, the mdoc's MSO `status`).
    pub fn carries_status(&self) -> bool {
        true
    }

    /// One credential bound to `proof`'s key, valid from `issued_at` to `expires_at`, with
    /// `status` where the format carries one: the Credential Response's `credential` value
    /// (compact SD-JWT VC, or base64url of the CBOR `IssuerSigned`).
    pub fn sign(
        &self,
        proof: &VerifiedProof,
        status: Option<&StatusReference>,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<String, MintError> {
        match self {
            CredentialSigner::SdJwt {
                configuration,
                claims,
                key,
                issuer,
                vct_integrity,
            } => issue_sd_jwt_vc(
                key,
                &SdJwtVcInput {
                    issuer,
                    vct: &configuration.vct,
                    vct_integrity: *vct_integrity,
                    issued_at: issued_at.timestamp(),
                    expires_at: expires_at.timestamp(),
                    holder_jwk: &proof.holder_jwk,
                    claims,
                    definitions: &configuration.claims,
                    status,
                },
            )
            .map(|issued| issued.compact)
            .map_err(|e| match e {
                IssueError::HolderKey(reason) => MintError::HolderKey(reason.to_string()),
                other => MintError::Internal(other.to_string()),
            }),
            CredentialSigner::Mdoc {
                configuration,
                elements,
                key,
            } => issue_mdoc(
                key,
                &MdocInput {
                    doc_type: &configuration.doctype,
                    elements,
                    holder_jwk: &proof.holder_jwk,
                    validity: ValidityInfo {
                        signed: issued_at.timestamp(),
                        valid_from: issued_at.timestamp(),
                        valid_until: expires_at.timestamp(),
                    },
                    status,
                },
                &mut rand::rngs::OsRng,
            )
            .map(|issued| issued.credential())
            .map_err(mdoc_error),
        }
    }
}

/// A holder key that cannot be a `deviceKey` is the wallet's problem; claims that no
/// longer fit a changed configuration deny the request; the rest is ours.
fn mdoc_error(error: MdocError) -> MintError {
    match error {
        MdocError::HolderKey(reason) => MintError::HolderKey(reason.to_string()),
        MdocError::Claims(problems) => MintError::ClaimsMisfit(problems.len()),
        other => MintError::Internal(other.to_string()),
    }
}
