//! Encrypted credential requests and responses (OID4VCI 1.0 §8.2, §10), with
//! `issuer.credential_encryption` `optional` or `required`: the metadata advertises
//! `credential_request_encryption` (the issuer's ECDH-ES P-256 key, see
//! [`crate::crypto::request_encryption`]) and `credential_response_encryption`
//! (`ECDH-ES`; `A128GCM`, `A256GCM`). A request sent as `application/jwt` is a JWE to that
//! key; a request's `credential_response_encryption` `{jwk, enc}` makes the answer an
//! `application/jwt` JWE to the wallet's key. As §8.2 demands, only an encrypted request
//! may ask for an encrypted response. Errors are never encrypted.

use josekit::jwe::{JweHeader, ECDH_ES};
use josekit::jwk::Jwk;
use serde_json::{json, Value};

use super::errors::{ErrorCode, WalletError};
use crate::config::EncryptionMode;
use crate::crypto::request_encryption;
use crate::crypto::server_secret::ServerSecret;

/// The content encryption algorithms accepted and used.
pub const ENC_VALUES: &[&str] = &["A128GCM", "A256GCM"];
/// The key management algorithm.
pub const ALG: &str = "ECDH-ES";

/// The issuer's side of encryption: the mode and the request decryption key.
#[derive(Debug)]
pub struct Encryption {
    mode: EncryptionMode,
    key: Jwk,
}

/// How the wallet wants its response encrypted.
#[derive(Debug, Clone)]
pub struct ResponseEncryption {
    jwk: Jwk,
    enc: String,
}

fn invalid(reason: &str) -> WalletError {
    WalletError::new(ErrorCode::InvalidEncryptionParameters, reason)
}

impl Encryption {
    /// The encryption of `mode` (`None` when disabled), its key derived from `secret`.
    pub fn new(mode: EncryptionMode, secret: &ServerSecret) -> anyhow::Result<Option<Encryption>> {
        if !mode.enabled() {
            return Ok(None);
        }
        Ok(Some(Encryption {
            mode,
            key: request_encryption::derive(secret)?,
        }))
    }

    /// `credential_request_encryption` and `credential_response_encryption` of the
    /// Credential Issuer Metadata (§12.2.4).
    pub fn metadata(&self) -> (Value, Value) {
        let required = self.mode == EncryptionMode::Required;
        let public = self
            .key
            .to_public_key()
            .map(|mut key| {
                // `to_public_key` keeps the key members only.
                if let Some(kid) = self.key.key_id() {
                    key.set_key_id(kid);
                }
                key.set_key_use("enc");
                key.set_algorithm(ALG);
                Value::Object(key.as_ref().clone())
            })
            .unwrap_or(Value::Null);
        (
            json!({
                "jwks": {"keys": [public]},
                "enc_values_supported": ENC_VALUES,
                "encryption_required": required,
            }),
            json!({
                "alg_values_supported": [ALG],
                "enc_values_supported": ENC_VALUES,
                "encryption_required": required,
            }),
        )
    }

    /// The plaintext of an `application/jwt` credential request.
    pub fn decrypt_request(&self, jwe: &str) -> Result<Vec<u8>, WalletError> {
        let decrypter = ECDH_ES
            .decrypter_from_jwk(&self.key)
            .map_err(|e| WalletError::internal(&e))?;
        let (payload, header) = josekit::jwe::deserialize_compact(jwe.trim(), &decrypter)
            .map_err(|_| invalid("the request is not a JWE to this issuer's encryption key"))?;
        let enc = header.content_encryption().unwrap_or_default();
        if !ENC_VALUES.contains(&enc) {
            return Err(invalid("the request's enc is not supported"));
        }
        Ok(payload)
    }

    /// Checks a request's `credential_response_encryption` (`request_encrypted`: whether
    /// the request itself was a JWE) and the profile's requirements; `None`: answer plain.
    pub fn response_for(
        encryption: Option<&Encryption>,
        asked: Option<&Value>,
        request_encrypted: bool,
    ) -> Result<Option<ResponseEncryption>, WalletError> {
        let Some(encryption) = encryption else {
            return match asked {
                Some(_) => Err(invalid("this issuer does not encrypt credential responses")),
                None => Ok(None),
            };
        };
        let required = encryption.mode == EncryptionMode::Required;
        let Some(asked) = asked else {
            return match required {
                true => Err(invalid(
                    "this issuer requires encrypted requests asking for encrypted responses",
                )),
                false => Ok(None),
            };
        };
        if !request_encrypted {
            return Err(invalid(
                "a request asking for an encrypted response must itself be encrypted (application/jwt)",
            ));
        }
        let enc = asked.get("enc").and_then(Value::as_str).unwrap_or_default();
        if !ENC_VALUES.contains(&enc) {
            return Err(invalid(
                "credential_response_encryption.enc is not supported",
            ));
        }
        let jwk = asked
            .get("jwk")
            .and_then(|jwk| serde_json::to_vec(jwk).ok())
            .and_then(|bytes| Jwk::from_bytes(bytes).ok())
            .ok_or_else(|| invalid("credential_response_encryption.jwk must be a JWK"))?;
        if jwk.algorithm() != Some(ALG) || jwk.curve() != Some("P-256") {
            return Err(invalid(
                "credential_response_encryption.jwk must be an EC P-256 key with alg ECDH-ES",
            ));
        }
        if ECDH_ES.encrypter_from_jwk(&jwk).is_err()
            || issuance_credential::ensure_public(&jwk).is_err()
        {
            return Err(invalid(
                "credential_response_encryption.jwk is not a usable public key",
            ));
        }
        Ok(Some(ResponseEncryption {
            jwk,
            enc: enc.to_string(),
        }))
    }
}

impl ResponseEncryption {
    /// The response body as a compact JWE to the wallet's key.
    pub fn encrypt(&self, body: &Value) -> Result<String, WalletError> {
        let encrypter = ECDH_ES
            .encrypter_from_jwk(&self.jwk)
            .map_err(|e| WalletError::internal(&e))?;
        let mut header = JweHeader::new();
        header.set_content_encryption(&self.enc);
        if let Some(kid) = self.jwk.key_id() {
            header.set_key_id(kid);
        }
        let payload = serde_json::to_vec(body).map_err(|e| WalletError::internal(&e))?;
        josekit::jwe::serialize_compact(&payload, &header, &encrypter)
            .map_err(|e| WalletError::internal(&e))
    }
}
