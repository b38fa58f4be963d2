//! An ES256 JWS signer over OpenSSL's low-level ECDSA.
//!
//! josekit's own signer goes through `EVP_DigestSign`, which in OpenSSL 3 fetches the digest
//! and the signature algorithm from the provider registry and builds a key context on every
//! call: about as much CPU as the signature itself. This one hashes with SHA-256 and calls
//! `ECDSA_do_sign` on the parsed key, and returns the JWS form of the signature (R || S,
//! 32 bytes each, RFC 7518 §3.4).

use std::fmt;

use josekit::jws::{JwsAlgorithm, JwsSigner, ES256};
use josekit::JoseError;
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::Private;
use openssl::sha::sha256;

/// Bytes of each of R and S for P-256.
const COORDINATE_BYTES: i32 = 32;

/// Signs with one P-256 private key, writing `kid` into the headers it signs.
#[derive(Clone)]
pub(super) struct Es256Signer {
    key: EcKey<Private>,
    kid: String,
}

impl Es256Signer {
    pub(super) fn new(key: EcKey<Private>, kid: String) -> Self {
        Es256Signer { key, kid }
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
        Some(&self.kid)
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
