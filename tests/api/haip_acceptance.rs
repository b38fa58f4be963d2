//! Issue 21 acceptance: with `profile = "haip"`, a wallet that attests itself (client
//! attestation and PoP) and its keys (key attestations), proves DPoP with the server's
//! nonces and encrypts its credential requests and responses completes a full
//! pre-authorized and a full authorization-code flow over HTTP.

use serde_json::{json, Value};

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

#[tokio::test]
async fn an_attested_wallet_completes_a_haip_pre_authorized_flow() {
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(deployment.options()).await;
    let metadata = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await
        .body;
    let mut wallet = HaipWallet::new(&deployment, CLIENT);

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
    let response = wallet
        .encrypted_credential(
            &app,
            &metadata,
            &access_token,
            &json!({"credential_configuration_id": "IdentityCredential",
                    "proofs": {"attestation": [attestation]}}),
        )
        .await;
    assert_issued_to(&response, &keys, &deployment);
}
