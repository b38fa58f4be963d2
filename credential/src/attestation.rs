//! Attestations signed by a third party whose certificate chains to a configured trust
//! anchor: wallet (client) attestations used for client authentication (OAuth 2.0
//! Attestation-Based Client Authentication, draft -07; HAIP 1.0 §4.3) in [`client`], and
//! key attestations of holder keys (OID4VCI 1.0 Appendix D) in [`key`].
//!
//! Both are JWTs with an `x5c` header (HAIP §4.3.1, §5.4: the chain must not contain the
//! trust anchor, and the signing certificate must not be self-signed). The chain is
//! validated with OpenSSL's `X509Store` against the anchors; validity periods are checked
//! against the caller's clock, not the system's.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openssl::asn1::Asn1Time;
use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509StoreContext, X509};
use serde_json::{Map, Value};

pub mod client;
pub mod key;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

/// Longest accepted attestation JWT (a chain of a few certificates).
const MAX_ATTESTATION_BYTES: usize = 32 * 1024;

/// Algorithms an attestation's certificate key may sign with.
pub const ATTESTATION_SIGNING_ALGS: &[&str] = &["ES256", "ES384"];

/// Why an attestation (or its proof of possession) was refused. Reasons name no values
/// from the attestation: they end up in `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    /// Not a compact JWS with JSON header and payload, or too large.
    #[error("{0}")]
    Malformed(String),
    /// The `typ` header is not the expected one.
    #[error("{0}")]
    Type(String),
    /// `alg` is absent, `none` or not supported.
    #[error("{0}")]
    Algorithm(String),
    /// The `x5c` header is missing or holds no certificate.
    #[error("{0}")]
    MissingChain(String),
    /// The `x5c` chain includes a trust anchor (HAIP: the anchor is never sent).
    #[error("the x5c chain must not include the trust anchor")]
    AnchorIncluded,
    /// The signing certificate is self-signed.
    #[error("the x5c signing certificate must not be self-signed")]
    SelfSigned,
    /// The chain does not lead to a configured trust anchor, or a certificate is not valid
    /// at this time.
    #[error("{0}")]
    UntrustedChain(String),
    /// The signature does not verify with the expected key.
    #[error("{0}")]
    Signature(String),
    /// `exp` is absent or in the past.
    #[error("{0}")]
    Expired(String),
    /// A required claim is absent or has the wrong type.
    #[error("{0}")]
    Claim(String),
    /// `sub` is not the client's identifier.
    #[error("{0}")]
    Subject(String),
    /// The proof of possession names another audience.
    #[error("{0}")]
    Audience(String),
    /// The proof of possession's `iat` is too old or in the future.
    #[error("{0}")]
    IssuedAt(String),
    /// The proof of possession does not carry the expected challenge.
    #[error("{0}")]
    Challenge(String),
    /// A key in the attestation is not a valid public JWK.
    #[error("{0}")]
    Key(String),
}

/// A problem with the configured trust anchors (start-up).
#[derive(Debug, thiserror::Error)]
#[error("trust anchor file {path}: {reason}")]
pub struct TrustAnchorError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// The certificates attestation chains must lead to.
pub struct TrustAnchors {
    store: X509Store,
    /// Their DER encodings, to refuse a chain that includes one.
    anchors: Vec<Vec<u8>>,
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustAnchors({} certificates)", self.anchors.len())
    }
}

impl TrustAnchors {
    /// Reads PEM files, each holding one or more anchor certificates.
    pub fn from_files(paths: &[PathBuf]) -> Result<TrustAnchors, TrustAnchorError> {
        let mut certificates = Vec::new();
        for path in paths {
            let failure = |reason: String| TrustAnchorError {
                path: path.clone(),
                reason,
            };
            let bytes = std::fs::read(path).map_err(|e| failure(e.to_string()))?;
            let found = X509::stack_from_pem(&bytes).map_err(|e| failure(e.to_string()))?;
            if found.is_empty() {
                return Err(failure("the file contains no PEM certificate".into()));
            }
            certificates.extend(found);
        }
        Self::new(certificates).map_err(|reason| TrustAnchorError {
            path: paths.first().cloned().unwrap_or_default(),
            reason,
        })
    }

    /// Anchors from PEM text (tests, embedding).
    pub fn from_pem(pem: &[u8]) -> Result<TrustAnchors, TrustAnchorError> {
        let failure = |reason: String| TrustAnchorError {
            path: Path::new("<memory>").to_path_buf(),
            reason,
        };
        let certificates = X509::stack_from_pem(pem).map_err(|e| failure(e.to_string()))?;
        Self::new(certificates).map_err(failure)
    }

    fn new(certificates: Vec<X509>) -> Result<TrustAnchors, String> {
        let mut builder = X509StoreBuilder::new().map_err(|e| e.to_string())?;
        // Validity periods are checked against the caller's clock (see `verify_chain`).
        builder
            .set_flags(X509VerifyFlags::NO_CHECK_TIME)
            .map_err(|e| e.to_string())?;
        let mut anchors = Vec::with_capacity(certificates.len());
        for certificate in certificates {
            anchors.push(certificate.to_der().map_err(|e| e.to_string())?);
            builder.add_cert(certificate).map_err(|e| e.to_string())?;
        }
        Ok(TrustAnchors {
            store: builder.build(),
            anchors,
        })
    }

    /// Validates `chain` (leaf first, as in `x5c`) at Unix time `now` and returns the leaf.
    fn verify_chain(&self, chain: &[X509], now: i64) -> Result<X509, AttestationError> {
        let untrusted = |reason: &str| AttestationError::UntrustedChain(reason.into());
        let leaf = chain
            .first()
            .ok_or_else(|| AttestationError::MissingChain("x5c holds no certificate".into()))?;
        for certificate in chain {
            let der = certificate
                .to_der()
                .map_err(|_| untrusted("an x5c certificate cannot be encoded"))?;
            if self.anchors.contains(&der) {
                return Err(AttestationError::AnchorIncluded);
            }
        }
        if is_self_signed(leaf) {
            return Err(AttestationError::SelfSigned);
        }
        let mut intermediates =
            Stack::new().map_err(|_| untrusted("the x5c chain cannot be processed"))?;
        for certificate in &chain[1..] {
            intermediates
                .push(certificate.clone())
                .map_err(|_| untrusted("the x5c chain cannot be processed"))?;
        }
        let mut context =
            X509StoreContext::new().map_err(|_| untrusted("the x5c chain cannot be processed"))?;
        let verified = context
            .init(&self.store, leaf, &intermediates, |context| {
                let valid = context.verify_cert()?;
                let times_ok = context
                    .chain()
                    .is_some_and(|path| path.iter().all(|certificate| valid_at(certificate, now)));
                Ok(valid && times_ok)
            })
            .map_err(|_| untrusted("the x5c chain cannot be processed"))?;
        if !verified {
            return Err(untrusted(
                "the x5c chain does not lead to a trusted anchor or a certificate is not valid now",
            ));
        }
        Ok(leaf.clone())
    }
}

fn is_self_signed(certificate: &X509) -> bool {
    let same_names = match (
        certificate.subject_name().to_der(),
        certificate.issuer_name().to_der(),
    ) {
        (Ok(subject), Ok(issuer)) => subject == issuer,
        _ => false,
    };
    same_names
        && certificate
            .public_key()
            .and_then(|key| certificate.verify(&key))
            .unwrap_or(false)
}

fn valid_at(certificate: &openssl::x509::X509Ref, now: i64) -> bool {
    let Ok(now) = Asn1Time::from_unix(now) else {
        return false;
    };
    certificate.not_before() <= now && now <= certificate.not_after()
}

/// Verifies a JWT of `typ` signed by the leaf of its `x5c` chain, which must lead to
/// `anchors`; checks `exp` (required, in the future) against `now`.
fn verify_attested_jwt(
    jwt: &str,
    typ: &str,
    anchors: &TrustAnchors,
    now: i64,
) -> Result<Map<String, Value>, AttestationError> {
    if jwt.len() > MAX_ATTESTATION_BYTES {
        return Err(AttestationError::Malformed(format!(
            "the attestation is larger than {MAX_ATTESTATION_BYTES} bytes"
        )));
    }
    let header = decode_part(jwt, 0)?;
    if header.get("typ").and_then(Value::as_str) != Some(typ) {
        return Err(AttestationError::Type(format!("typ must be {typ}")));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .filter(|alg| ATTESTATION_SIGNING_ALGS.contains(alg))
        .ok_or_else(|| {
            AttestationError::Algorithm(format!(
                "alg must be one of {}",
                ATTESTATION_SIGNING_ALGS.join(", ")
            ))
        })?;
    if header.contains_key("crit") {
        return Err(AttestationError::Malformed(
            "crit header parameters are not supported".into(),
        ));
    }
    let chain = decode_x5c(&header)?;
    let leaf = anchors.verify_chain(&chain, now)?;
    let public_der = leaf
        .public_key()
        .and_then(|key| key.public_key_to_der())
        .map_err(|_| AttestationError::Signature("the x5c leaf key cannot be read".into()))?;
    let algorithm = match alg {
        "ES384" => josekit::jws::ES384,
        _ => josekit::jws::ES256,
    };
    let bad_signature =
        || AttestationError::Signature("the signature does not verify with the x5c leaf".into());
    let verifier = algorithm
        .verifier_from_der(&public_der)
        .map_err(|_| bad_signature())?;
    let (payload, _) =
        josekit::jws::deserialize_compact(jwt, &verifier).map_err(|_| bad_signature())?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| AttestationError::Malformed("the payload is not a JSON object".into()))?;
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now => {}
        Some(_) => {
            return Err(AttestationError::Expired(
                "the attestation has expired".into(),
            ))
        }
        None => {
            return Err(AttestationError::Expired(
                "the attestation has no numeric exp claim".into(),
            ))
        }
    }
    Ok(claims)
}

/// Part `index` of a compact JWS as a JSON object (not verified).
fn decode_part(jwt: &str, index: usize) -> Result<Map<String, Value>, AttestationError> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(AttestationError::Malformed(
            "not a compact JWS (three dot-separated parts)".into(),
        ));
    }
    URL_SAFE_NO_PAD
        .decode(parts[index])
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| AttestationError::Malformed("a JWS part is not base64url JSON".into()))
}

fn decode_x5c(header: &Map<String, Value>) -> Result<Vec<X509>, AttestationError> {
    let missing = || AttestationError::MissingChain("the header needs an x5c chain".into());
    let entries = header
        .get("x5c")
        .and_then(Value::as_array)
        .filter(|entries| !entries.is_empty())
        .ok_or_else(missing)?;
    entries
        .iter()
        .map(|entry| {
            entry
                .as_str()
                .and_then(|text| STANDARD.decode(text).ok())
                .and_then(|der| X509::from_der(&der).ok())
                .ok_or_else(|| {
                    AttestationError::MissingChain(
                        "x5c entries must be base64 DER certificates".into(),
                    )
                })
        })
        .collect()
}

/// A string claim, required.
fn string_claim(claims: &Map<String, Value>, name: &str) -> Result<String, AttestationError> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|value| !value.is_empty())
        .map(str::to_string)
        .ok_or_else(|| AttestationError::Claim(format!("the {name} claim is required")))
}

#[cfg(test)]
mod tests;
