//! Shared fixtures: wallet keys, proof JWTs and SD-JWT pieces.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_credential::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{EdDSA, JwsHeader, JwsSigner, ES256};
use serde_json::{json, Map, Value};

/// Fixed "now" for proof tests.
pub const NOW: i64 = 1_750_000_000;
/// The issuer identifier proofs are addressed to.
pub const ISSUER: &str = "https://issuer.example.com";

/// A wallet key pair: the private JWK (to sign) and its public half.
pub struct WalletKey {
    pub private: Jwk,
    pub public: Jwk,
    pub signer: Box<dyn JwsSigner>,
}

pub fn es256_wallet() -> WalletKey {
    let private = Jwk::generate_ec_key(EcCurve::P256).unwrap();
    let signer = Box::new(ES256.signer_from_jwk(&private).unwrap());
    WalletKey {
        public: private.to_public_key().unwrap(),
        private,
        signer,
    }
}

pub fn ed25519_wallet() -> WalletKey {
    let private = Jwk::generate_ed_key(EdCurve::Ed25519).unwrap();
    let signer = Box::new(EdDSA.signer_from_jwk(&private).unwrap());
    WalletKey {
        public: private.to_public_key().unwrap(),
        private,
        signer,
    }
}

/// Standard proof claims: aud, iat = NOW, nonce.
pub fn proof_claims() -> Value {
    json!({"aud": ISSUER, "iat": NOW, "nonce": "c-nonce-1"})
}

/// Standard proof header for `wallet` (typ + jwk; alg is added by the signer).
pub fn proof_header(wallet: &WalletKey) -> Value {
    json!({"typ": "openid4vci-proof+jwt", "jwk": Value::Object(wallet.public.as_ref().clone())})
}

/// Signs `claims` with `signer` under `header` (josekit sets `alg`).
pub fn sign(header: &Value, claims: &Value, signer: &dyn JwsSigner) -> String {
    let header = JwsHeader::from_map(header.as_object().unwrap().clone()).unwrap();
    josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, signer).unwrap()
}

/// Base64url JSON segment.
pub fn segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Decodes a base64url JSON segment.
pub fn decode(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// Splits a compact SD-JWT into (header, payload, disclosures).
pub fn split_sd_jwt(compact: &str) -> (Value, Value, Vec<String>) {
    assert!(
        compact.ends_with('~'),
        "an SD-JWT without KB-JWT ends with ~"
    );
    let mut parts: Vec<&str> = compact.split('~').collect();
    assert_eq!(parts.pop(), Some(""));
    let jwt: Vec<&str> = parts.remove(0).split('.').collect();
    (
        decode(jwt[0]),
        decode(jwt[1]),
        parts.into_iter().map(str::to_owned).collect(),
    )
}

pub fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}
