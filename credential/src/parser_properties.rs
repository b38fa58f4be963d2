//! Property tests of every parser here that takes a wallet's input: key proof JWTs, DPoP
//! proofs and the JWKs inside them. Whatever arrives, they return a typed error and never
//! panic; a proof signed by its header key is judged on its claims alone.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsHeader, ES256, ES384};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Map, Value};

use crate::dpop::{verify_dpop_proof, DpopExpectations};
use crate::jwk::{ensure_public, thumbprint};
use crate::proof::{verify_proof_jwt, ProofExpectations};

const NOW: i64 = 1_800_000_000;
const AUDIENCE: &str = "https://issuer.example";
const ALGS: &[&str] = &["ES256", "ES384", "ES512", "EdDSA"];

fn config() -> Config {
    Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    }
}

fn proof_expectations() -> ProofExpectations<'static> {
    ProofExpectations {
        audience: AUDIENCE,
        now: NOW,
        max_age_seconds: 300,
        max_future_skew_seconds: 60,
        allowed_algs: ALGS,
        client_id: Some("wallet"),
    }
}

fn dpop_expectations() -> DpopExpectations<'static> {
    DpopExpectations {
        method: "POST",
        uri: "https://issuer.example/credential",
        access_token: Some("token"),
        now: NOW,
        max_age_seconds: 60,
        max_future_skew_seconds: 10,
        allowed_algs: ALGS,
    }
}

/// Numbers that break careless arithmetic: extremes, fractions, exponents.
fn edge_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(NOW)),
        Just(json!(NOW as f64 + 0.5)),
        Just(serde_json::from_str::<Value>("1e308").unwrap_or(Value::Null)),
        Just(serde_json::from_str::<Value>("-1e308").unwrap_or(Value::Null)),
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        edge_number(),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value for a member a proof reads: usually of a plausible kind, sometimes anything.
fn member(plausible: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        3 => plausible.prop_map(Some),
        1 => any_json().prop_map(Some),
        1 => Just(None),
    ]
    .boxed()
}

/// JWK-shaped maps: real public and private keys, and maps of key members with any values.
fn any_jwk_map() -> impl Strategy<Value = Map<String, Value>> {
    let real = prop_oneof![
        Just(public_map(&ec_key(EcCurve::P256))),
        Just(public_map(&ec_key(EcCurve::P384))),
        Just(public_map(&ed_key())),
        Just(ec_key(EcCurve::P256).as_ref().clone()),
    ];
    let names = prop_oneof![
        Just("kty"),
        Just("crv"),
        Just("x"),
        Just("y"),
        Just("n"),
        Just("e"),
        Just("d"),
        Just("k"),
        Just("kid"),
        Just("alg")
    ];
    let values = prop_oneof![
        Just(json!("EC")),
        Just(json!("OKP")),
        Just(json!("RSA")),
        Just(json!("P-256")),
        Just(json!("Ed25519")),
        "[A-Za-z0-9_-]{0,90}".prop_map(Value::String),
        any_json(),
    ];
    let made_up = prop::collection::btree_map(names, values, 0..8)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    prop_oneof![real, made_up]
}

fn ec_key(curve: EcCurve) -> Jwk {
    Jwk::generate_ec_key(curve).unwrap_or_else(|_| Jwk::new("EC"))
}

fn ed_key() -> Jwk {
    Jwk::generate_ed_key(EdCurve::Ed25519).unwrap_or_else(|_| Jwk::new("OKP"))
}

fn public_map(key: &Jwk) -> Map<String, Value> {
    key.to_public_key()
        .map(|k| k.as_ref().clone())
        .unwrap_or_default()
}

/// A compact JWS built from any header and payload and a signature of any bytes.
fn forged_jws() -> impl Strategy<Value = String> {
    let header = (
        member(prop_oneof![
            Just(json!("openid4vci-proof+jwt")),
            Just(json!("dpop+jwt"))
        ]),
        member(prop_oneof![
            Just(json!("ES256")),
            Just(json!("ES384")),
            Just(json!("EdDSA")),
            Just(json!("none")),
            Just(json!("HS256"))
        ]),
        member(any_jwk_map().prop_map(Value::Object)),
        member(any_json()),
        member(any_json()),
    )
        .prop_map(|(typ, alg, jwk, kid, x5c)| {
            let mut header = Map::new();
            for (name, value) in [
                ("typ", typ),
                ("alg", alg),
                ("jwk", jwk),
                ("kid", kid),
                ("x5c", x5c),
            ] {
                if let Some(value) = value {
                    header.insert(name.into(), value);
                }
            }
            header
        });
    let encoded = |bytes: Vec<u8>| URL_SAFE_NO_PAD.encode(bytes);
    (
        header,
        any_json(),
        prop::collection::vec(any::<u8>(), 0..140),
        prop::sample::select(vec![".", "..", ""]),
    )
        .prop_map(move |(header, payload, signature, extra)| {
            format!(
                "{}.{}.{}{extra}",
                encoded(Value::Object(header).to_string().into_bytes()),
                encoded(payload.to_string().into_bytes()),
                encoded(signature)
            )
        })
}

/// Proof claims: each member plausible, absent or anything.
fn proof_claims() -> impl Strategy<Value = Value> {
    (
        member(prop_oneof![
            Just(json!(AUDIENCE)),
            Just(json!([AUDIENCE])),
            Just(json!("https://other.example"))
        ]),
        member(prop_oneof![Just(json!(NOW)), edge_number()]),
        member(edge_number()),
        member(".{0,16}".prop_map(Value::String)),
        member(prop_oneof![Just(json!("wallet")), Just(json!("other"))]),
        member(".{0,300}".prop_map(Value::String)),
        member(prop_oneof![Just(json!("POST")), Just(json!("GET"))]),
        member(prop_oneof![
            Just(json!("https://issuer.example/credential")),
            ".{0,40}".prop_map(Value::String)
        ]),
        member(".{0,60}".prop_map(Value::String)),
    )
        .prop_map(|(aud, iat, exp, nonce, iss, jti, htm, htu, ath)| {
            let mut claims = Map::new();
            let members = [
                ("aud", aud),
                ("iat", iat),
                ("exp", exp),
                ("nonce", nonce),
                ("iss", iss),
                ("jti", jti),
                ("htm", htm),
                ("htu", htu),
                ("ath", ath),
            ];
            for (name, value) in members {
                if let Some(value) = value {
                    claims.insert(name.into(), value);
                }
            }
            Value::Object(claims)
        })
}

/// Signs `claims` with a fresh key of `alg`, the public key in the header.
fn signed(alg: &str, typ: &str, claims: &Value) -> Option<String> {
    let (key, signer): (Jwk, Box<dyn josekit::jws::JwsSigner>) = match alg {
        "ES256" => {
            let key = ec_key(EcCurve::P256);
            let signer = ES256.signer_from_jwk(&key).ok()?;
            (key, Box::new(signer))
        }
        "ES384" => {
            let key = ec_key(EcCurve::P384);
            let signer = ES384.signer_from_jwk(&key).ok()?;
            (key, Box::new(signer))
        }
        _ => {
            let key = ed_key();
            let signer = EdDSA.signer_from_jwk(&key).ok()?;
            (key, Box::new(signer))
        }
    };
    let mut header = JwsHeader::new();
    header.set_token_type(typ);
    header.set_jwk(key.to_public_key().ok()?);
    josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &*signer).ok()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_refused_as_a_proof_or_dpop_proof(text in ".{0,400}") {
        prop_assert!(verify_proof_jwt(&text, &proof_expectations()).is_err());
        prop_assert!(verify_dpop_proof(&text, &dpop_expectations()).is_err());
    }

    #[test]
    fn forged_proofs_are_refused_with_a_typed_error(jws in forged_jws()) {
        prop_assert!(verify_proof_jwt(&jws, &proof_expectations()).is_err());
        prop_assert!(verify_dpop_proof(&jws, &dpop_expectations()).is_err());
    }

    #[test]
    fn signed_proofs_are_judged_on_their_claims(
        alg in prop::sample::select(vec!["ES256", "ES384", "EdDSA"]),
        claims in proof_claims(),
    ) {
        let Some(jwt) = signed(alg, "openid4vci-proof+jwt", &claims) else {
            return Err(TestCaseError::reject("key generation failed"));
        };
        if let Ok(verified) = verify_proof_jwt(&jwt, &proof_expectations()) {
            // Accepted only with a nonce, for us, from a time we accept.
            prop_assert_eq!(verified.nonce.as_deref(), claims["nonce"].as_str());
            prop_assert!(verified.issued_at >= NOW - 300 && verified.issued_at <= NOW + 60);
            let aud_ok = claims["aud"] == json!(AUDIENCE)
                || claims["aud"].as_array().is_some_and(|a| a.contains(&json!(AUDIENCE)));
            prop_assert!(aud_ok, "{}", claims);
        }
        let Some(dpop) = signed(alg, "dpop+jwt", &claims) else {
            return Err(TestCaseError::reject("key generation failed"));
        };
        if let Ok(verified) = verify_dpop_proof(&dpop, &dpop_expectations()) {
            prop_assert_eq!(claims["htm"].as_str(), Some("POST"));
            prop_assert!(verified.issued_at >= NOW - 60 && verified.issued_at <= NOW + 10);
        }
    }

    #[test]
    fn jwk_helpers_never_panic(map in any_jwk_map()) {
        if let Ok(jwk) = Jwk::from_map(map.clone()) {
            let _ = thumbprint(&jwk);
            let public = ensure_public(&jwk);
            let has_private = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
                .iter()
                .any(|m| map.contains_key(*m));
            prop_assert_eq!(public.is_err(), has_private);
        }
    }
}
