//! A configured key file (JWK or PEM) and its optional PEM certificate chain, turned into a
//! [`SigningKey`] whose `x5c` is the chain.

use std::fs;
use std::path::Path;

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::{Jwk, KeyPair};
use openssl::x509::X509;

use super::{KeyError, SigningKey};

/// Reads a private key file: a JWK (JSON) or a PEM EC key (PKCS#8 `PRIVATE KEY` or SEC1
/// `EC PRIVATE KEY`), on curve P-256.
pub(crate) fn read_private_key(path: &Path) -> Result<Jwk, KeyError> {
    let bytes = fs::read(path).map_err(|e| KeyError::io(path, e))?;
    let invalid = |reason: String| KeyError::InvalidKeyFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = String::from_utf8_lossy(&bytes);
    if text.trim_start().starts_with("-----BEGIN") {
        EcKeyPair::from_pem(&bytes, Some(EcCurve::P256))
            .map(|pair| pair.to_jwk_key_pair())
            .map_err(|e| invalid(e.to_string()))
    } else {
        Jwk::from_bytes(&bytes).map_err(|e| invalid(e.to_string()))
    }
}

/// Reads a PEM certificate chain (leaf first) and checks that the leaf certifies `private`'s
/// public key. Returns the certificates as DER, ready for `x5c`.
pub(crate) fn read_chain(path: &Path, private: &Jwk) -> Result<Vec<Vec<u8>>, KeyError> {
    let bytes = fs::read(path).map_err(|e| KeyError::io(path, e))?;
    let invalid = |reason: String| KeyError::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let certificates = X509::stack_from_pem(&bytes).map_err(|e| invalid(e.to_string()))?;
    let leaf = certificates
        .first()
        .ok_or_else(|| invalid("the file contains no PEM certificate".into()))?;
    let leaf_key = leaf
        .public_key()
        .and_then(|key| key.public_key_to_der())
        .map_err(|e| invalid(e.to_string()))?;
    if leaf_key != SigningKey::public_key_der(private)? {
        return Err(invalid(
            "the first certificate does not certify the signing key".into(),
        ));
    }
    certificates
        .iter()
        .map(|certificate| certificate.to_der().map_err(|e| invalid(e.to_string())))
        .collect()
}
