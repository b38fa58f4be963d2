//! The issuer's signing keys, rotated by `kid`.
//!
//! Keys live as private JWK files in a directory (`<created>-<kid>.jwk`, mode 0600); the
//! newest is active and signs, older ones stay in the JWKS so credentials they signed still
//! verify. Rotation writes a new file; running processes pick it up when they next load the
//! directory.
//! Alternatively one configured key file plus a PEM chain gives `x5c` (HAIP §6.1.1).

mod cert_chain;
mod es256_signer;
mod material;
mod signing_key;
mod store;

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jws::JwsHeader;
use serde_json::Value;

pub use es256_signer::Es256Signer;
pub use material::{decode_x5c, PrivateKey};
pub use signing_key::SigningKey;

/// Why keys could not be loaded, generated or stored.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key file exists but does not hold a usable key.
    #[error("{path}: {reason}")]
    InvalidKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Key material is unusable (wrong type or curve, halves that do not match).
    #[error("invalid signing key: {0}")]
    InvalidKey(String),
    /// The certificate chain is unreadable or does not certify the key.
    #[error("certificate chain {path}: {reason}")]
    Certificate {
        /// The PEM chain file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Key generation failed.
    #[error("key generation failed: {0}")]
    Generate(String),
}

impl KeyError {
    fn io(path: &Path, source: std::io::Error) -> KeyError {
        KeyError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Why a JWS could not be produced or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The payload could not be serialised.
    #[error("cannot serialise the payload: {0}")]
    Serialization(String),
    /// The signer failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The input is not a compact JWS with a JSON header and payload.
    #[error("malformed JWS: {0}")]
    Malformed(String),
    /// The `kid` names no key of this issuer.
    #[error("unknown key id {0:?}")]
    UnknownKey(String),
    /// The signature (or `alg`) does not verify with the named key.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
}

/// The issuer's keys: one active signing key plus retired keys still published.
#[derive(Debug, Clone)]
pub struct IssuerKeys {
    /// Signs everything issued from now on.
    active: SigningKey,
    /// Older keys, oldest first: verify-only, still in the JWKS.
    retired: Vec<SigningKey>,
    /// `{"keys":[...]}` with every public key, active first; computed once.
    jwks: Value,
}

impl IssuerKeys {
    /// Loads every key file in `dir` (creating the directory, 0700, if needed); generates a
    /// P-256 key if there is none. The newest key is active.
    pub fn load_or_generate(dir: &Path) -> Result<IssuerKeys, KeyError> {
        store::ensure_dir(dir)?;
        let mut keys = store::read_keys(dir)?;
        if keys.is_empty() {
            store::generate_into(dir, store::now_unix())?;
            // Re-read, so that processes starting together converge on the newest file.
            keys = store::read_keys(dir)?;
        }
        IssuerKeys::from_ordered(keys)
    }

    /// Adds a new key to `dir` that becomes active on the next load; the old keys stay
    /// published. Returns the new kid.
    pub fn rotate(dir: &Path) -> Result<String, KeyError> {
        store::ensure_dir(dir)?;
        let newest = store::read_keys(dir)?.last().map(SigningKey::created);
        // Strictly newer than every existing key, even within the same second.
        let created = newest.map_or(store::now_unix(), |n| store::now_unix().max(n + 1));
        store::generate_into(dir, created)
    }

    /// One configured key (private JWK or PEM EC P-256 file) and an optional PEM
    /// certificate chain, leaf first, whose leaf must certify the key; the chain becomes
    /// the `x5c` header of everything signed.
    pub fn from_files(
        key_file: &Path,
        cert_chain_pem: Option<&Path>,
    ) -> Result<IssuerKeys, KeyError> {
        let private = cert_chain::read_private_key(key_file)?;
        let chain = cert_chain_pem
            .map(|path| cert_chain::read_chain(path, &private))
            .transpose()?;
        let key = SigningKey::from_private_jwk(&private, 0, chain)?;
        Ok(IssuerKeys::new(key, Vec::new()))
    }

    /// A single freshly generated in-memory key (tests, throwaway instances).
    pub fn ephemeral() -> Result<IssuerKeys, KeyError> {
        Ok(IssuerKeys::new(
            SigningKey::generate(store::now_unix())?,
            Vec::new(),
        ))
    }

    /// Builds the set from an active key and retired keys (oldest first).
    pub fn new(active: SigningKey, retired: Vec<SigningKey>) -> IssuerKeys {
        let jwks = serde_json::json!({
            "keys": std::iter::once(&active)
                .chain(retired.iter().rev())
                .map(|key| Value::Object(key.public_jwk().as_ref().clone()))
                .collect::<Vec<_>>()
        });
        IssuerKeys {
            active,
            retired,
            jwks,
        }
    }

    fn from_ordered(mut keys: Vec<SigningKey>) -> Result<IssuerKeys, KeyError> {
        let active = keys
            .pop()
            .ok_or_else(|| KeyError::InvalidKey("no signing key available".into()))?;
        Ok(IssuerKeys::new(active, keys))
    }

    /// The key that signs.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The key with this kid, active or retired.
    pub fn key(&self, kid: &str) -> Option<&SigningKey> {
        std::iter::once(&self.active)
            .chain(&self.retired)
            .find(|key| key.kid() == kid)
    }

    /// Every key, active first.
    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.active).chain(self.retired.iter().rev())
    }

    /// The public JWK Set, `{"keys":[...]}`, active key first.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// Signs `payload` (JSON) as a compact JWS with the active key: header `typ`, `alg`,
    /// `kid` (and `x5c` if configured). For issuer-internal artefacts such as signed audit
    /// checkpoints.
    pub fn sign_compact_jws(&self, typ: &str, payload: &Value) -> Result<String, SignError> {
        let bytes =
            serde_json::to_vec(payload).map_err(|e| SignError::Serialization(e.to_string()))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        self.active.sign(header, &bytes)
    }

    /// Verifies a compact JWS signed by any of these keys, chosen by its `kid`, and returns
    /// the JSON payload.
    pub fn verify_compact_jws(&self, jws: &str) -> Result<Value, SignError> {
        let header = jws
            .split('.')
            .next()
            .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .ok_or_else(|| SignError::Malformed("header is not base64url JSON".into()))?;
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or_else(|| SignError::Malformed("header has no kid".into()))?;
        let key = self
            .key(kid)
            .ok_or_else(|| SignError::UnknownKey(kid.to_owned()))?;
        let payload = key.verify(jws)?;
        serde_json::from_slice(&payload).map_err(|e| SignError::Malformed(e.to_string()))
    }
}
