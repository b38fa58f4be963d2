//! A simulated wallet's holder key and its proofs of possession.

use std::time::{SystemTime, UNIX_EPOCH};

use issuance_credential::Es256Signer;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use josekit::jws::JwsHeader;
use josekit::jwt::{self, JwtPayload};
use serde_json::json;

/// A P-256 holder key with its signer parsed once.
pub struct HolderKey {
    public: Jwk,
    signer: Es256Signer,
}

impl HolderKey {
    /// A fresh key.
    pub fn generate() -> anyhow::Result<HolderKey> {
        let private = Jwk::generate_ec_key(EcCurve::P256)?;
        let signer = Es256Signer::from_jwk(&private)?;
        let public = private.to_public_key()?;
        Ok(HolderKey { public, signer })
    }

    /// An OID4VCI `jwt` proof for `audience` with `nonce`.
    pub fn proof(&self, audience: &str, nonce: &str) -> anyhow::Result<String> {
        let mut header = JwsHeader::new();
        header.set_token_type("openid4vci-proof+jwt");
        header.set_jwk(self.public.clone());
        let mut payload = JwtPayload::new();
        payload.set_claim("aud", Some(json!(audience)))?;
        payload.set_claim("nonce", Some(json!(nonce)))?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        payload.set_claim("iat", Some(json!(now)))?;
        Ok(jwt::encode_with_signer(&payload, &header, &self.signer)?)
    }
}
