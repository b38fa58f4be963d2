//! Key attestations (OID4VCI 1.0 Appendix D; issue 21 item 3): a configuration with
//! `key_attestations_required` advertises it on its `jwt` proof type, and issues only to
//! keys listed in a valid `key_attestation` proof header (trusted chain, constraints met);
//! in a batch, every key. Anything else is `invalid_proof`. The key attestation may also be
//! the request's one `attestation` proof (Appendix F.3): its attested keys are the holder
//! keys, its `nonce` the `c_nonce`, with the same checks and errors as the `jwt` path.

use std::path::PathBuf;

use issuance_credential::attestation::testing::TestCertificate;
use issuance_credential::KEY_ATTESTATION_TYP;
use serde_json::{json, Value};

use crate::support::wallet::*;
use crate::support::*;

const YEAR: i64 = 365 * 24 * 3600;
const CONFIGURATION: &str = "AttestedCredential";

fn options(anchor_file: &std::path::Path) -> TestOptions {
    let extra = r#"
[[credential_configurations]]
id = "AttestedCredential"
vct = "https://types.example/attested"
scope = "attested_credential"
key_attestations_required = { key_storage = ["iso_18045_high"] }

[[credential_configurations.claims]]
path = "given_name"
"#;
    TestOptions {
        toml: format!("{}{extra}", issuance::config::BUILT_IN_CONFIG),
        ..TestOptions::default()
    }
    .set("attestation.trust_anchors", json!([anchor_file]))
}

/// A key storage provider's root (written to the returned anchor file) and signer.
fn key_storage() -> (TestCertificate, TestCertificate, tempfile::TempDir, PathBuf) {
    let root = TestCertificate::root("Key Storage Root", now() - YEAR, now() + YEAR);
    let signer = root.issue("Key Storage Provider", false, now() - YEAR, now() + YEAR);
    let dir = tempfile::tempdir().unwrap();
    let anchor_file = dir.path().join("key-storage-root.pem");
    std::fs::write(&anchor_file, root.pem()).unwrap();
    (root, signer, dir, anchor_file)
}

/// A key attestation by `signer` for `keys` at `level`.
fn key_attestation(signer: &TestCertificate, keys: &[&HolderKey], level: &str) -> String {
    let keys: Vec<Value> = keys.iter().map(|k| k.public_json()).collect();
    signer.sign(
        KEY_ATTESTATION_TYP,
        &[signer],
        &json!({"iat": now(), "exp": now() + 600, "attested_keys": keys,
                "key_storage": [level]}),
    )
}

/// A `jwt` proof by `key` carrying `attestation`.
fn proof(app: &TestApp, key: &HolderKey, nonce: &str, attestation: Option<&str>) -> String {
    let mut header = json!({"typ": "openid4vci-proof+jwt", "jwk": key.public_json()});
    if let Some(attestation) = attestation {
        header["key_attestation"] = json!(attestation);
    }
    key.sign(
        &header,
        &json!({"aud": app.wallet, "iat": now(), "nonce": nonce}),
    )
}

async fn request(
    app: &TestApp,
    token: &str,
    keys: &[&HolderKey],
    attestation: Option<&str>,
) -> Reply {
    let nonce = app.c_nonce().await;
    let proofs: Vec<String> = keys
        .iter()
        .map(|key| proof(app, key, &nonce, attestation))
        .collect();
    app.credential_request(
        token,
        &json!({"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": proofs}}),
    )
    .await
}

#[tokio::test]
async fn only_attested_keys_receive_credentials() {
    let (_root, signer, _dir, anchor_file) = key_storage();
    let app = spawn_app_with(options(&anchor_file)).await;

    let metadata = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await;
    assert_eq!(
        metadata.body["credential_configurations_supported"][CONFIGURATION]
            ["proof_types_supported"]["jwt"]["key_attestations_required"],
        json!({"key_storage": ["iso_18045_high"]})
    );

    let created = app
        .create_offer(&json!({"credential_configuration_id": CONFIGURATION,
                              "claims": {"given_name": "Erika"}}))
        .await;
    let token = app.access_token(&created).await;
    let (first, second) = (HolderKey::es256(), HolderKey::es256());
    let keys = [&first, &second];

    let other_root = TestCertificate::root("Other Root", now() - YEAR, now() + YEAR);
    let untrusted = other_root.issue("Other Provider", false, now() - YEAR, now() + YEAR);
    let refused: Vec<(&str, Option<String>)> = vec![
        ("requires a key_attestation", None),
        (
            "not among the key attestation",
            Some(key_attestation(&signer, &[&first], "iso_18045_high")),
        ),
        (
            "does not lead to a trusted anchor",
            Some(key_attestation(&untrusted, &keys, "iso_18045_high")),
        ),
        (
            "does not meet key_attestations_required",
            Some(key_attestation(&signer, &keys, "iso_18045_moderate")),
        ),
    ];
    for (case, attestation) in refused {
        let reply = request(&app, &token, &keys, attestation.as_deref()).await;
        assert_eq!(reply.status, 400, "{case}: {}", reply.body);
        assert_eq!(reply.body["error"], "invalid_proof", "{case}");
        let description = reply.body["error_description"].as_str().unwrap();
        assert!(description.contains(case), "{case}: {description}");
    }

    let attestation = key_attestation(&signer, &keys, "iso_18045_high");
    let reply = request(&app, &token, &keys, Some(&attestation)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["credentials"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn key_attestations_need_trust_anchors() {
    let toml = format!(
        "{}\n[[credential_configurations]]\nid = \"A\"\nvct = \"https://t.example/a\"\n\
         key_attestations_required = {{}}\n",
        issuance::config::BUILT_IN_CONFIG
    );
    let errors = issuance::config::LoadedConfig::from_toml_with(&toml, &[]).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().contains("attestation.trust_anchors")),
        "{errors:?}"
    );
}

/// A key attestation for the `attestation` proof type (Appendix F.3): `keys` at
/// `iso_18045_high`, signed by `signer` with chain `x5c`, carrying `nonce`.
fn attestation_proof(
    signer: &TestCertificate,
    x5c: &[&TestCertificate],
    keys: &[&HolderKey],
    nonce: Option<&str>,
    exp: i64,
) -> String {
    let keys: Vec<Value> = keys.iter().map(|k| k.public_json()).collect();
    let mut claims = json!({"iat": now(), "exp": exp, "attested_keys": keys,
                            "key_storage": ["iso_18045_high"]});
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    signer.sign(KEY_ATTESTATION_TYP, x5c, &claims)
}

async fn attestation_request(app: &TestApp, token: &str, configuration: &str, jwt: &str) -> Reply {
    app.credential_request(
        token,
        &json!({"credential_configuration_id": configuration,
                "proofs": {"attestation": [jwt]}}),
    )
    .await
}

#[tokio::test]
async fn the_attestation_proof_type_binds_one_credential_to_each_attested_key() {
    let (root, signer, _dir, anchor_file) = key_storage();
    let app = spawn_app_with(options(&anchor_file).set("issuer.batch_size", json!(3))).await;

    // Advertised where key attestations are required, with the attestation algorithms.
    let metadata = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await;
    let configurations = &metadata.body["credential_configurations_supported"];
    assert_eq!(
        configurations[CONFIGURATION]["proof_types_supported"]["attestation"],
        json!({"proof_signing_alg_values_supported": ["ES256", "ES384"],
               "key_attestations_required": {"key_storage": ["iso_18045_high"]}})
    );
    assert!(configurations["IdentityCredential"]["proof_types_supported"]["attestation"].is_null());

    let created = app
        .create_offer(&json!({"credential_configuration_id": CONFIGURATION,
                              "claims": {"given_name": "Erika"}}))
        .await;
    let token = app.access_token(&created).await;
    let keys = [HolderKey::es256(), HolderKey::es256()];
    let keys: Vec<&HolderKey> = keys.iter().collect();
    let other_root = TestCertificate::root("Other Root", now() - YEAR, now() + YEAR);
    let untrusted = other_root.issue("Other Provider", false, now() - YEAR, now() + YEAR);
    let self_signed = TestCertificate::root("Self-Signed Provider", now() - YEAR, now() + YEAR);
    let four: Vec<HolderKey> = (0..4).map(|_| HolderKey::es256()).collect();
    let four: Vec<&HolderKey> = four.iter().collect();
    let nonce = app.c_nonce().await;
    let later = now() + 600;
    let refused: Vec<(&str, &str, String)> = vec![
        (
            "does not lead to a trusted anchor",
            "invalid_proof",
            attestation_proof(&untrusted, &[&untrusted], &keys, Some(&nonce), later),
        ),
        (
            "expired",
            "invalid_proof",
            attestation_proof(&signer, &[&signer], &keys, Some(&nonce), now() - 1),
        ),
        (
            "must not include the trust anchor",
            "invalid_proof",
            attestation_proof(&signer, &[&signer, &root], &keys, Some(&nonce), later),
        ),
        (
            "self-signed",
            "invalid_proof",
            attestation_proof(&self_signed, &[&self_signed], &keys, Some(&nonce), later),
        ),
        (
            "has no nonce",
            "invalid_proof",
            attestation_proof(&signer, &[&signer], &keys, None, later),
        ),
        (
            "at most 3 proofs",
            "invalid_proof",
            attestation_proof(&signer, &[&signer], &four, Some(&nonce), later),
        ),
        (
            "not a c_nonce of this issuer",
            "invalid_nonce",
            attestation_proof(&signer, &[&signer], &keys, Some("forged"), later),
        ),
    ];
    for (case, code, jwt) in refused {
        let reply = attestation_request(&app, &token, CONFIGURATION, &jwt).await;
        assert_eq!(reply.status, 400, "{case}: {}", reply.body);
        assert_eq!(reply.body["error"], code, "{case}");
        let description = reply.body["error_description"].as_str().unwrap();
        assert!(description.contains(case), "{case}: {description}");
    }
    // A jwt proof with the same forged nonce gets the same answer.
    let forged = request_with_nonce(&app, &token, &keys, "forged", &signer).await;
    assert_eq!(forged.body["error"], "invalid_nonce", "{}", forged.body);

    let jwt = attestation_proof(&signer, &[&signer], &keys, Some(&nonce), later);
    let reply = attestation_request(&app, &token, CONFIGURATION, &jwt).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let credentials = reply.body["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2);
    for (credential, key) in credentials.iter().zip(&keys) {
        let compact = credential["credential"].as_str().unwrap();
        let payload = decode_segment(
            compact
                .split('~')
                .next()
                .unwrap()
                .split('.')
                .nth(1)
                .unwrap(),
        );
        let bound = &payload["cnf"]["jwk"];
        assert_eq!(
            bound["x"],
            key.public_json()["x"],
            "bound to the attested key"
        );
    }
    // The c_nonce is spent.
    let reply = attestation_request(&app, &token, CONFIGURATION, &jwt).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
}

#[tokio::test]
async fn the_attestation_proof_type_is_refused_where_it_is_not_advertised() {
    let (_root, signer, _dir, anchor_file) = key_storage();
    let app = spawn_app_with(options(&anchor_file)).await;
    let created = app.create_offer(&identity_offer()).await;
    let token = app.access_token(&created).await;
    let key = HolderKey::es256();
    let nonce = app.c_nonce().await;
    let jwt = attestation_proof(&signer, &[&signer], &[&key], Some(&nonce), now() + 600);
    let reply = attestation_request(&app, &token, "IdentityCredential", &jwt).await;
    reply.assert_error(400, "invalid_proof");
    let description = reply.body["error_description"].as_str().unwrap();
    assert!(
        description.contains("does not accept the attestation proof type"),
        "{description}"
    );
}

/// `jwt` proofs by `keys` over `nonce`, each with a valid key attestation.
async fn request_with_nonce(
    app: &TestApp,
    token: &str,
    keys: &[&HolderKey],
    nonce: &str,
    signer: &TestCertificate,
) -> Reply {
    let attestation = key_attestation(signer, keys, "iso_18045_high");
    let proofs: Vec<String> = keys
        .iter()
        .map(|key| proof(app, key, nonce, Some(&attestation)))
        .collect();
    app.credential_request(
        token,
        &json!({"credential_configuration_id": CONFIGURATION, "proofs": {"jwt": proofs}}),
    )
    .await
}
