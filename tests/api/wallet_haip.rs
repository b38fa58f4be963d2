//! `profile = "haip"` (issue 21 item 1): start-up is refused without trust anchors or an
//! issuer certificate chain, naming the fields; a running HAIP issuer requires DPoP with
//! server nonces and wallet attestation, advertises them, and serves an attested wallet
//! end to end.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_credential::attestation::testing::{
    instance_key, public_json, sign_with, TestCertificate,
};
use issuance_credential::{CLIENT_ATTESTATION_POP_TYP, CLIENT_ATTESTATION_TYP};
use serde_json::{json, Value};
use sha2::Digest;

use crate::support::wallet::*;
use crate::support::*;

const YEAR: i64 = 365 * 24 * 3600;
const CLIENT: &str = "haip-wallet";

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

/// A DPoP proof by `key` for `POST url` with the server's `nonce`.
fn dpop(key: &HolderKey, url: &str, nonce: Option<&str>, access_token: Option<&str>) -> String {
    let mut claims = json!({"jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
                            "htm": "POST", "htu": url, "iat": now()});
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if let Some(token) = access_token {
        claims["ath"] = json!(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())));
    }
    key.sign(
        &json!({"typ": "dpop+jwt", "jwk": key.public_json()}),
        &claims,
    )
}

#[tokio::test]
async fn an_attested_wallet_completes_a_haip_pre_authorized_flow() {
    // The issuer's key and chain, and the wallet provider's anchor, from test CAs.
    let dir = tempfile::tempdir().unwrap();
    let issuer_root = TestCertificate::root("Issuer Root", now() - YEAR, now() + YEAR);
    let issuer = issuer_root.issue("Issuer", false, now() - YEAR, now() + YEAR);
    let key_file = dir.path().join("issuer-key.pem");
    std::fs::write(&key_file, issuer.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let chain_file = dir.path().join("issuer-chain.pem");
    std::fs::write(&chain_file, issuer.pem()).unwrap();
    let wallet_root = TestCertificate::root("Wallet Root", now() - YEAR, now() + YEAR);
    let provider = wallet_root.issue("Wallet Provider", false, now() - YEAR, now() + YEAR);
    let anchor_file = dir.path().join("wallet-root.pem");
    std::fs::write(&anchor_file, wallet_root.pem()).unwrap();
    let app = spawn_app_with(
        TestOptions::default()
            .set("profile", json!("haip"))
            .set("issuer.signing_key_file", json!(key_file))
            .set("issuer.certificate_chain_file", json!(chain_file))
            .set("attestation.trust_anchors", json!([anchor_file])),
    )
    .await;

    // Metadata advertises what is enforced.
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(
        metadata.body["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );
    assert!(metadata.body["dpop_signing_alg_values_supported"].is_array());
    assert_eq!(
        metadata.body["pre-authorized_grant_anonymous_access_supported"],
        json!(false)
    );

    let instance = instance_key();
    let attestation = provider.sign(
        CLIENT_ATTESTATION_TYP,
        &[&provider],
        &json!({"iss": "https://provider.example", "sub": CLIENT, "exp": now() + 600,
                "cnf": {"jwk": public_json(&instance)}}),
    );
    let pop = || {
        let jti = format!("{:032x}", rand::random::<u128>());
        sign_with(
            &instance,
            CLIENT_ATTESTATION_POP_TYP,
            &json!({"aud": app.wallet, "jti": jti, "iat": now()}),
        )
    };
    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let tx = tx_code(&created);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", tx.as_str()),
        ("client_id", CLIENT),
    ];
    let token_url = format!("{}/token", app.wallet);
    let dpop_key = HolderKey::es256();
    let token = |proof: Option<String>| {
        let mut request = app
            .client
            .post(&token_url)
            .form(&params)
            .header("oauth-client-attestation", &attestation)
            .header("oauth-client-attestation-pop", pop());
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        async move { Reply::from_response(request.send().await.unwrap()).await }
    };
    // Without DPoP: 400. Without the server's nonce: use_dpop_nonce and a fresh nonce.
    token(None).await.assert_error(400, "invalid_dpop_proof");
    let reply = token(Some(dpop(&dpop_key, &token_url, None, None))).await;
    reply.assert_error(400, "use_dpop_nonce");
    let nonce = reply.header("dpop-nonce").unwrap().to_string();
    let reply = token(Some(dpop(&dpop_key, &token_url, Some(&nonce), None))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "DPoP");
    let access_token = reply.body["access_token"].as_str().unwrap().to_string();

    let holder = HolderKey::es256();
    let c_nonce = app.c_nonce().await;
    let proof = holder.sign(
        &json!({"typ": "openid4vci-proof+jwt", "jwk": holder.public_json()}),
        &json!({"iss": CLIENT, "aud": app.wallet, "iat": now(), "nonce": c_nonce}),
    );
    let credential_url = format!("{}/credential", app.wallet);
    let response = app
        .client
        .post(&credential_url)
        .header("authorization", format!("DPoP {access_token}"))
        .header(
            "dpop",
            dpop(
                &dpop_key,
                &credential_url,
                Some(&nonce),
                Some(&access_token),
            ),
        )
        .json(&json!({"credential_configuration_id": "IdentityCredential",
                      "proofs": {"jwt": [proof]}}))
        .send()
        .await
        .unwrap();
    let reply = Reply::from_response(response).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let credential = reply.body["credentials"][0]["credential"].as_str().unwrap();
    let header: Value = decode_segment(credential.split('.').next().unwrap());
    assert_eq!(header["x5c"][0], json!(issuer.x5c_entry()));
}
