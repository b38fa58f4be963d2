//! One issuer signing key: the parsed ES256 signer and verifier, kept for the life of the
//! process so that no signature re-parses key material.

use std::fmt;

use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::alg::ecdsa::EcdsaJwsVerifier;
use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier, ES256};

use super::es256_signer::Es256Signer;
use super::{KeyError, SignError};
use crate::jwk::thumbprint;

/// An ES256 issuer signing key.
///
/// Holds the private key only inside the cached josekit signer; `Debug` never prints it.
#[derive(Clone)]
pub struct SigningKey {
    /// RFC 7638 thumbprint of the public key; the `kid` of every JWS it signs.
    kid: String,
    /// When the key was created (Unix seconds); orders keys for rotation. 0 if unknown.
    created: i64,
    /// Parsed once; carries `kid`, so josekit writes it into every header.
    signer: Es256Signer,
    /// Parsed once, for checking this issuer's own JWSs (audit checkpoints).
    verifier: EcdsaJwsVerifier,
    /// Public JWK with `kid`, `alg`, `use: "sig"` and, with a chain, `x5c`.
    public_jwk: Jwk,
    /// DER certificates, leaf first, for the `x5c` header (HAIP §6.1.1).
    x5c: Option<Vec<Vec<u8>>>,
}

impl SigningKey {
    /// The only signing algorithm issuer keys use.
    pub const ALG: &'static str = "ES256";

    /// Generates a fresh P-256 key created at `created` (Unix seconds).
    pub fn generate(created: i64) -> Result<SigningKey, KeyError> {
        let jwk =
            Jwk::generate_ec_key(EcCurve::P256).map_err(|e| KeyError::Generate(e.to_string()))?;
        SigningKey::from_private_jwk(&jwk, created, None)
    }

    /// Builds a key from a private EC P-256 JWK, checking that its private and public halves
    /// belong together (a trial signature must verify with the published key).
    pub fn from_private_jwk(
        private: &Jwk,
        created: i64,
        x5c: Option<Vec<Vec<u8>>>,
    ) -> Result<SigningKey, KeyError> {
        let invalid = |reason: String| KeyError::InvalidKey(reason);
        if private.key_type() != "EC" || private.curve() != Some("P-256") {
            return Err(invalid(format!(
                "issuer keys must be EC P-256 (ES256), got kty {:?} crv {:?}",
                private.key_type(),
                private.curve()
            )));
        }
        if private.parameter("d").is_none() {
            return Err(invalid("the key has no private part (d)".into()));
        }
        let pair = EcKeyPair::from_jwk(private).map_err(|e| invalid(e.to_string()))?;
        let kid = thumbprint(private).map_err(|e| invalid(e.to_string()))?;

        let mut public_jwk = pair.to_jwk_public_key();
        public_jwk.set_key_id(&kid);
        public_jwk.set_algorithm(Self::ALG);
        public_jwk.set_key_use("sig");
        if let Some(chain) = &x5c {
            public_jwk.set_x509_certificate_chain(chain);
        }
        let verifier = ES256
            .verifier_from_jwk(&public_jwk)
            .map_err(|e| invalid(e.to_string()))?;
        let signer = Es256Signer::from_jwk(private)
            .map_err(|e| invalid(e.to_string()))?
            .with_key_id(&kid);

        let key = SigningKey {
            kid,
            created,
            signer,
            verifier,
            public_jwk,
            x5c,
        };
        key.self_test()?;
        Ok(key)
    }

    /// The key id (RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm, always [`SigningKey::ALG`].
    pub fn alg(&self) -> &'static str {
        Self::ALG
    }

    /// Creation time in Unix seconds (0 for a configured key file).
    pub fn created(&self) -> i64 {
        self.created
    }

    /// The public JWK as published in the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }

    /// The certificate chain (DER, leaf first), if one was configured.
    pub fn x5c(&self) -> Option<&[Vec<u8>]> {
        self.x5c.as_deref()
    }

    /// SubjectPublicKeyInfo DER of the public key (to match it against a certificate).
    pub(crate) fn public_key_der(private: &Jwk) -> Result<Vec<u8>, KeyError> {
        EcKeyPair::from_jwk(private)
            .map(|pair| pair.to_der_public_key())
            .map_err(|e| KeyError::InvalidKey(e.to_string()))
    }

    /// Signs `payload` as a compact JWS. `alg` and `kid` are always set, `x5c` when the key
    /// has a chain; other header members come from `header`.
    pub fn sign(&self, mut header: JwsHeader, payload: &[u8]) -> Result<String, SignError> {
        if let Some(chain) = &self.x5c {
            header.set_x509_certificate_chain(chain);
        }
        josekit::jws::serialize_compact(payload, &header, &self.signer)
            .map_err(|e| SignError::Signing(e.to_string()))
    }

    /// Verifies a compact JWS signed by this key and returns its payload bytes.
    pub fn verify(&self, jws: &str) -> Result<Vec<u8>, SignError> {
        josekit::jws::deserialize_compact(jws, &self.verifier)
            .map(|(payload, _header)| payload)
            .map_err(|e| SignError::InvalidSignature(e.to_string()))
    }

    /// Signs raw bytes with ES256: the 64-byte `R || S` signature that JWS (RFC 7518 §3.4)
    /// and COSE (RFC 9053 §2.1) both use. For COSE_Sign1 structures.
    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        JwsSigner::sign(&self.signer, message).map_err(|e| SignError::Signing(e.to_string()))
    }

    /// Verifies an ES256 `R || S` signature over raw bytes.
    pub(crate) fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> Result<(), SignError> {
        JwsVerifier::verify(&self.verifier, message, signature)
            .map_err(|e| SignError::InvalidSignature(e.to_string()))
    }

    fn self_test(&self) -> Result<(), KeyError> {
        let probe = self
            .sign(JwsHeader::new(), b"issuer key self-test")
            .map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        self.verify(&probe).map(|_| ()).map_err(|_| {
            KeyError::InvalidKey("the private key does not match its public members".into())
        })
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &Self::ALG)
            .field("created", &self.created)
            .field("x5c_len", &self.x5c.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}
