//! An ES256 JWS signer over OpenSSL's low-level ECDSA.
//!
//! josekit's own signer goes through `EVP_DigestSign`, which in OpenSSL 3 fetches the digest
//! and the signature algorithm from the provider registry and builds a key context on every
//! call: about as much CPU as the signature itself. This one hashes with SHA-256 and calls
//! `ECDSA_do_sign` on the parsed key, and returns the JWS form of the signature (R || S,
//! 32 bytes each, RFC 7518 §3.4).

use std::fmt;

use josekit::jwk::alg::ec::EcKeyPair;
use josekit::jwk::Jwk;
use josekit::jws::{JwsAlgorithm, JwsSigner, ES256};
use josekit::JoseError;
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{PKey, Private};
use openssl::sha::sha256;

use super::KeyError;

/// Bytes of each of R and S for P-256.
const COORDINATE_BYTES: i32 = 32;

/// Signs with one P-256 private key, writing its `kid` (if any) into the headers it signs.
#[derive(Clone)]
pub struct Es256Signer {
    key: EcKey<Private>,
    kid: Option<String>,
}

impl Es256Signer {
    /// A signer for the private EC P-256 JWK `private`; `kid` is the JWK's `kid`, if any.
    pub fn from_jwk(private: &Jwk) -> Result<Es256Signer, KeyError> {
        let invalid = |reason: String| KeyError::InvalidKey(reason);
        if private.key_type() != "EC" || private.curve() != Some("P-256") {
            return Err(invalid("ES256 needs an EC P-256 key".into()));
        }
        let pair = EcKeyPair::from_jwk(private).map_err(|e| invalid(e.to_string()))?;
        let key = PKey::private_key_from_der(&pair.to_der_private_key())
            .and_then(|key| key.ec_key())
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Es256Signer {
            key,
            kid: private.key_id().map(str::to_string),
        })
    }

    /// The same signer writing `kid` into every header.
    pub fn with_key_id(mut self, kid: &str) -> Self {
        self.kid = Some(kid.to_string());
        self
    }
}

impl fmt::Debug for Es256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Es256Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwsSigner for Es256Signer {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        &ES256
    }

    fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    fn signature_len(&self) -> usize {
        2 * COORDINATE_BYTES as usize
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        let failed = |e: openssl::error::ErrorStack| JoseError::InvalidSignature(e.into());
        let signature = EcdsaSig::sign(&sha256(message), &self.key).map_err(failed)?;
        let mut jws = signature
            .r()
            .to_vec_padded(COORDINATE_BYTES)
            .map_err(failed)?;
        jws.extend(
            signature
                .s()
                .to_vec_padded(COORDINATE_BYTES)
                .map_err(failed)?,
        );
        Ok(jws)
    }

    fn box_clone(&self) -> Box<dyn JwsSigner> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jwk::alg::ec::EcCurve;

    #[test]
    fn its_signatures_verify_with_josekit_and_carry_the_kid() {
        let private = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        let signer = Es256Signer::from_jwk(&private).unwrap().with_key_id("k1");
        let jws =
            josekit::jws::serialize_compact(b"payload", &josekit::jws::JwsHeader::new(), &signer)
                .unwrap();
        let verifier = ES256
            .verifier_from_jwk(&private.to_public_key().unwrap())
            .unwrap();
        let (payload, header) = josekit::jws::deserialize_compact(&jws, &verifier).unwrap();
        assert_eq!(payload, b"payload");
        assert_eq!(header.key_id(), Some("k1"));
    }

    #[test]
    fn other_curves_are_refused() {
        let p384 = Jwk::generate_ec_key(EcCurve::P384).unwrap();
        assert!(matches!(
            Es256Signer::from_jwk(&p384),
            Err(KeyError::InvalidKey(_))
        ));
    }
}
