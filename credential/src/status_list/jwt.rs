//! The Status List Token in JWT form (§5.1): header `typ: statuslist+jwt`, `alg`, `kid`
//! (and `x5c` with a configured chain); claims `sub`, `iat`, `exp`, `ttl`, `status_list`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jws::JwsHeader;
use serde_json::{Map, Value};

use super::list::EncodedStatusList;
use super::{StatusListError, StatusListTokenClaims, StatusListTokenInput};
use crate::keys::{IssuerKeys, SigningKey};

/// The JWT `typ` of a Status List Token.
pub const STATUS_LIST_JWT_TYP: &str = "statuslist+jwt";

/// The media type a status list endpoint answers with (§8.1).
pub const STATUS_LIST_JWT_MEDIA_TYPE: &str = "application/statuslist+jwt";

/// Signs a Status List Token JWT with `key` (the issuer key that signs the credentials, so
/// relying parties resolve it the same way).
pub fn sign_status_list_jwt(
    key: &SigningKey,
    input: &StatusListTokenInput,
) -> Result<String, StatusListError> {
    input.check()?;
    let mut claims = Map::new();
    claims.insert("sub".into(), Value::from(input.uri));
    if let Some(issuer) = input.issuer {
        claims.insert("iss".into(), Value::from(issuer));
    }
    claims.insert("iat".into(), Value::from(input.issued_at));
    if let Some(exp) = input.expires_at {
        claims.insert("exp".into(), Value::from(exp));
    }
    if let Some(ttl) = input.ttl {
        claims.insert("ttl".into(), Value::from(ttl));
    }
    claims.insert("status_list".into(), input.list.to_json());
    let payload =
        serde_json::to_vec(&claims).map_err(|e| StatusListError::InvalidInput(e.to_string()))?;
    let mut header = JwsHeader::new();
    header.set_token_type(STATUS_LIST_JWT_TYP);
    Ok(key.sign(header, &payload)?)
}

/// Verifies a Status List Token JWT signed by one of `keys` (chosen by `kid`) and returns
/// its claims. Checks `typ` and the required claims; freshness (`exp`, `ttl`) is the
/// caller's, as it depends on the caller's clock.
pub fn verify_status_list_jwt(
    keys: &IssuerKeys,
    jwt: &str,
) -> Result<StatusListTokenClaims, StatusListError> {
    let malformed = |reason: &str| StatusListError::MalformedToken(reason.into());
    let header: Value = jwt
        .split('.')
        .next()
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| malformed("the header is not base64url JSON"))?;
    if header.get("typ").and_then(Value::as_str) != Some(STATUS_LIST_JWT_TYP) {
        return Err(malformed("typ is not statuslist+jwt"));
    }
    let claims = keys.verify_compact_jws(jwt)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let integer = |name: &str| claims.get(name).and_then(Value::as_i64);
    Ok(StatusListTokenClaims {
        uri: text("sub").ok_or_else(|| malformed("sub is missing"))?,
        issuer: text("iss"),
        issued_at: integer("iat").ok_or_else(|| malformed("iat is missing"))?,
        expires_at: integer("exp"),
        ttl: claims.get("ttl").and_then(Value::as_u64),
        list: EncodedStatusList::from_json(
            claims
                .get("status_list")
                .ok_or_else(|| malformed("status_list is missing"))?,
        )?,
    })
}
