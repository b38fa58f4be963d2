//! The header and claim checks of a proof JWT (OID4VCI 1.0 Appendix F.1).

use super::*;

/// Decodes the (not yet verified) header as a JSON object.
pub(super) fn decode_header(jwt: &str) -> Result<Map<String, Value>, ProofError> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(ProofError::Malformed(
            "proof is not a compact JWS (three dot-separated parts)".into(),
        ));
    }
    URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ProofError::Malformed("proof header is not a base64url JSON object".into()))
}

/// The one key source, which must be a public `jwk` (Appendix F.1: exactly one of `jwk`,
/// `kid`, `x5c`).
pub(super) fn header_jwk(header: &Map<String, Value>) -> Result<Jwk, ProofError> {
    let sources: Vec<&str> = ["jwk", "kid", "x5c"]
        .into_iter()
        .filter(|name| header.contains_key(*name))
        .collect();
    match sources.as_slice() {
        ["jwk"] => {}
        [] => return Err(ProofError::KeySource("proof header has no jwk".into())),
        ["kid"] => {
            return Err(ProofError::KeySource(
                "kid key references are not supported; send the key as jwk".into(),
            ))
        }
        ["x5c"] => {
            return Err(ProofError::KeySource(
                "x5c is not supported; send the key as jwk".into(),
            ))
        }
        several => {
            return Err(ProofError::KeySource(format!(
                "proof header must contain exactly one of jwk, kid, x5c; found {}",
                several.join(", ")
            )))
        }
    }
    let Some(Value::Object(members)) = header.get("jwk") else {
        return Err(ProofError::Key("jwk must be a JSON object".into()));
    };
    let jwk = Jwk::from_map(members.clone())
        .map_err(|_| ProofError::Key("jwk is not a valid JWK".into()))?;
    ensure_public(&jwk).map_err(|e| ProofError::Key(e.to_string()))?;
    Ok(jwk)
}

/// A verifier for `alg` built from the holder's key. josekit checks that the key type and
/// curve fit the algorithm; EdDSA is limited to Ed25519 here. A `kid` inside the JWK is
/// dropped from the verifier, or josekit would demand a matching `kid` header, which
/// Appendix F.1 forbids next to `jwk`.
pub(super) fn verifier_for(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, ProofError> {
    // `alg` is one of ours here, so naming it echoes nothing the wallet chose.
    let key_error =
        |_: josekit::JoseError| ProofError::Key(format!("jwk is not a valid {alg} public key"));
    let ecdsa = |algorithm: EcdsaJwsAlgorithm| -> Result<Box<dyn JwsVerifier>, ProofError> {
        let mut verifier = algorithm.verifier_from_jwk(jwk).map_err(key_error)?;
        verifier.remove_key_id();
        Ok(Box::new(verifier))
    };
    match alg {
        "ES256" => ecdsa(ES256),
        "ES384" => ecdsa(ES384),
        "ES512" => ecdsa(ES512),
        "EdDSA" => {
            if jwk.key_type() != "OKP" || jwk.curve() != Some("Ed25519") {
                return Err(ProofError::Key(
                    "EdDSA proofs need an OKP Ed25519 jwk".into(),
                ));
            }
            let mut verifier = EdDSA.verifier_from_jwk(jwk).map_err(key_error)?;
            verifier.remove_key_id();
            Ok(Box::new(verifier))
        }
        _ => Err(ProofError::Algorithm(
            "alg is not supported by this issuer".into(),
        )),
    }
}

pub(super) fn check_audience(
    claims: &Map<String, Value>,
    audience: &str,
) -> Result<(), ProofError> {
    let matches = match claims.get("aud") {
        None => return Err(ProofError::Audience("proof has no aud claim".into())),
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        Some(_) => {
            return Err(ProofError::Audience(
                "aud must be a string or an array".into(),
            ))
        }
    };
    if matches {
        Ok(())
    } else {
        Err(ProofError::Audience(format!("aud must be {audience}")))
    }
}

/// `iat` present and within `[now - max_age, now + max_future_skew]`.
pub(crate) fn check_issued_at(
    claims: &Map<String, Value>,
    now: i64,
    max_age_seconds: i64,
    max_future_skew_seconds: i64,
) -> Result<i64, ProofError> {
    let iat = numeric_date(claims, "iat")?
        .ok_or_else(|| ProofError::IssuedAt("proof has no iat claim".into()))?;
    if iat < now.saturating_sub(max_age_seconds) {
        return Err(ProofError::IssuedAt(format!(
            "proof iat is more than {max_age_seconds} seconds old"
        )));
    }
    if iat > now.saturating_add(max_future_skew_seconds) {
        return Err(ProofError::IssuedAt("proof iat is in the future".into()));
    }
    Ok(iat)
}

pub(super) fn check_expiry(
    claims: &Map<String, Value>,
    expect: &ProofExpectations,
) -> Result<(), ProofError> {
    match numeric_date(claims, "exp")? {
        Some(exp) if exp < expect.now.saturating_sub(expect.max_future_skew_seconds) => {
            Err(ProofError::Expired("proof has expired (exp)".into()))
        }
        _ => Ok(()),
    }
}

pub(super) fn check_issuer(
    claims: &Map<String, Value>,
    client_id: Option<&str>,
) -> Result<(), ProofError> {
    match (claims.get("iss"), client_id) {
        (None, _) => Ok(()),
        (Some(Value::String(iss)), Some(client_id)) if iss != client_id => Err(ProofError::Issuer(
            "proof iss must equal the client_id".into(),
        )),
        (Some(Value::String(_)), _) => Ok(()),
        (Some(_), _) => Err(ProofError::Claim("iss must be a string".into())),
    }
}

/// A NumericDate claim (RFC 7519 §2), truncated to whole seconds.
pub(super) fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, ProofError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| ProofError::Claim(format!("{name} must be a number of seconds"))),
        Some(_) => Err(ProofError::Claim(format!(
            "{name} must be a number of seconds"
        ))),
    }
}
