//! A development IACA root and document signer (DS) certificate for mdoc issuance without
//! any PKI set-up, shaped as ISO/IEC 18013-5 Annex B asks (B.1.2 IACA, B.1.4 DS) as far as
//! a self-contained generator can: random 128-bit serials, country and common name, key
//! usages, `basicConstraints` on the root, the DS extended key usage `1.0.18013.5.1.2`, key
//! identifiers, an issuer alternative name and, when given, a CRL distribution point.
//!
//! Both common names say `DEVELOPMENT - NOT FOR PRODUCTION`: wallets must be told to trust
//! this root explicitly, and nothing else should.

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::KeyPair;
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Extension, X509Name, X509};

use crate::keys::{KeyError, SigningKey};

/// The label every generated common name carries.
pub const DEVELOPMENT_LABEL: &str = "DEVELOPMENT - NOT FOR PRODUCTION";

/// Extended key usage of mDL document signers (ISO 18013-5 Annex B, `id-mdl-kp-mdlDS`).
pub const EKU_MDL_DOCUMENT_SIGNER: &str = "1.0.18013.5.1.2";

const IACA_VALIDITY_DAYS: i64 = 3 * 365;
const DS_VALIDITY_DAYS: i64 = 365;
const SECONDS_PER_DAY: i64 = 86_400;

/// What the development chain names.
#[derive(Debug, Clone, Copy)]
pub struct DevelopmentChainRequest<'a> {
    /// ISO 3166-1 alpha-2 country code, upper case (`countryName` of both certificates).
    pub country: &'a str,
    /// The issuing organisation (`organizationName`, and the start of both common names).
    pub organization: &'a str,
    /// An https URL naming the issuer: the issuer alternative name of both certificates.
    pub issuer_url: &'a str,
    /// Where the root's CRL would be served, if anywhere (`cRLDistributionPoints`).
    pub crl_url: Option<&'a str>,
    /// Start of validity, Unix seconds (the root lasts three years, the DS one).
    pub not_before: i64,
}

/// A generated chain, as PEM. The private keys are only as safe as where the caller writes
/// them (owner-only files).
#[derive(Clone)]
pub struct DevelopmentChain {
    /// The IACA root certificate: what a wallet or verifier is told to trust.
    pub iaca_certificate_pem: String,
    /// The IACA private key (PKCS#8), to sign further DS certificates; may be discarded.
    pub iaca_private_key_pem: String,
    /// The document signer certificate, signed by the IACA.
    pub document_signer_certificate_pem: String,
    /// The document signer private key (PKCS#8, P-256).
    pub document_signer_private_key_pem: String,
}

impl std::fmt::Debug for DevelopmentChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevelopmentChain").finish_non_exhaustive()
    }
}

impl DevelopmentChain {
    /// The document signer as an issuer signing key whose `x5c` / `x5chain` is its
    /// certificate (the root stays out, as ISO 18013-5 and HAIP expect).
    pub fn document_signer(&self, created: i64) -> Result<SigningKey, KeyError> {
        let invalid = |e: String| KeyError::InvalidKey(e);
        let jwk = EcKeyPair::from_pem(
            self.document_signer_private_key_pem.as_bytes(),
            Some(EcCurve::P256),
        )
        .map_err(|e| invalid(e.to_string()))?
        .to_jwk_key_pair();
        let certificate = X509::from_pem(self.document_signer_certificate_pem.as_bytes())
            .and_then(|c| c.to_der())
            .map_err(|e| invalid(e.to_string()))?;
        SigningKey::from_private_jwk(&jwk, created, Some(vec![certificate]))
    }
}

/// Generates a P-256 IACA root and a P-256 document signer certificate it signs.
pub fn generate_development_chain(
    request: &DevelopmentChainRequest,
) -> Result<DevelopmentChain, KeyError> {
    let country = request.country;
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(KeyError::Generate(format!(
            "country {country:?} is not an ISO 3166-1 alpha-2 code"
        )));
    }
    if !request.issuer_url.starts_with("http") {
        return Err(KeyError::Generate(
            "issuer_url must be an http(s) URL".into(),
        ));
    }
    build(request).map_err(|e| KeyError::Generate(e.to_string()))
}

fn build(
    request: &DevelopmentChainRequest,
) -> Result<DevelopmentChain, openssl::error::ErrorStack> {
    let iaca_key = p256_key()?;
    let ds_key = p256_key()?;
    let iaca_name = name(
        request,
        &format!("{} IACA {DEVELOPMENT_LABEL}", request.organization),
    )?;
    let ds_name = name(
        request,
        &format!(
            "{} Document Signer {DEVELOPMENT_LABEL}",
            request.organization
        ),
    )?;

    let iaca_not_after = request.not_before + IACA_VALIDITY_DAYS * SECONDS_PER_DAY;
    let mut root = certificate_builder(
        &iaca_name,
        &iaca_name,
        &iaca_key,
        request.not_before,
        iaca_not_after,
    )?;
    root.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
    root.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()?,
    )?;
    let subject_key_id = SubjectKeyIdentifier::new().build(&root.x509v3_context(None, None))?;
    root.append_extension(subject_key_id)?;
    append_common_extensions(&mut root, request)?;
    root.sign(&iaca_key, MessageDigest::sha256())?;
    let root = root.build();

    let ds_not_after =
        (request.not_before + DS_VALIDITY_DAYS * SECONDS_PER_DAY).min(iaca_not_after);
    let mut ds = certificate_builder(
        &ds_name,
        &iaca_name,
        &ds_key,
        request.not_before,
        ds_not_after,
    )?;
    ds.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    ds.append_extension(
        ExtendedKeyUsage::new()
            .critical()
            .other(EKU_MDL_DOCUMENT_SIGNER)
            .build()?,
    )?;
    let subject_key_id =
        SubjectKeyIdentifier::new().build(&ds.x509v3_context(Some(&root), None))?;
    ds.append_extension(subject_key_id)?;
    let authority_key_id = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&ds.x509v3_context(Some(&root), None))?;
    ds.append_extension(authority_key_id)?;
    append_common_extensions(&mut ds, request)?;
    ds.sign(&iaca_key, MessageDigest::sha256())?;
    let ds = ds.build();

    Ok(DevelopmentChain {
        iaca_certificate_pem: pem_text(root.to_pem()?),
        iaca_private_key_pem: pem_text(iaca_key.private_key_to_pem_pkcs8()?),
        document_signer_certificate_pem: pem_text(ds.to_pem()?),
        document_signer_private_key_pem: pem_text(ds_key.private_key_to_pem_pkcs8()?),
    })
}

fn p256_key() -> Result<PKey<Private>, openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

fn name(
    request: &DevelopmentChainRequest,
    common_name: &str,
) -> Result<X509Name, openssl::error::ErrorStack> {
    let mut name = X509Name::builder()?;
    name.append_entry_by_nid(Nid::COUNTRYNAME, request.country)?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, request.organization)?;
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)?;
    Ok(name.build())
}

/// Version 3, a random positive 128-bit serial (Annex B: at least 63 bits of entropy, at
/// most 20 octets), names, validity and the subject's public key.
fn certificate_builder(
    subject: &X509Name,
    issuer: &X509Name,
    key: &PKey<Private>,
    not_before: i64,
    not_after: i64,
) -> Result<X509Builder, openssl::error::ErrorStack> {
    let mut builder = X509Builder::new()?;
    builder.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(128, MsbOption::MAYBE_ZERO, false)?;
    builder.set_serial_number(Asn1Integer::from_bn(&serial)?.as_ref())?;
    builder.set_subject_name(subject)?;
    builder.set_issuer_name(issuer)?;
    builder.set_not_before(Asn1Time::from_unix(not_before)?.as_ref())?;
    builder.set_not_after(Asn1Time::from_unix(not_after)?.as_ref())?;
    builder.set_pubkey(key)?;
    Ok(builder)
}

/// `issuerAltName` (URI) and, when a CRL URL is given, `cRLDistributionPoints`, both
/// non-critical; openssl has no builder for either, so their DER is written here.
fn append_common_extensions(
    builder: &mut X509Builder,
    request: &DevelopmentChainRequest,
) -> Result<(), openssl::error::ErrorStack> {
    builder.append_extension(der_extension(
        "2.5.29.18",
        &general_names_uri(request.issuer_url),
    )?)?;
    if let Some(crl_url) = request.crl_url {
        // CRLDistributionPoints ::= SEQUENCE OF DistributionPoint; DistributionPoint ::=
        // SEQUENCE { distributionPoint [0] { fullName [0] GeneralNames } }.
        let full_name = der(0xa0, &uri(crl_url));
        let distribution_point = der(0x30, &der(0xa0, &full_name));
        builder.append_extension(der_extension("2.5.29.31", &der(0x30, &distribution_point))?)?;
    }
    Ok(())
}

fn der_extension(oid: &str, contents: &[u8]) -> Result<X509Extension, openssl::error::ErrorStack> {
    let oid = Asn1Object::from_str(oid)?;
    let contents = Asn1OctetString::new_from_bytes(contents)?;
    X509Extension::new_from_der(&oid, false, &contents)
}

/// `GeneralNames` holding one `uniformResourceIdentifier`.
fn general_names_uri(url: &str) -> Vec<u8> {
    der(0x30, &uri(url))
}

/// `[6] IA5String` (a GeneralName's URI choice, implicitly tagged).
fn uri(url: &str) -> Vec<u8> {
    der(0x86, url.as_bytes())
}

/// One DER TLV with a definite length in the shortest form.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn pem_text(pem: Vec<u8>) -> String {
    String::from_utf8_lossy(&pem).into_owned()
}

#[cfg(test)]
mod tests;
