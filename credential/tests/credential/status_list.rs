//! Token Status List encoding against the draft's own test vectors (bits 1, 2, 4 and 8,
//! `tests/vectors/status_list.json`, taken from draft-ietf-oauth-status-list), and the
//! JWT and CWT Status List Tokens against the draft's examples.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_credential::status_list::cwt::cwt_claim;
use issuance_credential::status_list::{
    sign_status_list_cwt, sign_status_list_jwt, verify_status_list_cwt, verify_status_list_jwt,
    EncodedStatusList, StatusBits, StatusList, StatusListTokenClaims, StatusListTokenInput,
    STATUS_LIST_CWT_TYP,
};
use issuance_credential::{IssuerKeys, Jwk, SigningKey, StatusListError};
use josekit::jwk::alg::ec::EcCurve;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    bits: u8,
    size: u32,
    /// `[index, value]`, applied in order (the 8-bit vector's random indexes repeat).
    statuses: Vec<(u32, u8)>,
    /// The uncompressed bytes, hex, where the draft prints them.
    bytes: Option<String>,
    lst: String,
    /// The CBOR `StatusList` map, hex.
    cbor: String,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../vectors/status_list.json");
    serde_json::from_str::<Vectors>(text).unwrap().vectors
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn bits(vector: &Vector) -> StatusBits {
    StatusBits::new(vector.bits).unwrap()
}

/// The draft's list, decompressed by our decoder.
fn draft_list(vector: &Vector) -> StatusList {
    EncodedStatusList::from_lst(bits(vector), &vector.lst)
        .unwrap()
        .decode()
        .unwrap()
}

fn our_list(vector: &Vector) -> StatusList {
    let mut list = StatusList::new(bits(vector), vector.size).unwrap();
    for &(index, value) in &vector.statuses {
        list.set(index, value).unwrap();
    }
    list
}

#[test]
fn the_vectors_cover_every_width() {
    let widths: Vec<u8> = vectors().iter().map(|v| v.bits).collect();
    for bits in [1, 2, 4, 8] {
        assert!(widths.contains(&bits), "no {bits}-bit vector");
    }
}

#[test]
fn encoding_the_drafts_statuses_gives_the_drafts_decompressed_bytes() {
    for vector in vectors() {
        let ours = our_list(&vector);
        let draft = draft_list(&vector);
        assert_eq!(ours.as_bytes(), draft.as_bytes(), "{}", vector.name);
        if let Some(bytes) = &vector.bytes {
            assert_eq!(ours.as_bytes(), hex(bytes), "{}", vector.name);
        }
        // And our compressed form inflates to the same bytes.
        let encoded = ours.encode().unwrap();
        assert_eq!(
            encoded.decode().unwrap().as_bytes(),
            draft.as_bytes(),
            "{}",
            vector.name
        );
    }
}

#[test]
fn decoding_the_drafts_lists_gives_the_drafts_statuses() {
    for vector in vectors() {
        let list = draft_list(&vector);
        assert_eq!(list.size(), vector.size, "{}", vector.name);
        let expected: BTreeMap<u32, u8> = vector.statuses.iter().copied().collect();
        for index in 0..list.size() {
            let value = expected.get(&index).copied().unwrap_or(0);
            assert_eq!(list.get(index), Some(value), "{} [{index}]", vector.name);
        }
    }
}

#[test]
fn the_drafts_cbor_lists_inflate_to_the_same_bytes_as_its_json_lists() {
    for vector in vectors() {
        let map: ciborium::Value = ciborium::from_reader(hex(&vector.cbor).as_slice()).unwrap();
        let map = map.as_map().unwrap();
        assert_eq!(map[0].0.as_text(), Some("bits"));
        assert_eq!(map[0].1.as_integer(), Some(vector.bits.into()));
        let lst = map[1].1.as_bytes().unwrap().clone();
        let from_cbor = EncodedStatusList::new(bits(&vector), lst).decode().unwrap();
        assert_eq!(
            from_cbor.as_bytes(),
            our_list(&vector).as_bytes(),
            "{}",
            vector.name
        );
    }
}

#[test]
fn small_examples_compress_exactly_as_the_draft_prints_them() {
    for vector in vectors().iter().filter(|v| v.bytes.is_some()) {
        let encoded = our_list(vector).encode().unwrap();
        assert_eq!(encoded.lst(), vector.lst, "{}", vector.name);
        let mut cbor = Vec::new();
        ciborium::into_writer(&encoded.to_cbor(), &mut cbor).unwrap();
        assert_eq!(cbor, hex(&vector.cbor), "{}", vector.name);
        assert_eq!(
            encoded.to_json(),
            json!({"bits": vector.bits, "lst": vector.lst})
        );
    }
}

// --- tokens ------------------------------------------------------------------------------

const URI: &str = "https://example.com/statuslists/1";
const IAT: i64 = 1_686_920_170;
const EXP: i64 = 2_291_720_170;
const TTL: u64 = 43_200;

/// The draft's 16-entry 1-bit example list.
fn example_list() -> EncodedStatusList {
    let vector = vectors().into_iter().next().unwrap();
    our_list(&vector).encode().unwrap()
}

fn input(list: &EncodedStatusList) -> StatusListTokenInput<'_> {
    StatusListTokenInput {
        uri: URI,
        issuer: None,
        issued_at: IAT,
        expires_at: Some(EXP),
        ttl: Some(TTL),
        list,
    }
}

fn part(jwt: &str, n: usize) -> Value {
    let segment = jwt.split('.').nth(n).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[test]
fn the_jwt_has_the_drafts_header_and_claims() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let list = example_list();
    let jwt = sign_status_list_jwt(keys.active(), &input(&list)).unwrap();
    assert_eq!(
        part(&jwt, 0),
        json!({"alg": "ES256", "kid": keys.active().kid(), "typ": "statuslist+jwt"})
    );
    // The draft's example payload (examples/status_list_jwt.md).
    assert_eq!(
        part(&jwt, 1),
        json!({
            "exp": 2291720170u64, "iat": 1686920170, "ttl": 43200,
            "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
            "sub": "https://example.com/statuslists/1"
        })
    );
    let claims = verify_status_list_jwt(&keys, &jwt).unwrap();
    assert_eq!(claims, expected_claims(list));
}

fn expected_claims(list: EncodedStatusList) -> StatusListTokenClaims {
    StatusListTokenClaims {
        uri: URI.into(),
        issuer: None,
        issued_at: IAT,
        expires_at: Some(EXP),
        ttl: Some(TTL),
        list,
    }
}

/// A key whose chain is two (placeholder) certificates: placement, not validation.
fn key_with_chain() -> SigningKey {
    let jwk = Jwk::generate_ec_key(EcCurve::P256).unwrap();
    SigningKey::from_private_jwk(&jwk, 0, Some(vec![vec![1, 2, 3], vec![4, 5]])).unwrap()
}

#[test]
fn the_jwt_carries_x5c_and_iss_when_given() {
    let key = key_with_chain();
    let list = example_list();
    let jwt = sign_status_list_jwt(
        &key,
        &StatusListTokenInput {
            issuer: Some("https://example.com"),
            ..input(&list)
        },
    )
    .unwrap();
    assert_eq!(part(&jwt, 0)["x5c"], json!(["AQID", "BAU="]));
    assert_eq!(part(&jwt, 1)["iss"], "https://example.com");
}

#[test]
fn tampered_or_mistyped_jwts_are_refused() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let list = example_list();
    let jwt = sign_status_list_jwt(keys.active(), &input(&list)).unwrap();
    let other = IssuerKeys::ephemeral().unwrap();
    assert!(matches!(
        verify_status_list_jwt(&other, &jwt),
        Err(StatusListError::Signature(_))
    ));
    let mut parts: Vec<&str> = jwt.split('.').collect();
    let forged = URL_SAFE_NO_PAD
        .encode(br#"{"sub":"x","iat":1,"status_list":{"bits":1,"lst":"eNrbuRgAAhcBXQ"}}"#);
    parts[1] = &forged;
    assert!(verify_status_list_jwt(&keys, &parts.join(".")).is_err());
    let plain_jws = keys
        .sign_compact_jws("JWT", &json!({"sub": URI, "iat": IAT}))
        .unwrap();
    assert!(matches!(
        verify_status_list_jwt(&keys, &plain_jws),
        Err(StatusListError::MalformedToken(_))
    ));
}

#[test]
fn token_inputs_are_checked() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let list = example_list();
    let bad = [
        StatusListTokenInput {
            uri: "",
            ..input(&list)
        },
        StatusListTokenInput {
            expires_at: Some(IAT),
            ..input(&list)
        },
        StatusListTokenInput {
            ttl: Some(0),
            ..input(&list)
        },
    ];
    for input in bad {
        assert!(matches!(
            sign_status_list_jwt(keys.active(), &input),
            Err(StatusListError::InvalidInput(_))
        ));
        assert!(matches!(
            sign_status_list_cwt(keys.active(), &input),
            Err(StatusListError::InvalidInput(_))
        ));
    }
}

/// The draft's CWT example (examples/status_list_cwt.md): protected header and payload.
const DRAFT_CWT_PROTECTED: &str =
    "a2012610781a6170706c69636174696f6e2f7374617475736c6973742b637774";
const DRAFT_CWT_PAYLOAD: &str = "a502782168747470733a2f2f6578616d706c652e636f6d2f7374617475736c69\
                                 7374732f31061a648c5bea041a8898dfea19fffe19a8c019fffda264626974730\
                                 1636c73744a78dadbb918000217015d";

fn cose_parts(cwt: &[u8]) -> (u64, Vec<ciborium::Value>) {
    let value: ciborium::Value = ciborium::from_reader(cwt).unwrap();
    match value {
        ciborium::Value::Tag(tag, inner) => (tag, inner.into_array().unwrap()),
        other => panic!("not tagged: {other:?}"),
    }
}

#[test]
fn the_cwt_is_a_tagged_cose_sign1_with_the_drafts_header_and_claims() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let list = example_list();
    let cwt = sign_status_list_cwt(keys.active(), &input(&list)).unwrap();
    let (tag, parts) = cose_parts(&cwt);
    assert_eq!(tag, 18, "COSE_Sign1_Tagged");
    assert_eq!(parts.len(), 4);
    assert_eq!(parts[0].as_bytes().unwrap(), &hex(DRAFT_CWT_PROTECTED));
    let unprotected = parts[1].as_map().unwrap();
    assert_eq!(unprotected.len(), 1);
    assert_eq!(unprotected[0].0.as_integer(), Some(4.into()), "kid");
    assert_eq!(
        unprotected[0].1.as_bytes().unwrap(),
        keys.active().kid().as_bytes()
    );
    assert_eq!(parts[2].as_bytes().unwrap(), &hex(DRAFT_CWT_PAYLOAD));
    assert_eq!(parts[3].as_bytes().unwrap().len(), 64, "ES256 R || S");

    let claims = verify_status_list_cwt(&keys, &cwt).unwrap();
    assert_eq!(claims, expected_claims(list));
}

#[test]
fn the_cwt_carries_the_chain_and_iss_when_given() {
    let key = key_with_chain();
    let keys = IssuerKeys::new(key.clone(), vec![]);
    let list = example_list();
    let cwt = sign_status_list_cwt(
        &key,
        &StatusListTokenInput {
            issuer: Some("https://example.com"),
            ..input(&list)
        },
    )
    .unwrap();
    let (_, parts) = cose_parts(&cwt);
    let x5chain = parts[1]
        .as_map()
        .unwrap()
        .iter()
        .find(|(label, _)| label.as_integer() == Some(33.into()))
        .map(|(_, value)| value.clone())
        .unwrap();
    assert_eq!(
        x5chain,
        ciborium::Value::Array(vec![
            ciborium::Value::Bytes(vec![1, 2, 3]),
            ciborium::Value::Bytes(vec![4, 5])
        ])
    );
    let payload: ciborium::Value =
        ciborium::from_reader(parts[2].as_bytes().unwrap().as_slice()).unwrap();
    let first = &payload.as_map().unwrap()[0];
    assert_eq!(first.0.as_integer(), Some(cwt_claim::ISS.into()));
    let claims = verify_status_list_cwt(&keys, &cwt).unwrap();
    assert_eq!(claims.issuer.as_deref(), Some("https://example.com"));
}

#[test]
fn tampered_or_foreign_cwts_are_refused() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let list = example_list();
    let cwt = sign_status_list_cwt(keys.active(), &input(&list)).unwrap();
    let other = IssuerKeys::ephemeral().unwrap();
    assert!(matches!(
        verify_status_list_cwt(&other, &cwt),
        Err(StatusListError::Signature(_))
    ));
    let mut flipped = cwt.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(matches!(
        verify_status_list_cwt(&keys, &flipped),
        Err(StatusListError::Signature(_))
    ));
    // The draft's example is signed by another key (and its kid is "12").
    let draft = hex(concat!(
        "d2845820a2012610781a6170706c69636174696f6e2f7374617475736c6973742b63",
        "7774a1044231325850a502782168747470733a2f2f6578616d706c652e636f6d2f73",
        "74617475736c697374732f31061a648c5bea041a8898dfea19fffe19a8c019fffda2",
        "646269747301636c73744a78dadbb918000217015d584093fa4d01032b18c35e2fe1",
        "101b77fd6cc9440022caa4694450c4e4e9feab4e99d1fa6d9772ce2bf3a12e0323de",
        "d7c982c5e101a5e67f0cbc1e2b6f57ce99c279"
    ));
    assert!(matches!(
        verify_status_list_cwt(&keys, &draft),
        Err(StatusListError::Signature(_))
    ));
    assert!(matches!(
        verify_status_list_cwt(&keys, b"not cbor"),
        Err(StatusListError::MalformedToken(_))
    ));
    assert_eq!(STATUS_LIST_CWT_TYP, "application/statuslist+cwt");
}
