//! Credential cryptography of the issuance engine.
//!
//! Everything that touches keys, signatures or SD-JWT encoding lives here, behind plain
//! functions that take their inputs (time included) as arguments:
//!
//! - [`jwk`]: RFC 7638 thumbprints and the check that a JWK holds no private members.
//! - [`keys`]: the issuer's ES256 signing keys — key files with rotation by `kid`, or a
//!   configured key with an `x5c` chain — the published JWKS, and generic compact JWS
//!   signing/verification for issuer-internal artefacts (audit checkpoints).
//! - [`sd_jwt`]: SD-JWT VC issuance (`dc+sd-jwt`, RFC 9901 and SD-JWT VC draft -13) driven
//!   by the credential configuration's claim definitions: nested objects, array elements,
//!   recursive disclosures, sorted digests with decoys.
//! - [`mdoc`]: ISO/IEC 18013-5 mdoc issuance (`mso_mdoc`): `IssuerSigned` with salted
//!   items, the MSO and its COSE_Sign1 `issuerAuth`; a development IACA / document signer
//!   certificate generator.
//! - [`proof`]: verification of OpenID4VCI 1.0 `jwt` key proofs (Appendix F). The nonce is
//!   returned for the caller to consume atomically; nothing about wallet keys is cached.
//! - [`attestation`]: wallet (client) attestations and key attestations, JWTs whose
//!   `x5c` chain must lead to a configured trust anchor.
//! - [`dpop`]: verification of DPoP proofs (RFC 9449), sharing the proof verifier's core.
//! - [`status_list`]: IETF Token Status Lists: the encoded list, its JWT and CWT tokens,
//!   the credential's `status` claim, and the keyed permutation that allocates indexes.
//!
//! Signing keys are parsed once and kept as josekit signers; wallet keys are parsed per
//! proof and dropped.

pub mod attestation;
pub mod dpop;
pub mod jwk;
pub mod keys;
pub mod mdoc;
pub mod proof;
pub mod sd_jwt;
pub mod status_list;

#[cfg(test)]
mod parser_properties;

pub use attestation::client::{
    verify_client_attestation, ClientAttestationExpectations, VerifiedClientAttestation,
    CLIENT_ATTESTATION_POP_TYP, CLIENT_ATTESTATION_TYP,
};
pub use attestation::key::{verify_key_attestation, VerifiedKeyAttestation, KEY_ATTESTATION_TYP};
pub use attestation::{AttestationError, TrustAnchorError, TrustAnchors};
pub use dpop::{verify_dpop_proof, DpopExpectations, VerifiedDpopProof, DPOP_TYP};
pub use jwk::{ensure_public, thumbprint, JwkError};
pub use keys::{decode_x5c, Es256Signer, IssuerKeys, KeyError, PrivateKey, SignError, SigningKey};
pub use mdoc::{issue_mdoc, DataElements, IssuedMdoc, MdocError, MdocInput, ValidityInfo};
pub use proof::{verify_proof_jwt, ProofError, ProofExpectations, VerifiedProof, PROOF_TYP};
pub use sd_jwt::{
    disclosure_digest, issue_sd_jwt_vc, IssueError, IssuedSdJwt, SdJwtVcInput, SD_JWT_VC_TYP,
};
pub use status_list::{StatusListError, StatusReference};

/// Re-exported so callers name the same `Jwk` type this crate uses.
pub use josekit::jwk::Jwk;
