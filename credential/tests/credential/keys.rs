//! Issuer key files: generation, reload, rotation, configured keys with certificate chains,
//! and the generic compact JWS.

use std::fs;
use std::path::Path;

use issuance_credential::{
    issue_sd_jwt_vc, thumbprint, IssuerKeys, KeyError, SdJwtVcInput, SignError,
};
use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509NameBuilder, X509};
use serde_json::{json, Map};

use crate::helpers::*;

fn key_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn load_or_generate_creates_one_key_and_reloads_the_same_kid() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let first = IssuerKeys::load_or_generate(&keys_dir).unwrap();
    let kid = first.active().kid().to_owned();
    assert_eq!(kid, thumbprint(first.active().public_jwk()).unwrap());

    let files = key_files(&keys_dir);
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with(&format!("-{kid}.jwk")), "{files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(keys_dir.join(&files[0]))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = fs::metadata(&keys_dir).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }

    let again = IssuerKeys::load_or_generate(&keys_dir).unwrap();
    assert_eq!(again.active().kid(), kid);
    assert_eq!(key_files(&keys_dir).len(), 1);
}

#[test]
fn jwks_publishes_public_keys_only() {
    let dir = tempfile::tempdir().unwrap();
    let keys = IssuerKeys::load_or_generate(dir.path()).unwrap();
    let published = &keys.jwks()["keys"];
    assert_eq!(published.as_array().unwrap().len(), 1);
    let key = &published[0];
    assert_eq!(key["kid"], keys.active().kid());
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert!(key.get("d").is_none());
}

#[test]
fn rotate_adds_an_active_key_and_keeps_the_old_one_published() {
    let dir = tempfile::tempdir().unwrap();
    let before = IssuerKeys::load_or_generate(dir.path()).unwrap();
    let old_kid = before.active().kid().to_owned();
    let old_jws = before
        .sign_compact_jws("checkpoint+jwt", &json!({"seq": 1}))
        .unwrap();

    let new_kid = IssuerKeys::rotate(dir.path()).unwrap();
    assert_ne!(new_kid, old_kid);
    let after = IssuerKeys::load_or_generate(dir.path()).unwrap();
    assert_eq!(after.active().kid(), new_kid);
    let kids: Vec<&str> = after.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![new_kid.as_str(), old_kid.as_str()]);
    // What the old key signed still verifies.
    assert_eq!(
        after.verify_compact_jws(&old_jws).unwrap(),
        json!({"seq": 1})
    );

    // Rotating twice within one second still orders the keys.
    let newest = IssuerKeys::rotate(dir.path()).unwrap();
    let reloaded = IssuerKeys::load_or_generate(dir.path()).unwrap();
    assert_eq!(reloaded.active().kid(), newest);
    assert_eq!(reloaded.keys().count(), 3);
}

#[test]
fn compact_jws_round_trips_and_rejects_tampering() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let payload = json!({"log_position": 42, "root": "abc"});
    let jws = keys
        .sign_compact_jws("audit-checkpoint+jwt", &payload)
        .unwrap();
    let header = decode(jws.split('.').next().unwrap());
    assert_eq!(header["typ"], "audit-checkpoint+jwt");
    assert_eq!(header["kid"], keys.active().kid());
    assert_eq!(header["alg"], "ES256");
    assert_eq!(keys.verify_compact_jws(&jws).unwrap(), payload);

    let parts: Vec<&str> = jws.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        segment(&json!({"log_position": 43})),
        parts[2]
    );
    assert!(matches!(
        keys.verify_compact_jws(&forged),
        Err(SignError::InvalidSignature(_))
    ));

    let stranger = IssuerKeys::ephemeral().unwrap();
    let foreign = stranger.sign_compact_jws("x", &payload).unwrap();
    assert!(matches!(
        keys.verify_compact_jws(&foreign),
        Err(SignError::UnknownKey(_))
    ));
    assert!(matches!(
        keys.verify_compact_jws("garbage"),
        Err(SignError::Malformed(_))
    ));
}

#[test]
fn renamed_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    IssuerKeys::load_or_generate(dir.path()).unwrap();
    let name = key_files(dir.path()).remove(0);
    fs::rename(dir.path().join(&name), dir.path().join("1-notthekid.jwk")).unwrap();
    assert!(matches!(
        IssuerKeys::load_or_generate(dir.path()),
        Err(KeyError::InvalidKeyFile { .. })
    ));
}

fn p256_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn self_signed(key: &PKey<Private>) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "issuer.example.com")
        .unwrap();
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
    builder.build()
}

#[test]
fn configured_pem_key_with_chain_signs_with_x5c() {
    let dir = tempfile::tempdir().unwrap();
    let key = p256_key();
    let certificate = self_signed(&key);
    let key_path = dir.path().join("issuer.pem");
    let chain_path = dir.path().join("chain.pem");
    fs::write(&key_path, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    fs::write(&chain_path, certificate.to_pem().unwrap()).unwrap();

    let keys = IssuerKeys::from_files(&key_path, Some(&chain_path)).unwrap();
    let der = certificate.to_der().unwrap();
    assert_eq!(keys.active().x5c(), Some(&[der.clone()][..]));
    assert!(keys.jwks()["keys"][0]["x5c"].is_array());

    let holder = es256_wallet().public;
    let claims = Map::new();
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: "urn:vct",
        vct_integrity: None,
        issued_at: NOW,
        expires_at: NOW + 60,
        holder_jwk: &holder,
        claims: &claims,
        definitions: &[],
        status: None,
    };
    let issued = issue_sd_jwt_vc(keys.active(), &input).unwrap();
    let (header, _, _) = split_sd_jwt(&issued.compact);
    use base64::Engine;
    let leaf = base64::engine::general_purpose::STANDARD
        .decode(header["x5c"][0].as_str().unwrap())
        .unwrap();
    assert_eq!(leaf, der);
    assert_eq!(header["kid"], keys.active().kid());
}

#[test]
fn chain_for_another_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("issuer.pem");
    let chain_path = dir.path().join("chain.pem");
    fs::write(&key_path, p256_key().private_key_to_pem_pkcs8().unwrap()).unwrap();
    fs::write(&chain_path, self_signed(&p256_key()).to_pem().unwrap()).unwrap();
    assert!(matches!(
        IssuerKeys::from_files(&key_path, Some(&chain_path)),
        Err(KeyError::Certificate { .. })
    ));
}

#[test]
fn configured_jwk_key_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let private = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let path = dir.path().join("issuer.jwk");
    fs::write(&path, private.to_string()).unwrap();
    let keys = IssuerKeys::from_files(&path, None).unwrap();
    assert_eq!(keys.active().kid(), thumbprint(&private).unwrap());
    assert!(keys.active().x5c().is_none());
}

#[test]
fn non_p256_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let private = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P384).unwrap();
    let path = dir.path().join("issuer.jwk");
    fs::write(&path, private.to_string()).unwrap();
    assert!(matches!(
        IssuerKeys::from_files(&path, None),
        Err(KeyError::InvalidKey(_))
    ));
}

#[test]
fn mismatched_private_and_public_halves_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let b = josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
    let mut map = a.as_ref().clone();
    map.insert("d".into(), b.parameter("d").unwrap().clone());
    let path = dir.path().join("issuer.jwk");
    fs::write(&path, serde_json::Value::Object(map).to_string()).unwrap();
    assert!(IssuerKeys::from_files(&path, None).is_err());
}
