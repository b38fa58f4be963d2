//! A test certificate authority and attestation builders (feature `test-support` and unit
//! tests): a root CA, certificates it issues, and wallet, PoP and key attestation JWTs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, ES256};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Name, X509};
use serde_json::{json, Value};

/// A certificate and its private key.
pub struct TestCertificate {
    /// The certificate.
    pub certificate: X509,
    /// Its key.
    pub key: PKey<Private>,
}

impl TestCertificate {
    /// A self-signed root CA named `name`, valid from `from` to `until` (Unix seconds).
    pub fn root(name: &str, from: i64, until: i64) -> TestCertificate {
        let key = new_key();
        let certificate = build(name, &key, None, true, from, until);
        TestCertificate { certificate, key }
    }

    /// A certificate named `name` issued by `self`, valid from `from` to `until`.
    pub fn issue(&self, name: &str, ca: bool, from: i64, until: i64) -> TestCertificate {
        let key = new_key();
        let certificate = build(name, &key, Some(self), ca, from, until);
        TestCertificate { certificate, key }
    }

    /// The certificate as PEM (a trust anchor file).
    pub fn pem(&self) -> Vec<u8> {
        self.certificate.to_pem().unwrap()
    }

    /// The certificate as an `x5c` entry.
    pub fn x5c_entry(&self) -> String {
        STANDARD.encode(self.certificate.to_der().unwrap())
    }

    /// Signs `claims` as a compact JWS with header `typ` and `x5c` (ES256).
    pub fn sign(&self, typ: &str, x5c: &[&TestCertificate], claims: &Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        let chain: Vec<Value> = x5c.iter().map(|c| json!(c.x5c_entry())).collect();
        header.set_claim("x5c", Some(Value::Array(chain))).unwrap();
        let signer = ES256
            .signer_from_der(self.key.private_key_to_pkcs8().unwrap())
            .unwrap();
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
    }
}

/// A fresh P-256 key pair as a private JWK.
pub fn instance_key() -> Jwk {
    Jwk::generate_ec_key(EcCurve::P256).unwrap()
}

/// The public half of `key` as JSON.
pub fn public_json(key: &Jwk) -> Value {
    Value::Object(key.to_public_key().unwrap().as_ref().clone())
}

/// Signs `claims` with `key` as a JWS of `typ` (no key in the header).
pub fn sign_with(key: &Jwk, typ: &str, claims: &Value) -> String {
    let mut header = JwsHeader::new();
    header.set_token_type(typ);
    let signer = ES256.signer_from_jwk(key).unwrap();
    josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap()
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn build(
    name: &str,
    key: &PKey<Private>,
    issuer: Option<&TestCertificate>,
    ca: bool,
    from: i64,
    until: i64,
) -> X509 {
    let mut subject = X509Name::builder().unwrap();
    subject.append_entry_by_text("CN", name).unwrap();
    let subject = subject.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial()).unwrap();
    builder
        .set_serial_number(&Asn1Integer::from_bn(&serial).unwrap())
        .unwrap();
    builder.set_subject_name(&subject).unwrap();
    match issuer {
        Some(issuer) => builder
            .set_issuer_name(issuer.certificate.subject_name())
            .unwrap(),
        None => builder.set_issuer_name(&subject).unwrap(),
    }
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::from_unix(from).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::from_unix(until).unwrap())
        .unwrap();
    if ca {
        builder
            .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        builder
            .append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
    } else {
        builder
            .append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
    }
    let signing_key = issuer.map_or(key, |issuer| &issuer.key);
    builder.sign(signing_key, MessageDigest::sha256()).unwrap();
    builder.build()
}

fn rand_serial() -> u32 {
    let mut bytes = [0u8; 4];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    u32::from_be_bytes(bytes) >> 1
}
