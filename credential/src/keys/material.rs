//! Private key material as the management API receives or creates it (issue 19): a fresh
//! P-256 key, an institution's private JWK or PEM, and an `x5c` chain whose leaf must
//! certify the key. Everything comes out as a [`PrivateKey`]: a normalised private JWK
//! (`kty`, `crv`, `x`, `y`, `d`, nothing else) that has passed [`SigningKey`]'s checks.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::{Jwk, KeyPair};
use openssl::x509::X509;
use serde_json::Value;

use super::{KeyError, SigningKey};

/// A checked ES256 private key and the [`SigningKey`] built from it. `Debug` never prints
/// the private members.
#[derive(Clone)]
pub struct PrivateKey {
    jwk: Jwk,
    key: SigningKey,
}

impl PrivateKey {
    /// A fresh P-256 key.
    pub fn generate() -> Result<PrivateKey, KeyError> {
        let jwk =
            Jwk::generate_ec_key(EcCurve::P256).map_err(|e| KeyError::Generate(e.to_string()))?;
        PrivateKey::from_jwk(&jwk, None)
    }

    /// A private EC P-256 JWK (`d` required); its `alg`, when present, must be ES256.
    /// `x5c`, when given, is the chain (DER, leaf first) whose leaf must certify the key.
    pub fn from_jwk(private: &Jwk, x5c: Option<Vec<Vec<u8>>>) -> Result<PrivateKey, KeyError> {
        if private
            .algorithm()
            .is_some_and(|alg| alg != SigningKey::ALG)
        {
            return Err(KeyError::InvalidKey(format!(
                "only {} keys are supported",
                SigningKey::ALG
            )));
        }
        if let Some(chain) = &x5c {
            check_chain(chain, private)?;
        }
        let key = SigningKey::from_private_jwk(private, 0, x5c)?;
        // Only the members that make the key: the caller's `kid`, `use`, `x5c`, … go.
        let mut members = serde_json::Map::new();
        for name in ["kty", "crv", "x", "y", "d"] {
            if let Some(value) = private.parameter(name) {
                members.insert(name.to_string(), value.clone());
            }
        }
        let jwk = Jwk::from_map(members).map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        Ok(PrivateKey { jwk, key })
    }

    /// A private JWK given as JSON.
    pub fn from_json(private: &Value, x5c: Option<Vec<Vec<u8>>>) -> Result<PrivateKey, KeyError> {
        let Value::Object(members) = private else {
            return Err(KeyError::InvalidKey("the JWK must be a JSON object".into()));
        };
        let jwk =
            Jwk::from_map(members.clone()).map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        PrivateKey::from_jwk(&jwk, x5c)
    }

    /// A PEM EC P-256 private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    pub fn from_pem(pem: &str, x5c: Option<Vec<Vec<u8>>>) -> Result<PrivateKey, KeyError> {
        let jwk = EcKeyPair::from_pem(pem.as_bytes(), Some(EcCurve::P256))
            .map(|pair| pair.to_jwk_key_pair())
            .map_err(|_| KeyError::InvalidKey("the PEM is not an EC P-256 private key".into()))?;
        PrivateKey::from_jwk(&jwk, x5c)
    }

    /// The signing key (its `kid` is the RFC 7638 thumbprint).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The public JWK as published (`kid`, `alg`, `use`; `x5c` with a chain).
    pub fn public_jwk(&self) -> Value {
        Value::Object(self.key.public_jwk().as_ref().clone())
    }

    /// The normalised private JWK as JSON bytes: what a key vault encrypts.
    pub fn to_private_bytes(&self) -> Vec<u8> {
        self.jwk.to_string().into_bytes()
    }

    /// A key from bytes written by [`PrivateKey::to_private_bytes`].
    pub fn from_private_bytes(
        bytes: &[u8],
        x5c: Option<Vec<Vec<u8>>>,
    ) -> Result<PrivateKey, KeyError> {
        let jwk = Jwk::from_bytes(bytes).map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        PrivateKey::from_jwk(&jwk, x5c)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.key.kid())
            .finish_non_exhaustive()
    }
}

/// An `x5c` value (standard base64 of each DER certificate, leaf first) as DER.
pub fn decode_x5c(x5c: &[String]) -> Result<Vec<Vec<u8>>, KeyError> {
    x5c.iter()
        .enumerate()
        .map(|(i, certificate)| {
            STANDARD
                .decode(certificate)
                .ok()
                .filter(|der| X509::from_der(der).is_ok())
                .ok_or_else(|| {
                    KeyError::InvalidKey(format!(
                        "x5c[{i}] is not the base64 of a DER X.509 certificate"
                    ))
                })
        })
        .collect()
}

/// Checks that the chain's first certificate certifies `private`'s public key.
fn check_chain(chain: &[Vec<u8>], private: &Jwk) -> Result<(), KeyError> {
    let leaf = chain
        .first()
        .ok_or_else(|| KeyError::InvalidKey("x5c holds no certificate".into()))?;
    let leaf_key = X509::from_der(leaf)
        .and_then(|certificate| certificate.public_key())
        .and_then(|key| key.public_key_to_der())
        .map_err(|e| KeyError::InvalidKey(format!("x5c[0]: {e}")))?;
    if leaf_key != SigningKey::public_key_der(private)? {
        return Err(KeyError::InvalidKey(
            "the first certificate of x5c does not certify the key".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
