//! A load-check of issued mdocs: `issuerAuth` (COSE_Sign1, ES256) verifies under the
//! document signer certificate it carries in `x5chain`. The trust chain to the IACA and
//! the item digests are the interop tests' job; this only catches broken signatures.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value;
use coset::{CborSerializable, CoseSign1};
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::sha::sha256;
use openssl::x509::X509;

/// COSE header label of `x5chain` (RFC 9360).
const X5CHAIN: i64 = 33;

/// Whether the base64url `IssuerSigned` in `credential` carries a valid `issuerAuth`.
pub fn issuer_auth_verifies(credential: &str) -> bool {
    check(credential).unwrap_or(false)
}

fn check(credential: &str) -> Option<bool> {
    let bytes = URL_SAFE_NO_PAD.decode(credential).ok()?;
    let issuer_signed: Value = ciborium::from_reader(bytes.as_slice()).ok()?;
    let issuer_auth = issuer_signed
        .as_map()?
        .iter()
        .find(|(key, _)| key.as_text() == Some("issuerAuth"))?
        .1
        .clone();
    let mut encoded = Vec::new();
    ciborium::into_writer(&issuer_auth, &mut encoded).ok()?;
    let sign1 = CoseSign1::from_slice(&encoded).ok()?;
    let leaf = sign1
        .unprotected
        .rest
        .iter()
        .find(|(label, _)| *label == coset::Label::Int(X5CHAIN))
        .and_then(|(_, value)| match value {
            Value::Bytes(der) => Some(der.clone()),
            Value::Array(chain) => chain.first()?.as_bytes().cloned(),
            _ => None,
        })?;
    let key = X509::from_der(&leaf)
        .ok()?
        .public_key()
        .ok()?
        .ec_key()
        .ok()?;
    Some(
        sign1
            .verify_signature(b"", |signature, data| {
                let valid = signature.len() == 64
                    && BigNum::from_slice(&signature[..32])
                        .and_then(|r| Ok((r, BigNum::from_slice(&signature[32..])?)))
                        .and_then(|(r, s)| EcdsaSig::from_private_components(r, s))
                        .and_then(|sig| sig.verify(&sha256(data), &key))
                        .unwrap_or(false);
                if valid {
                    Ok(())
                } else {
                    Err(())
                }
            })
            .is_ok(),
    )
}
