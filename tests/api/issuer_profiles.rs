//! Issue 21, per issuer: `PUT /issuers/{id}/profile` makes one runtime issuer follow HAIP
//! 1.0 while the others stay standard, in one deployment and without a restart. The
//! `haip` issuer's metadata advertises HAIP and its endpoints refuse a plain flow, while an
//! attested wallet completes a HAIP flow there; the standard issuer completes a plain
//! pre-authorized flow. Every refusal of the profile change is checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::issuer_wallets::{offer_of, ready_issuer, IssuerWallet};
use crate::management_issuers::{call, create_issuer};
use crate::support::haip::{HaipDeployment, HaipWallet};
use crate::support::wallet::{pre_authorized_code, HolderKey, PRE_AUTHORIZED};
use crate::support::*;

const CLIENT: &str = "haip-wallet";

/// A deployment that verifies wallet attestations but follows no profile itself.
async fn spawn(deployment: &HaipDeployment) -> TestApp {
    let (key, value) = deployment.anchor_setting();
    spawn_app_with(TestOptions::default().set(key, value)).await
}

/// `PUT /issuers/{id}/profile` of `name`: the status and the answer's `field`.
async fn set_profile(app: &TestApp, id: &str, name: &str, field: &str) -> (u16, Value) {
    let path = format!("/issuers/{id}/profile");
    let (status, body) = call(app, Method::PUT, &path, Some(json!({"profile": name}))).await;
    (status, body[field].clone())
}

/// Issuer `id` signing with the deployment's certified issuer key (its `x5c`), offering
/// configuration `Id`.
async fn certified_issuer(app: &TestApp, deployment: &HaipDeployment, id: &str) {
    create_issuer(app, id).await;
    let pem = String::from_utf8(deployment.issuer.key.private_key_to_pem_pkcs8().unwrap());
    let body = json!({"pem": pem.unwrap(), "x5c": [deployment.issuer.x5c_entry()]});
    let (status, key) = call(
        app,
        Method::POST,
        &format!("/issuers/{id}/keys"),
        Some(body),
    )
    .await;
    assert_eq!((status, &key["status"]), (201, &json!("active")), "{key}");
    let configuration = json!({
        "vct": format!("https://credentials.example/{id}"),
        "validity_days": 30,
        "display": [{"name": "ID", "locale": "en-US"}],
        "claims": [{"path": "given_name", "mandatory": true}],
    });
    let path = format!("/issuers/{id}/credential-configurations/Id");
    let (status, body) = call(app, Method::PUT, &path, Some(configuration)).await;
    assert_eq!(status, 201, "{body}");
}

/// The JSON of a JWT segment.
fn segment(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn a_haip_issuer_enforces_haip_beside_a_standard_one() {
    let deployment = HaipDeployment::new();
    let app = spawn(&deployment).await;
    ready_issuer(&app, "plain", "https://credentials.example/plain").await;
    certified_issuer(&app, &deployment, "strict").await;
    assert_eq!(
        set_profile(&app, "strict", "haip", "profile").await,
        (200, json!("haip"))
    );
    assert_eq!(
        set_profile(&app, "strict", "haip", "served_profile").await,
        (200, json!("haip"))
    );
    let (_, plain) = call(&app, Method::GET, "/issuers/plain", None).await;
    assert_eq!(plain["profile"], "standard");

    // The haip issuer advertises HAIP; the standard one does not.
    let strict = IssuerWallet::of(&app, "strict");
    let metadata = strict.metadata("openid-credential-issuer").await;
    let server = strict.metadata("oauth-authorization-server").await;
    assert_eq!(
        server["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );
    assert_eq!(
        metadata["credential_response_encryption"]["encryption_required"],
        json!(true)
    );
    assert_eq!(
        metadata["credential_request_encryption"]["encryption_required"],
        json!(true)
    );
    let proof_types =
        &metadata["credential_configurations_supported"]["Id"]["proof_types_supported"];
    assert_eq!(proof_types["jwt"]["key_attestations_required"], json!({}));
    let standard = IssuerWallet::of(&app, "plain");
    let plain_metadata = standard.metadata("openid-credential-issuer").await;
    let plain_proofs =
        &plain_metadata["credential_configurations_supported"]["Id"]["proof_types_supported"];
    assert_eq!(plain_proofs["jwt"].get("key_attestations_required"), None);
    assert_ne!(
        plain_metadata["credential_response_encryption"]["encryption_required"],
        json!(true)
    );
    let plain_server = standard.metadata("oauth-authorization-server").await;
    assert_ne!(
        plain_server["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );

    // A plain (unattested, bearer) token request is refused at the haip issuer and
    // completes at the standard one.
    let (status, created) = offer_of(&app, "strict").await;
    assert_eq!(status, 201, "{created}");
    let (status, refused) = strict.token(&created).await;
    assert_eq!(
        (status, &refused["error"]),
        (400, &json!("invalid_dpop_proof")),
        "{refused}"
    );
    let (status, created_plain) = offer_of(&app, "plain").await;
    assert_eq!(status, 201, "{created_plain}");
    standard.issue(&created_plain).await;

    // An attested wallet completes a HAIP flow at the haip issuer.
    let base = format!("{}/strict", app.wallet);
    let mut wallet = HaipWallet::new(&deployment, CLIENT);
    wallet.issuer = Some(base.clone());
    let code = pre_authorized_code(&created);
    let tx = created["tx_code_value"].as_str().unwrap().to_string();
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", tx.as_str()),
        ("client_id", CLIENT),
    ];
    // The issuer's DPoP nonces (the deployment itself uses none), then its attestation.
    let reply = wallet.post_form(&app, "/token", &params).await;
    reply.assert_error(400, "use_dpop_nonce");
    assert!(wallet.dpop_nonce.is_some());
    let unauthenticated = ["oauth-client-attestation", "oauth-client-attestation-pop"];
    wallet
        .post_form_without(&app, "/token", &params, &unauthenticated)
        .await
        .assert_error(401, "invalid_client");
    let reply = wallet.post_form(&app, "/token", &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "DPoP");
    let access_token = reply.body["access_token"].as_str().unwrap().to_string();
    let nonce: Value = app
        .client
        .post(format!("{base}/nonce"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c_nonce = nonce["c_nonce"].as_str().unwrap();
    let holder = HolderKey::es256();
    let request = json!({"credential_configuration_id": "Id",
        "proofs": {"jwt": [wallet.proof(&base, &holder, c_nonce, None)]}});
    // Unattested holder key, plain request: refused.
    let (status, _, text) = wallet
        .post_credential(&app, &access_token, "application/json", request.to_string())
        .await;
    assert_eq!(status, 400, "{text}");
    let attestation = HaipWallet::key_attestation(&deployment, &[&holder], Some(c_nonce));
    let proof = wallet.proof(&base, &holder, c_nonce, Some(&attestation));
    let request = json!({"credential_configuration_id": "Id", "proofs": {"jwt": [proof]}});
    let response = wallet
        .encrypted_credential(&app, &metadata, &access_token, &request)
        .await;
    let credential = response["credentials"][0]["credential"].as_str().unwrap();
    let mut parts = credential.split('~').next().unwrap().split('.');
    let header = segment(parts.next().unwrap());
    assert_eq!(header["x5c"][0], json!(deployment.issuer.x5c_entry()));
    assert_eq!(segment(parts.next().unwrap())["iss"], json!(base));

    // Back to standard, without a restart: the metadata no longer requires HAIP.
    assert_eq!(
        set_profile(&app, "strict", "standard", "profile").await,
        (200, json!("standard"))
    );
    let metadata = strict.metadata("openid-credential-issuer").await;
    let proof_types =
        &metadata["credential_configurations_supported"]["Id"]["proof_types_supported"];
    assert_eq!(proof_types["jwt"].get("key_attestations_required"), None);
    let (status, created) = offer_of(&app, "strict").await;
    assert_eq!(status, 201, "{created}");
    strict.issue(&created).await;
}

#[tokio::test]
async fn every_refusal_of_a_profile_change() {
    let deployment = HaipDeployment::new();
    let app = spawn(&deployment).await;
    ready_issuer(&app, "plain", "https://credentials.example/plain").await;

    assert_eq!(
        set_profile(&app, "plain", "HAIP", "error").await,
        (400, json!("invalid_request"))
    );
    assert_eq!(
        set_profile(&app, "nobody", "haip", "error").await,
        (404, json!("not_found"))
    );
    // The default issuer's profile is the configuration file's: nothing is recorded.
    let (_, before) = call(&app, Method::GET, "/issuers/default", None).await;
    for name in ["haip", "standard"] {
        assert_eq!(
            set_profile(&app, "default", name, "error").await,
            (409, json!("profile_from_configuration"))
        );
    }
    let (_, after) = call(&app, Method::GET, "/issuers/default", None).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(
        after["served_profile"],
        json!("standard"),
        "the deployment's: {after}"
    );
    // The active key has no certificate chain.
    assert_eq!(
        set_profile(&app, "plain", "haip", "error").await,
        (409, json!("certificate_chain_required"))
    );
    // The same profile again writes nothing.
    let (_, before) = call(&app, Method::GET, "/issuers/plain", None).await;
    assert_eq!(
        set_profile(&app, "plain", "standard", "version").await,
        (200, before["version"].clone())
    );

    // A haip issuer does not activate a key without a chain.
    certified_issuer(&app, &deployment, "strict").await;
    assert_eq!(
        set_profile(&app, "strict", "haip", "profile").await,
        (200, json!("haip"))
    );
    assert_eq!(
        set_profile(&app, "strict", "haip", "served_profile").await,
        (200, json!("haip"))
    );
    let (status, key) = call(&app, Method::POST, "/issuers/strict/keys", Some(json!({}))).await;
    assert_eq!((status, &key["status"]), (201, &json!("pending")), "{key}");
    let activate = format!(
        "/issuers/strict/keys/{}/activate",
        key["kid"].as_str().unwrap()
    );
    let (status, error) = call(&app, Method::POST, &activate, None).await;
    assert_eq!(
        (status, &error["error"]),
        (409, &json!("certificate_chain_required")),
        "{error}"
    );

    // Created as haip: its first key without a chain stays pending.
    let body = json!({"id": "born-haip", "profile": "haip"});
    let (status, born) = call(&app, Method::POST, "/issuers", Some(body)).await;
    assert_eq!((status, &born["profile"]), (201, &json!("haip")), "{born}");
    let (status, key) = call(
        &app,
        Method::POST,
        "/issuers/born-haip/keys",
        Some(json!({})),
    )
    .await;
    assert_eq!((status, &key["status"]), (201, &json!("pending")), "{key}");
    let body = json!({"id": "unborn", "profile": "strict"});
    let (status, error) = call(&app, Method::POST, "/issuers", Some(body)).await;
    assert_eq!((status, &error["error"]), (400, &json!("invalid_request")));
    let (status, _) = call(&app, Method::GET, "/issuers/unborn", None).await;
    assert_eq!(status, 404);

    // A retired issuer keeps its profile.
    assert_eq!(
        call(&app, Method::DELETE, "/issuers/plain", None).await.0,
        204
    );
    assert_eq!(
        set_profile(&app, "plain", "standard", "error").await,
        (409, json!("issuer_retired"))
    );

    // Without attestation trust anchors, no issuer can follow haip.
    let bare = spawn_app().await;
    let body = json!({"id": "unborn", "profile": "haip"});
    let (status, error) = call(&bare, Method::POST, "/issuers", Some(body)).await;
    assert_eq!(
        (status, &error["error"]),
        (409, &json!("attestation_not_configured"))
    );
    certified_issuer(&bare, &deployment, "strict").await;
    assert_eq!(
        set_profile(&bare, "strict", "haip", "error").await,
        (409, json!("attestation_not_configured"))
    );
    // An unknown issuer is 404 before anything the deployment lacks.
    assert_eq!(set_profile(&bare, "nobody", "haip", "error").await.0, 404);
}
