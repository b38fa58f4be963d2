//! The Status List Token in CWT form (§5.2): a tagged COSE_Sign1 (tag 18) whose protected
//! header carries `alg` and `16` (typ) `application/statuslist+cwt`, over a CWT claims set
//! with `2` (sub), `6` (iat), `4` (exp), `65534` (ttl) and `65533` (status_list). For mdoc
//! credentials, which reference their status in CBOR.

use ciborium::Value;
use coset::{iana, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, TaggedCborSerializable};

use super::list::EncodedStatusList;
use super::{StatusBits, StatusListError, StatusListTokenClaims, StatusListTokenInput};
use crate::keys::{IssuerKeys, SigningKey};

/// The COSE `typ` (and media type) of a Status List Token CWT.
pub const STATUS_LIST_CWT_TYP: &str = "application/statuslist+cwt";

/// CWT claim keys of a Status List Token (RFC 8392 §4 and the draft's §14.3 requests).
pub mod cwt_claim {
    /// `iss`.
    pub const ISS: i64 = 1;
    /// `sub`: the list's URI.
    pub const SUB: i64 = 2;
    /// `exp`.
    pub const EXP: i64 = 4;
    /// `iat`.
    pub const IAT: i64 = 6;
    /// `status_list` (requested assignment).
    pub const STATUS_LIST: i64 = 65533;
    /// `ttl` (requested assignment).
    pub const TTL: i64 = 65534;
    /// `status` of a referenced token (requested assignment).
    pub const STATUS: i64 = 65535;
}

/// COSE header parameter `typ` (RFC 9596).
const HEADER_TYP: i64 = 16;

/// COSE header parameter `x5chain` (RFC 9360).
const HEADER_X5CHAIN: i64 = iana::HeaderParameter::X5Chain as i64;

/// Signs a Status List Token CWT with `key`: `kid` (and `x5chain`, with a configured chain)
/// in the unprotected header, as ISO mdoc issuers place them.
pub fn sign_status_list_cwt(
    key: &SigningKey,
    input: &StatusListTokenInput,
) -> Result<Vec<u8>, StatusListError> {
    input.check()?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .value(HEADER_TYP, Value::Text(STATUS_LIST_CWT_TYP.into()))
        .build();
    let mut unprotected = HeaderBuilder::new().key_id(key.kid().as_bytes().to_vec());
    if let Some(chain) = key.x5c() {
        let certificates: Vec<Value> = chain.iter().cloned().map(Value::Bytes).collect();
        let x5chain = match <[Value; 1]>::try_from(certificates) {
            Ok([single]) => single,
            Err(many) => Value::Array(many),
        };
        unprotected = unprotected.value(HEADER_X5CHAIN, x5chain);
    }
    CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected.build())
        .payload(claims_set(input)?)
        .try_create_signature(&[], |tbs| key.sign_bytes(tbs))?
        .build()
        .to_tagged_vec()
        .map_err(|e| StatusListError::InvalidInput(e.to_string()))
}

/// Verifies a tagged COSE_Sign1 Status List Token signed (ES256) by one of `keys`, chosen
/// by `kid`, and returns its claims. Freshness is the caller's.
pub fn verify_status_list_cwt(
    keys: &IssuerKeys,
    cwt: &[u8],
) -> Result<StatusListTokenClaims, StatusListError> {
    let malformed = |reason: &str| StatusListError::MalformedToken(reason.into());
    let sign1 = CoseSign1::from_tagged_slice(cwt)
        .map_err(|e| malformed(&format!("not a tagged COSE_Sign1: {e}")))?;
    let protected = &sign1.protected.header;
    let es256 = coset::RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256);
    if protected.alg.as_ref() != Some(&es256) {
        return Err(malformed("alg is not ES256"));
    }
    let typ = protected
        .rest
        .iter()
        .find(|(label, _)| *label == Label::Int(HEADER_TYP))
        .and_then(|(_, value)| value.as_text());
    if typ != Some(STATUS_LIST_CWT_TYP) {
        return Err(malformed("typ is not application/statuslist+cwt"));
    }
    let kid = [&sign1.unprotected.key_id, &protected.key_id]
        .into_iter()
        .find(|kid| !kid.is_empty())
        .and_then(|kid| std::str::from_utf8(kid).ok())
        .ok_or_else(|| malformed("no kid"))?;
    let key = keys
        .key(kid)
        .ok_or_else(|| crate::keys::SignError::UnknownKey(kid.to_owned()))?;
    sign1.verify_signature(&[], |signature, tbs| key.verify_bytes(tbs, signature))?;
    let payload = sign1
        .payload
        .as_deref()
        .ok_or_else(|| malformed("no payload"))?;
    parse_claims(payload)
}

fn claims_set(input: &StatusListTokenInput) -> Result<Vec<u8>, StatusListError> {
    let claim = |key: i64, value: Value| (Value::Integer(key.into()), value);
    let mut claims = Vec::with_capacity(6);
    if let Some(issuer) = input.issuer {
        claims.push(claim(cwt_claim::ISS, Value::Text(issuer.into())));
    }
    claims.push(claim(cwt_claim::SUB, Value::Text(input.uri.into())));
    claims.push(claim(
        cwt_claim::IAT,
        Value::Integer(input.issued_at.into()),
    ));
    if let Some(exp) = input.expires_at {
        claims.push(claim(cwt_claim::EXP, Value::Integer(exp.into())));
    }
    if let Some(ttl) = input.ttl {
        claims.push(claim(cwt_claim::TTL, Value::Integer(ttl.into())));
    }
    claims.push(claim(cwt_claim::STATUS_LIST, input.list.to_cbor()));
    let mut bytes = Vec::new();
    ciborium::into_writer(&Value::Map(claims), &mut bytes)
        .map_err(|e| StatusListError::InvalidInput(e.to_string()))?;
    Ok(bytes)
}

fn parse_claims(payload: &[u8]) -> Result<StatusListTokenClaims, StatusListError> {
    let malformed = |reason: &str| StatusListError::MalformedToken(reason.into());
    let claims: Value = ciborium::from_reader(payload)
        .map_err(|e| malformed(&format!("the claims set is not CBOR: {e}")))?;
    let claims = claims
        .as_map()
        .ok_or_else(|| malformed("the claims set is not a map"))?;
    let get = |key: i64| {
        claims
            .iter()
            .find(|(k, _)| k.as_integer() == Some(key.into()))
            .map(|(_, v)| v)
    };
    let integer = |key: i64| get(key).and_then(Value::as_integer);
    let list = get(cwt_claim::STATUS_LIST)
        .and_then(Value::as_map)
        .ok_or_else(|| malformed("status_list is missing"))?;
    let member = |name: &str| {
        list.iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    };
    let bits = member("bits")
        .and_then(Value::as_integer)
        .and_then(|bits| u8::try_from(bits).ok())
        .ok_or_else(|| malformed("status_list.bits is missing"))?;
    let bits = StatusBits::new(bits).ok_or(StatusListError::InvalidBits(bits.into()))?;
    let lst = member("lst")
        .and_then(Value::as_bytes)
        .ok_or_else(|| malformed("status_list.lst is missing or not bytes"))?;
    Ok(StatusListTokenClaims {
        uri: get(cwt_claim::SUB)
            .and_then(Value::as_text)
            .ok_or_else(|| malformed("sub is missing"))?
            .to_owned(),
        issuer: get(cwt_claim::ISS)
            .and_then(Value::as_text)
            .map(str::to_owned),
        issued_at: integer(cwt_claim::IAT)
            .and_then(|iat| i64::try_from(iat).ok())
            .ok_or_else(|| malformed("iat is missing"))?,
        expires_at: integer(cwt_claim::EXP).and_then(|exp| i64::try_from(exp).ok()),
        ttl: integer(cwt_claim::TTL).and_then(|ttl| u64::try_from(ttl).ok()),
        list: EncodedStatusList::new(bits, lst.clone()),
    })
}
