//! Key attestations (OID4VCI 1.0 Appendix D; issue 21 item 3): a configuration with
//! `key_attestations_required` advertises it on its `jwt` proof type, and issues only to
//! keys listed in a valid `key_attestation` proof header (trusted chain, constraints met);
//! in a batch, every key. Anything else is `invalid_proof`.

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
    let root = TestCertificate::root("Key Storage Root", now() - YEAR, now() + YEAR);
    let signer = root.issue("Key Storage Provider", false, now() - YEAR, now() + YEAR);
    let dir = tempfile::tempdir().unwrap();
    let anchor_file = dir.path().join("key-storage-root.pem");
    std::fs::write(&anchor_file, root.pem()).unwrap();
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
