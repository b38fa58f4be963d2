#![allow(clippy::unwrap_used)]

use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509NameBuilder;
use serde_json::json;

use super::*;

fn p256() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn self_signed(key: &PKey<Private>) -> Vec<u8> {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "issuer.example").unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_issuer_name(&name).unwrap();
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    builder.sign(key, MessageDigest::sha256()).unwrap();
    builder.build().to_der().unwrap()
}

fn pem(key: &PKey<Private>) -> String {
    String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
}

#[test]
fn a_generated_key_round_trips_through_its_private_bytes() {
    let key = PrivateKey::generate().unwrap();
    let bytes = key.to_private_bytes();
    let private: Value = serde_json::from_slice(&bytes).unwrap();
    let mut names: Vec<_> = private.as_object().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["crv", "d", "kty", "x", "y"]);
    let again = PrivateKey::from_private_bytes(&bytes, None).unwrap();
    assert_eq!(again.signing_key().kid(), key.signing_key().kid());
    let public = key.public_jwk();
    assert!(public.get("d").is_none());
    assert_eq!(public["kid"], key.signing_key().kid());
    assert_eq!(
        (&public["alg"], &public["use"]),
        (&json!("ES256"), &json!("sig"))
    );
    assert!(!format!("{key:?}").contains(private["d"].as_str().unwrap()));
}

#[test]
fn a_pem_and_its_jwk_give_the_same_key() {
    let key = p256();
    let from_pem = PrivateKey::from_pem(&pem(&key), None).unwrap();
    let private: Value = serde_json::from_slice(&from_pem.to_private_bytes()).unwrap();
    let mut with_extras = private.clone();
    with_extras["kid"] = json!("mine");
    with_extras["alg"] = json!("ES256");
    let from_jwk = PrivateKey::from_json(&with_extras, None).unwrap();
    assert_eq!(from_jwk.signing_key().kid(), from_pem.signing_key().kid());
    // Extra members are not kept.
    assert_eq!(from_jwk.to_private_bytes(), from_pem.to_private_bytes());
}

#[test]
fn public_only_and_foreign_keys_are_refused() {
    let key = PrivateKey::generate().unwrap();
    let mut public: Value = serde_json::from_slice(&key.to_private_bytes()).unwrap();
    public.as_object_mut().unwrap().remove("d");
    assert!(PrivateKey::from_json(&public, None).is_err());
    let mut es384 = serde_json::from_slice::<Value>(&key.to_private_bytes()).unwrap();
    es384["alg"] = json!("ES384");
    assert!(PrivateKey::from_json(&es384, None).is_err());
    assert!(PrivateKey::from_json(&json!("not a jwk"), None).is_err());
    let public_pem = String::from_utf8(p256().public_key_to_pem().unwrap()).unwrap();
    assert!(PrivateKey::from_pem(&public_pem, None).is_err());
    assert!(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nxx\n", None).is_err());
}

#[test]
fn a_chain_must_certify_the_key() {
    let key = p256();
    let certificate = self_signed(&key);
    let x5c = vec![STANDARD.encode(&certificate)];
    let chain = decode_x5c(&x5c).unwrap();
    let imported = PrivateKey::from_pem(&pem(&key), Some(chain.clone())).unwrap();
    assert_eq!(imported.public_jwk()["x5c"], json!(x5c));

    let other = PrivateKey::from_pem(&pem(&p256()), Some(chain));
    assert!(matches!(other, Err(KeyError::InvalidKey(reason)) if reason.contains("certify")));
    assert!(decode_x5c(&["bm90IGEgY2VydA==".into()]).is_err());
    assert!(decode_x5c(&["***".into()]).is_err());
    assert!(PrivateKey::from_pem(&pem(&key), Some(vec![])).is_err());
}
