//! SD-JWT VC issuance (RFC 9901; SD-JWT VC draft -13, the version HAIP pins).
//!
//! Output: `<issuer-JWT>~<disclosure>~...~` with header `typ: dc+sd-jwt`, `alg`, `kid`
//! (and `x5c` with a configured chain). Which claims become disclosures is decided by the
//! credential configuration's claim definitions; claims without a definition are plain.

mod disclosure;
mod encoder;

use std::fmt;

use issuance_domain::credential_config::ClaimDefinition;
use josekit::jwk::Jwk;
use josekit::jws::JwsHeader;
use serde_json::{Map, Value};

pub use disclosure::disclosure_digest;

use crate::jwk::{ensure_public, thumbprint, JwkError};
use crate::keys::{SignError, SigningKey};
use crate::status_list::StatusReference;
use encoder::Encoder;

/// The media type's `typ` header value (SD-JWT VC -13 §3.2.1).
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";

/// Claims the issuer sets itself or that SD-JWT VC forbids from being disclosable; none
/// may appear in the input claims (defined with the configurations that must not name them).
pub use issuance_domain::credential_config::RESERVED_CLAIMS;

/// What goes into one SD-JWT VC.
///
/// `Debug` shows claim names only, never their values (personal data).
#[derive(Clone, Copy)]
pub struct SdJwtVcInput<'a> {
    /// `iss`: the Credential Issuer Identifier.
    pub issuer: &'a str,
    /// `vct`: the credential type.
    pub vct: &'a str,
    /// `vct#integrity`: W3C SRI string of the type metadata document (-13 §7), never
    /// selectively disclosable. `None` when no integrity is known.
    pub vct_integrity: Option<&'a str>,
    /// `iat`, Unix seconds.
    pub issued_at: i64,
    /// `exp`, Unix seconds; must be after `issued_at`.
    pub expires_at: i64,
    /// The holder's public key, embedded as `cnf.jwk` (from the verified proof).
    pub holder_jwk: &'a Jwk,
    /// The credential subject's claims (the offer's claims).
    pub claims: &'a Map<String, Value>,
    /// The configuration's claim definitions: `selectively_disclosable` decides.
    pub definitions: &'a [ClaimDefinition],
    /// `status`: where the credential's revocation status is published (never
    /// selectively disclosable). `None` for credentials without status.
    pub status: Option<&'a StatusReference>,
}

/// An issued SD-JWT VC.
///
/// `Debug` redacts the credential itself, so it cannot end up in logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedSdJwt {
    /// Compact serialisation with every disclosure and the trailing `~`.
    pub compact: String,
    /// How many disclosures `compact` carries (decoys not counted).
    pub disclosure_count: usize,
}

impl fmt::Debug for SdJwtVcInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdJwtVcInput")
            .field("issuer", &self.issuer)
            .field("vct", &self.vct)
            .field("vct_integrity", &self.vct_integrity)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("claim_names", &self.claims.keys().collect::<Vec<_>>())
            .field("definitions", &self.definitions.len())
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for IssuedSdJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedSdJwt")
            .field(
                "compact",
                &format_args!("[redacted, {} bytes]", self.compact.len()),
            )
            .field("disclosure_count", &self.disclosure_count)
            .finish()
    }
}

/// Why a credential could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// A claim name is reserved (`iss`, `cnf`, `_sd`, ...); the path is given.
    #[error("claim {0:?} is reserved and cannot be issued as a credential claim")]
    ReservedClaim(String),
    /// The holder key is unusable (private, or of an unsupported type).
    #[error("holder key: {0}")]
    HolderKey(#[from] JwkError),
    /// Other input problems (validity period, empty issuer or type).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// JSON serialisation failed.
    #[error("serialisation failed: {0}")]
    Serialization(String),
    /// The issuer key failed to sign.
    #[error(transparent)]
    Signing(#[from] SignError),
}

/// Issues an SD-JWT VC signed by `key`.
pub fn issue_sd_jwt_vc(key: &SigningKey, input: &SdJwtVcInput) -> Result<IssuedSdJwt, IssueError> {
    check_input(input)?;

    let mut encoder = Encoder::new(input.definitions);
    let subject = encoder.object(input.claims, &mut Vec::new())?;

    let mut payload = Map::new();
    payload.insert("iss".into(), Value::from(input.issuer));
    payload.insert("iat".into(), Value::from(input.issued_at));
    payload.insert("exp".into(), Value::from(input.expires_at));
    payload.insert("vct".into(), Value::from(input.vct));
    if let Some(integrity) = input.vct_integrity {
        payload.insert("vct#integrity".into(), Value::from(integrity));
    }
    let mut cnf = Map::new();
    cnf.insert(
        "jwk".into(),
        Value::Object(input.holder_jwk.as_ref().clone()),
    );
    payload.insert("cnf".into(), Value::Object(cnf));
    if let Some(status) = input.status {
        payload.insert("status".into(), status.to_claim());
    }
    payload.extend(subject);
    if !encoder.disclosures.is_empty() {
        payload.insert("_sd_alg".into(), Value::from("sha-256"));
    }

    let bytes =
        serde_json::to_vec(&payload).map_err(|e| IssueError::Serialization(e.to_string()))?;
    let mut header = JwsHeader::new();
    header.set_token_type(SD_JWT_VC_TYP);
    let jwt = key.sign(header, &bytes)?;

    let disclosure_count = encoder.disclosures.len();
    let mut compact = String::with_capacity(
        jwt.len()
            + 1
            + encoder
                .disclosures
                .iter()
                .map(|d| d.len() + 1)
                .sum::<usize>(),
    );
    compact.push_str(&jwt);
    compact.push('~');
    for disclosure in &encoder.disclosures {
        compact.push_str(disclosure);
        compact.push('~');
    }
    Ok(IssuedSdJwt {
        compact,
        disclosure_count,
    })
}

fn check_input(input: &SdJwtVcInput) -> Result<(), IssueError> {
    if let Some(name) = input
        .claims
        .keys()
        .find(|name| RESERVED_CLAIMS.contains(&name.as_str()))
    {
        return Err(IssueError::ReservedClaim(name.clone()));
    }
    if input.issuer.is_empty() || input.vct.is_empty() {
        return Err(IssueError::InvalidInput(
            "issuer and vct must not be empty".into(),
        ));
    }
    if input.expires_at <= input.issued_at {
        return Err(IssueError::InvalidInput("exp must be after iat".into()));
    }
    ensure_public(input.holder_jwk)?;
    thumbprint(input.holder_jwk)?; // only EC, OKP and RSA keys can be bound
    Ok(())
}
