//! Issue 21 acceptance: with `profile = "haip"`, a wallet that attests itself (client
//! attestation and PoP) and its keys (key attestations), proves DPoP with the server's
//! nonces and encrypts its credential requests and responses completes a full
//! pre-authorized and a full authorization-code flow over HTTP; and the metadata advertises
//! exactly what is enforced.

use serde_json::{json, Value};

use crate::support::authcode::*;
use crate::support::haip::{HaipDeployment, HaipWallet};
use crate::support::wallet::*;
use crate::support::*;

/// The wallet of the pre-authorized flow.
const CLIENT: &str = "haip-wallet";

/// The SD-JWT VC's issuer-signed JWT: its header and payload.
fn issuer_jwt(credential: &str) -> (Value, Value) {
    let jwt = credential.split('~').next().unwrap();
    let mut parts = jwt.split('.');
    let header = decode_segment(parts.next().unwrap());
    (header, decode_segment(parts.next().unwrap()))
}

/// Asserts that `response` holds one credential per key, each bound to its key and
/// carrying the issuer's `x5c`.
fn assert_issued_to(response: &Value, keys: &[&HolderKey], deployment: &HaipDeployment) {
    let credentials = response["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), keys.len(), "{response}");
    for (credential, key) in credentials.iter().zip(keys) {
        let (header, payload) = issuer_jwt(credential["credential"].as_str().unwrap());
        assert_eq!(header["x5c"][0], json!(deployment.issuer.x5c_entry()));
        assert_eq!(payload["cnf"]["jwk"]["x"], key.public_json()["x"]);
    }
}

/// The identity credential for `proofs`, encrypted both ways.
async fn issue_identity(
    wallet: &mut HaipWallet,
    app: &TestApp,
    metadata: &Value,
    access_token: &str,
    proofs: Value,
) -> Value {
    let request = json!({"credential_configuration_id": "IdentityCredential", "proofs": proofs});
    wallet
        .encrypted_credential(app, metadata, access_token, &request)
        .await
}

#[tokio::test]
async fn an_attested_wallet_completes_a_haip_pre_authorized_flow() {
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(deployment.options()).await;
    let metadata = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await
        .body;
    let mut wallet = HaipWallet::new(&deployment, CLIENT);
    wallet.fetch_challenge(&app).await;
    // The challenge answer carried a DPoP nonce; a wallet that did not look gets one here.
    wallet.dpop_nonce = None;

    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let tx = tx_code(&created);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", tx.as_str()),
        ("client_id", CLIENT),
    ];
    // The first DPoP proof has no server nonce: use_dpop_nonce hands one out.
    let reply = wallet.post_form(&app, "/token", &params).await;
    reply.assert_error(400, "use_dpop_nonce");
    let reply = wallet.post_form(&app, "/token", &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "DPoP");
    let access_token = reply.body["access_token"].as_str().unwrap().to_string();

    // A batch of two attested keys, by the `attestation` proof type.
    let keys = [HolderKey::es256(), HolderKey::es256()];
    let keys: Vec<&HolderKey> = keys.iter().collect();
    let c_nonce = app.c_nonce().await;
    let attestation = HaipWallet::key_attestation(&deployment, &keys, Some(&c_nonce));
    let proofs = json!({"attestation": [attestation]});
    let response = issue_identity(&mut wallet, &app, &metadata, &access_token, proofs).await;
    assert_issued_to(&response, &keys, &deployment);
}

#[tokio::test]
async fn an_attested_wallet_completes_a_haip_authorization_code_flow() {
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(deployment.options_from(with_authcode(TestOptions::default()))).await;
    let metadata = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await
        .body;
    let mut wallet = HaipWallet::new(&deployment, CLIENT_ID);
    wallet.fetch_challenge(&app).await;
    wallet.dpop_nonce = None;

    // PAR, authenticated and DPoP-bound (after the server's nonce).
    let offer = app.create_authorization_code_offer("subject-1").await;
    let issuer_state = issuer_state(&offer);
    let pkce = Pkce::new();
    let params = par_params(&pkce, &[("issuer_state", issuer_state.as_str())]);
    let reply = wallet.post_form(&app, "/par", &params).await;
    reply.assert_error(400, "use_dpop_nonce");
    let reply = wallet.post_form(&app, "/par", &params).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let request_uri = reply.body["request_uri"].as_str().unwrap().to_string();

    // The browser, the institution's login, the redirect back with the code.
    let response = app.login_as(&request_uri, "subject-1").await;
    assert_eq!(response["iss"], app.wallet, "RFC 9207");
    let code = response["code"].clone();

    let token_params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
    ];
    let reply = wallet.post_form(&app, "/token", &token_params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "DPoP");
    let access_token = reply.body["access_token"].as_str().unwrap().to_string();

    // A `jwt` proof whose key is attested in its `key_attestation` header.
    let holder = HolderKey::es256();
    let c_nonce = app.c_nonce().await;
    let attestation = HaipWallet::key_attestation(&deployment, &[&holder], Some(&c_nonce));
    let proof = wallet.proof(&app.wallet, &holder, &c_nonce, Some(&attestation));
    let response = issue_identity(
        &mut wallet,
        &app,
        &metadata,
        &access_token,
        json!({"jwt": [proof]}),
    )
    .await;
    assert_issued_to(&response, &[&holder], &deployment);
}
