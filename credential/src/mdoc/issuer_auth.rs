//! The Mobile Security Object (ISO 18013-5 §9.1.2.4) and `issuerAuth`, its COSE_Sign1.

use crate::status_list::StatusReference;
use ciborium::value::Value;
use coset::{iana, AsCborValue, CoseSign1Builder, HeaderBuilder};

use super::cbor::{embedded, encode_as_is, entry, into_bytes, tdate};
use super::items::SignedNamespace;
use super::{MdocError, ValidityInfo};
use crate::keys::SigningKey;

/// COSE header label of `x5chain` (RFC 9360 §2).
pub const HEADER_X5CHAIN: i64 = 33;

/// The MSO version this issuer writes.
pub const MSO_VERSION: &str = "1.0";

/// The digest algorithm of `valueDigests`.
pub const DIGEST_ALGORITHM: &str = "SHA-256";

/// `MobileSecurityObject`, encoded: version, digest algorithm, the value digests of every
/// namespace, the device key, the document type and the validity.
pub fn mobile_security_object(
    namespaces: &[SignedNamespace],
    device_key: Value,
    doc_type: &str,
    validity: &ValidityInfo,
    status: Option<&StatusReference>,
) -> Result<Vec<u8>, MdocError> {
    let value_digests = namespaces
        .iter()
        .map(|namespace| {
            let digests = namespace
                .digests
                .iter()
                .map(|(id, digest)| (Value::from(*id), Value::Bytes(digest.to_vec())))
                .collect();
            (Value::Text(namespace.name.clone()), Value::Map(digests))
        })
        .collect();
    let mut mso = vec![
        entry("version", Value::Text(MSO_VERSION.into())),
        entry("digestAlgorithm", Value::Text(DIGEST_ALGORITHM.into())),
        entry("valueDigests", Value::Map(value_digests)),
        entry(
            "deviceKeyInfo",
            Value::Map(vec![entry("deviceKey", device_key)]),
        ),
        entry("docType", Value::Text(doc_type.into())),
        entry(
            "validityInfo",
            Value::Map(vec![
                entry("signed", tdate(validity.signed)?),
                entry("validFrom", tdate(validity.valid_from)?),
                entry("validUntil", tdate(validity.valid_until)?),
            ]),
        ),
    ];
    if let Some(status) = status {
        mso.push(entry("status", status.to_cbor()));
    }
    into_bytes(Value::Map(mso))
}

/// `issuerAuth`: an untagged COSE_Sign1 with `alg` ES256 in the protected header, the
/// document signer's certificate chain as `x5chain` in the unprotected header (one
/// certificate as a byte string, several as an array, RFC 9360 §2), and the payload
/// `#6.24(bstr .cbor MobileSecurityObject)`. The signature is raw R || S, no DER.
pub fn issuer_auth(key: &SigningKey, mso: Vec<u8>) -> Result<Value, MdocError> {
    let chain = key
        .x5c()
        .filter(|chain| !chain.is_empty())
        .ok_or(MdocError::MissingCertificate)?;
    let x5chain = match chain {
        [single] => Value::Bytes(single.clone()),
        several => Value::Array(several.iter().cloned().map(Value::Bytes).collect()),
    };
    let payload = encode_as_is(&embedded(mso))?;
    let sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .unprotected(HeaderBuilder::new().value(HEADER_X5CHAIN, x5chain).build())
        .payload(payload)
        .try_create_signature(b"", |to_be_signed| key.sign_bytes(to_be_signed))?
        .build();
    sign1
        .to_cbor_value()
        .map_err(|e| MdocError::Encoding(e.to_string()))
}
