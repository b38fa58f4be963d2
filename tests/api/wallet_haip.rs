//! `profile = "haip"` (issue 21 items 1, 2): start-up is refused without trust anchors or an
//! issuer certificate chain, naming the fields; the profile makes credential encryption
//! required (refusing another explicit mode, naming the field) and every SD-JWT VC
//! configuration require key attestations; a runtime issuer is served only while its
//! active key has a certificate chain. The flows and the metadata of a running HAIP issuer
//! are in `haip_acceptance` and `haip_metadata`.

use issuance::config::{EncryptionMode, LoadedConfig, BUILT_IN_CONFIG};
use issuance_domain::credential_config::KeyAttestationsRequired;
use serde_json::{json, Value};

use issuance_credential::attestation::testing::TestCertificate;
use reqwest::Method;

use crate::issuer_wallets::ready_issuer;
use crate::management_issuers::call;
use crate::support::haip::HaipDeployment;
use crate::support::spawn_app_with;
use crate::support::wallet::now;

#[test]
fn haip_refuses_to_start_without_anchors_or_certificate_chain() {
    let errors = issuance::config::LoadedConfig::from_toml_with(
        issuance::config::BUILT_IN_CONFIG,
        &[("profile", json!("haip"))],
    )
    .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for field in [
        "attestation.trust_anchors",
        "issuer.certificate_chain_file",
        "issuer.signing_key_file",
    ] {
        assert!(text.iter().any(|t| t.contains(field)), "{field}: {text:?}");
    }
}

#[test]
fn haip_requires_encryption_and_key_attestations_of_every_sd_jwt_configuration() {
    let deployment = HaipDeployment::new();
    let toml = format!(
        "{BUILT_IN_CONFIG}\n[[credential_configurations]]\nid = \"Constrained\"\n\
         vct = \"https://t.example/c\"\n\
         key_attestations_required = {{ key_storage = [\"iso_18045_high\"] }}\n"
    );
    let load = |extra: &[(&'static str, Value)]| {
        let mut settings = deployment.settings();
        settings.extend(extra.iter().cloned());
        let overrides: Vec<(&str, Value)> = settings.iter().map(|(k, v)| (*k, v.clone())).collect();
        LoadedConfig::from_toml_with(&toml, &overrides)
    };
    let loaded = load(&[]).unwrap();
    assert_eq!(
        loaded.settings.issuer.encryption_mode(),
        EncryptionMode::Required
    );
    let mut configurations = 0;
    for configuration in loaded.catalog.iter() {
        let expected = if configuration.id == "Constrained" {
            KeyAttestationsRequired {
                key_storage: vec!["iso_18045_high".into()],
                ..KeyAttestationsRequired::default()
            }
        } else {
            KeyAttestationsRequired::default()
        };
        assert_eq!(
            configuration.key_attestations_required.as_ref(),
            Some(&expected),
            "{}",
            configuration.id
        );
        configurations += 1;
    }
    assert!(configurations >= 2);
    // Explicitly required is fine; any other explicit mode is refused, naming the field.
    load(&[("issuer.credential_encryption", json!("required"))]).unwrap();
    for mode in ["disabled", "optional"] {
        let errors = load(&[("issuer.credential_encryption", json!(mode))]).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.to_string().contains("issuer.credential_encryption")),
            "{mode}: {errors:?}"
        );
    }
    // Without the profile nothing changes.
    let plain = LoadedConfig::from_toml_with(BUILT_IN_CONFIG, &[]).unwrap();
    assert_eq!(
        plain.settings.issuer.encryption_mode(),
        EncryptionMode::Disabled
    );
    assert!(plain
        .catalog
        .iter()
        .all(|c| c.key_attestations_required.is_none()));
}

#[tokio::test]
async fn a_runtime_issuer_is_served_in_haip_only_with_a_certified_active_key() {
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(deployment.options()).await;
    // A generated key has no certificate chain: the issuer is not served.
    ready_issuer(&app, "acme", "https://types.example/acme").await;
    let metadata = format!("{}/acme/.well-known/openid-credential-issuer", app.wallet);
    let response = app.client.get(&metadata).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);

    // An imported key with its chain, activated: served, its JWKS with the `x5c`.
    let year = 365 * 24 * 3600;
    let root = TestCertificate::root("Acme Root", now() - year, now() + year);
    let leaf = root.issue("Acme Issuer", false, now() - year, now() + year);
    let pem = String::from_utf8(leaf.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let (status, key) = call(
        &app,
        Method::POST,
        "/issuers/acme/keys",
        Some(json!({"pem": pem, "x5c": [leaf.x5c_entry()]})),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    let kid = key["kid"].as_str().unwrap();
    let (status, body) = call(
        &app,
        Method::POST,
        &format!("/issuers/acme/keys/{kid}/activate"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let response = app.client.get(&metadata).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // The deployment's profile is the issuer's: its configuration requires key attestations.
    let served: Value = response.json().await.unwrap();
    let (_, issuer) = call(&app, Method::GET, "/issuers/acme", None).await;
    assert_eq!(
        (&issuer["profile"], &issuer["served_profile"]),
        (&json!("standard"), &json!("haip")),
        "recorded and served: {issuer}"
    );
    let proof_types = &served["credential_configurations_supported"]["Id"]["proof_types_supported"];
    assert_eq!(proof_types["jwt"]["key_attestations_required"], json!({}));
    let jwks: Value = app
        .client
        .get(format!("{}/acme/.well-known/jwt-vc-issuer", app.wallet))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["jwks"]["keys"][0]["x5c"][0], json!(leaf.x5c_entry()));
}
