//! Signing keys of an issuer as the aggregate sees them: the algorithm, the public JWK
//! (RFC 7517) and the X.509 chain (`x5c`, RFC 7515 §4.1.6), checked before they are
//! recorded. The private key stays with the service (encrypted at rest); an event only
//! names where (`key_ref`), and a JWK holding private members is refused outright.

use std::fmt;

use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037
/// §2): a JWK with any of them is never recorded.
pub const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The longest `kid`.
pub const MAX_KID_LEN: usize = 128;

/// The JWS algorithm an issuer key signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
pub enum SigningAlg {
    /// ECDSA with P-256 and SHA-256 (the default).
    #[default]
    ES256,
    /// ECDSA with P-384 and SHA-384.
    ES384,
    /// EdDSA (RFC 8037) with Ed25519 or Ed448.
    EdDSA,
}

impl SigningAlg {
    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::ES256 => "ES256",
            SigningAlg::ES384 => "ES384",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    /// The JWK `kty` and the curves (`crv`) a key for this algorithm has.
    fn key_type(self) -> (&'static str, &'static [&'static str]) {
        match self {
            SigningAlg::ES256 => ("EC", &["P-256"]),
            SigningAlg::ES384 => ("EC", &["P-384"]),
            SigningAlg::EdDSA => ("OKP", &["Ed25519", "Ed448"]),
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a `kid`: 1 to [`MAX_KID_LEN`] visible ASCII characters.
pub fn check_kid(kid: &str) -> Result<(), String> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN || !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "kid `{kid}` must be 1-{MAX_KID_LEN} visible ASCII characters"
        ));
    }
    Ok(())
}

/// Checks a public JWK for a key `kid` signing with `alg`: an object without private
/// members, of the algorithm's key type and curve, with its coordinates; `kid`, `alg` and
/// `use`, when present, agree.
pub fn check_public_jwk(kid: &str, alg: SigningAlg, jwk: &Value) -> Result<(), String> {
    let Value::Object(members) = jwk else {
        return Err("the public JWK must be a JSON object".into());
    };
    if let Some(name) = PRIVATE_JWK_MEMBERS
        .iter()
        .find(|name| members.contains_key(**name))
    {
        return Err(format!(
            "the JWK holds the private member `{name}`: only the public key is recorded"
        ));
    }
    let text = |name: &str| members.get(name).and_then(Value::as_str);
    let (kty, curves) = alg.key_type();
    if text("kty") != Some(kty) {
        return Err(format!("an {alg} key has kty `{kty}`"));
    }
    if !text("crv").is_some_and(|crv| curves.contains(&crv)) {
        return Err(format!("an {alg} key has crv {}", curves.join(" or ")));
    }
    let coordinates: &[&str] = if kty == "EC" { &["x", "y"] } else { &["x"] };
    if let Some(missing) = coordinates
        .iter()
        .find(|name| text(name).is_none_or(str::is_empty))
    {
        return Err(format!("the JWK lacks `{missing}`"));
    }
    for (name, expected) in [("kid", kid), ("alg", alg.as_str()), ("use", "sig")] {
        if members
            .get(name)
            .is_some_and(|v| v.as_str() != Some(expected))
        {
            return Err(format!("the JWK's `{name}` is not `{expected}`"));
        }
    }
    Ok(())
}

/// Checks an X.509 chain as `x5c` carries it: at least one certificate, each the standard
/// base64 of its DER (leaf first). The certificates themselves are checked by the service,
/// which can parse them.
pub fn check_certificate_chain(chain: &[String]) -> Result<(), String> {
    if chain.is_empty() {
        return Err("the certificate chain must hold at least one certificate".into());
    }
    for (i, certificate) in chain.iter().enumerate() {
        let decoded = base64::engine::general_purpose::STANDARD.decode(certificate);
        if !decoded.is_ok_and(|der| !der.is_empty()) {
            return Err(format!(
                "certificate {i} is not the base64 (standard, padded) of a DER certificate"
            ));
        }
    }
    Ok(())
}
