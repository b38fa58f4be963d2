//! The issuer's credential request encryption key (OID4VCI 1.0 §8.2, §10): an ECDH-ES
//! P-256 key wallets encrypt credential requests to, published in the metadata's
//! `credential_request_encryption.jwks`. It is derived from the server secret, so every
//! node of a deployment has the same key without storing or distributing one; rotating the
//! server secret rotates it.

use josekit::jwe::ECDH_ES;
use josekit::jwk::Jwk;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::nid::Nid;
use openssl::pkey::PKey;

use super::server_secret::ServerSecret;

/// Why the key could not be derived (a failure of the cryptographic library).
#[derive(Debug, thiserror::Error)]
#[error("cannot derive the request encryption key: {0}")]
pub struct DerivationError(String);

fn failed(error: impl std::fmt::Display) -> DerivationError {
    DerivationError(error.to_string())
}

/// The private key (JWK with `kid`, `use: enc`, `alg: ECDH-ES`).
pub fn derive(secret: &ServerSecret) -> Result<Jwk, DerivationError> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(failed)?;
    let mut context = BigNumContext::new().map_err(failed)?;
    let mut order = BigNum::new().map_err(failed)?;
    group.order(&mut order, &mut context).map_err(failed)?;
    // d = 1 + (MAC mod (n - 1)): a valid scalar, uniformly enough for a 256-bit MAC.
    let mac = secret.mac("credential-request-encryption-key", &[]);
    let one = BigNum::from_u32(1).map_err(failed)?;
    let mut n_minus_one = BigNum::new().map_err(failed)?;
    n_minus_one.checked_sub(&order, &one).map_err(failed)?;
    let mac = BigNum::from_slice(&mac).map_err(failed)?;
    let mut d = BigNum::new().map_err(failed)?;
    d.nnmod(&mac, &n_minus_one, &mut context).map_err(failed)?;
    d.add_word(1).map_err(failed)?;
    let mut public = EcPoint::new(&group).map_err(failed)?;
    public
        .mul_generator2(&group, &d, &mut context)
        .map_err(failed)?;
    let key = EcKey::from_private_components(&group, &d, &public).map_err(failed)?;
    let der = PKey::from_ec_key(key)
        .and_then(|key| key.private_key_to_pkcs8())
        .map_err(failed)?;
    let pair = ECDH_ES.key_pair_from_ec_der(der).map_err(failed)?;
    let mut jwk = pair.to_jwk_key_pair();
    let kid = issuance_credential::thumbprint(&jwk).map_err(failed)?;
    jwk.set_key_id(kid);
    jwk.set_key_use("enc");
    jwk.set_algorithm("ECDH-ES");
    Ok(jwk)
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    fn secret(byte: u8) -> ServerSecret {
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([byte; 32]);
        ServerSecret::parse(&text, "test").unwrap()
    }

    #[test]
    fn the_key_follows_from_the_secret_alone() {
        let (a, b) = (derive(&secret(1)).unwrap(), derive(&secret(1)).unwrap());
        assert_eq!(a, b);
        assert_ne!(a.key_id(), derive(&secret(2)).unwrap().key_id());
        assert_eq!(a.curve(), Some("P-256"));
        assert!(a.parameter("d").is_some());
        assert_eq!(a.key_use(), Some("enc"));
    }
}
