//! The holder's proof key (a JWK) as the COSE_Key of `deviceKeyInfo.deviceKey` (RFC 9052
//! §7, RFC 9053 §7): EC2 on P-256, P-384 or P-521, and OKP Ed25519 — the keys `jwt`
//! proofs are accepted with.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value;
use coset::{iana, AsCborValue, CoseKeyBuilder};
use josekit::jwk::Jwk;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcPoint};
use openssl::nid::Nid;

use super::MdocError;
use crate::jwk::ensure_public;

/// Converts a public JWK into a COSE_Key with only `kty`, `crv`, `x` (and `y`): no `kid` or
/// `alg`, which the proof's JWK may carry but the MSO has no use for. EC points must lie on
/// their curve.
pub fn cose_key_from_jwk(jwk: &Jwk) -> Result<Value, MdocError> {
    ensure_public(jwk).map_err(|e| MdocError::HolderKey(e.to_string()))?;
    let key = match (jwk.key_type(), jwk.curve()) {
        ("EC", Some(crv)) => {
            let (curve, nid, size) = match crv {
                "P-256" => (iana::EllipticCurve::P_256, Nid::X9_62_PRIME256V1, 32),
                "P-384" => (iana::EllipticCurve::P_384, Nid::SECP384R1, 48),
                "P-521" => (iana::EllipticCurve::P_521, Nid::SECP521R1, 66),
                _ => return Err(unsupported(jwk)),
            };
            let x = coordinate(jwk, "x", size)?;
            let y = coordinate(jwk, "y", size)?;
            check_on_curve(nid, &x, &y)?;
            CoseKeyBuilder::new_ec2_pub_key(curve, x, y).build()
        }
        ("OKP", Some("Ed25519")) => CoseKeyBuilder::new_okp_key()
            .param(
                iana::OkpKeyParameter::Crv as i64,
                Value::from(iana::EllipticCurve::Ed25519 as u64),
            )
            .param(
                iana::OkpKeyParameter::X as i64,
                Value::Bytes(coordinate(jwk, "x", 32)?),
            )
            .build(),
        _ => return Err(unsupported(jwk)),
    };
    key.to_cbor_value()
        .map_err(|e| MdocError::Encoding(e.to_string()))
}

fn unsupported(jwk: &Jwk) -> MdocError {
    MdocError::HolderKey(format!(
        "a {} key on {} cannot be a device key; use EC P-256, P-384, P-521 or OKP Ed25519",
        jwk.key_type(),
        jwk.curve().unwrap_or("no curve")
    ))
}

/// The base64url member `name`, exactly `size` bytes long.
fn coordinate(jwk: &Jwk, name: &str, size: usize) -> Result<Vec<u8>, MdocError> {
    jwk.parameter(name)
        .and_then(|value| value.as_str())
        .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
        .filter(|bytes| bytes.len() == size)
        .ok_or_else(|| {
            MdocError::HolderKey(format!("member {name:?} must be {size} base64url bytes"))
        })
}

fn check_on_curve(nid: Nid, x: &[u8], y: &[u8]) -> Result<(), MdocError> {
    let invalid = |_| MdocError::HolderKey("the EC point is not on its curve".into());
    // Building a group costs about as much as the check; they are immutable, so one each.
    static GROUPS: OnceLock<[Option<EcGroup>; 3]> = OnceLock::new();
    let groups = GROUPS.get_or_init(|| {
        [Nid::X9_62_PRIME256V1, Nid::SECP384R1, Nid::SECP521R1]
            .map(|nid| EcGroup::from_curve_name(nid).ok())
    });
    let group = [Nid::X9_62_PRIME256V1, Nid::SECP384R1, Nid::SECP521R1]
        .iter()
        .position(|candidate| *candidate == nid)
        .and_then(|i| groups[i].as_ref())
        .ok_or_else(|| MdocError::HolderKey("unsupported curve".into()))?;
    let mut context = BigNumContext::new().map_err(invalid)?;
    let mut encoded = Vec::with_capacity(1 + x.len() + y.len());
    encoded.push(0x04);
    encoded.extend_from_slice(x);
    encoded.extend_from_slice(y);
    EcPoint::from_bytes(group, &encoded, &mut context).map_err(invalid)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jwk::alg::ec::EcCurve;
    use josekit::jwk::alg::ed::EdCurve;

    fn label(key: &Value, label: i64) -> Option<&Value> {
        key.as_map()?
            .iter()
            .find(|(k, _)| k.as_integer() == Some(label.into()))
            .map(|(_, v)| v)
    }

    #[test]
    fn ec_keys_become_ec2_with_their_curve() {
        for (curve, crv, size) in [
            (EcCurve::P256, 1, 32),
            (EcCurve::P384, 2, 48),
            (EcCurve::P521, 3, 66),
        ] {
            let mut jwk = Jwk::generate_ec_key(curve)
                .unwrap()
                .to_public_key()
                .unwrap();
            jwk.set_key_id("wallet-key");
            let key = cose_key_from_jwk(&jwk).unwrap();
            assert_eq!(key.as_map().unwrap().len(), 4, "kty, crv, x, y only");
            assert_eq!(label(&key, 1), Some(&Value::from(2u64)), "kty EC2");
            assert_eq!(label(&key, -1), Some(&Value::from(crv as u64)));
            let x = URL_SAFE_NO_PAD
                .decode(jwk.parameter("x").unwrap().as_str().unwrap())
                .unwrap();
            assert_eq!(label(&key, -2), Some(&Value::Bytes(x)));
            assert_eq!(label(&key, -3).unwrap().as_bytes().unwrap().len(), size);
        }
    }

    #[test]
    fn ed25519_becomes_okp() {
        let jwk = Jwk::generate_ed_key(EdCurve::Ed25519)
            .unwrap()
            .to_public_key()
            .unwrap();
        let key = cose_key_from_jwk(&jwk).unwrap();
        assert_eq!(label(&key, 1), Some(&Value::from(1u64)), "kty OKP");
        assert_eq!(label(&key, -1), Some(&Value::from(6u64)), "crv Ed25519");
        assert_eq!(label(&key, -2).unwrap().as_bytes().unwrap().len(), 32);
        assert!(label(&key, -3).is_none());
    }

    #[test]
    fn private_unsupported_and_malformed_keys_are_refused() {
        let private = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        assert!(matches!(
            cose_key_from_jwk(&private),
            Err(MdocError::HolderKey(_))
        ));
        let secp256k1 = Jwk::generate_ec_key(EcCurve::Secp256k1)
            .unwrap()
            .to_public_key()
            .unwrap();
        assert!(cose_key_from_jwk(&secp256k1).is_err());
        let ed448 = Jwk::generate_ed_key(EdCurve::Ed448)
            .unwrap()
            .to_public_key()
            .unwrap();
        assert!(cose_key_from_jwk(&ed448).is_err());

        let mut off_curve = private.to_public_key().unwrap().as_ref().clone();
        off_curve.insert("y".into(), URL_SAFE_NO_PAD.encode([1u8; 32]).into());
        let off_curve = Jwk::from_map(off_curve).unwrap();
        assert!(matches!(
            cose_key_from_jwk(&off_curve),
            Err(MdocError::HolderKey(reason)) if reason.contains("curve")
        ));
        let mut short = private.to_public_key().unwrap().as_ref().clone();
        short.insert("x".into(), URL_SAFE_NO_PAD.encode([1u8; 31]).into());
        assert!(cose_key_from_jwk(&Jwk::from_map(short).unwrap()).is_err());
    }
}
