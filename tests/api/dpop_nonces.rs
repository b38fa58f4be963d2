//! Server-provided DPoP nonces (RFC 9449 §8, issue 21 item 4): with
//! `authorization.dpop_nonces`, a proof without the server's nonce, or with a stale or
//! forged one, is `use_dpop_nonce` with a fresh `DPoP-Nonce` (400 at the token endpoint,
//! a 401 `DPoP` challenge at the credential endpoint); the nonce of the header is accepted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance::crypto::server_nonce::{self, Purpose};
use issuance::crypto::server_secret::ServerSecret;
use serde_json::{json, Value};
use sha2::Digest;

use crate::support::wallet::*;
use crate::support::*;

/// A DPoP proof by `key` for `POST url`, with `nonce` and bound to `access_token`.
fn proof(key: &HolderKey, url: &str, nonce: Option<&str>, access_token: Option<&str>) -> String {
    let mut claims = json!({
        "jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
        "htm": "POST",
        "htu": url,
        "iat": now(),
    });
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

fn nonce_of(reply: &Reply) -> String {
    reply
        .header("dpop-nonce")
        .expect("a DPoP-Nonce header")
        .to_string()
}

#[tokio::test]
async fn proofs_must_carry_the_servers_current_nonce() {
    let secret_text = URL_SAFE_NO_PAD.encode([9u8; 32]);
    let app = spawn_app_with(
        TestOptions::default()
            .set("server_secret", json!(secret_text))
            .set("authorization.dpop", json!("allowed"))
            .set("authorization.dpop_nonces", json!(true)),
    )
    .await;
    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let tx_code = tx_code(&created);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", tx_code.as_str()),
    ];
    let key = HolderKey::es256();
    let token_url = format!("{}/token", app.wallet);
    let token = |proof: String| {
        let request = app
            .client
            .post(&token_url)
            .form(&params)
            .header("dpop", proof);
        async move { Reply::from_response(request.send().await.unwrap()).await }
    };

    // No nonce, a forged one, a stale one: `use_dpop_nonce` with a fresh nonce.
    let secret = ServerSecret::parse(&secret_text, "test").unwrap();
    let stale = server_nonce::current(&secret, Purpose::Dpop, now() - 3_600, 300);
    for nonce in [None, Some("forged"), Some(stale.as_str())] {
        let reply = token(proof(&key, &token_url, nonce, None)).await;
        reply.assert_error(400, "use_dpop_nonce");
        assert!(server_nonce::accepts(
            &secret,
            Purpose::Dpop,
            now(),
            300,
            &nonce_of(&reply)
        ));
    }

    // The nonce the server handed out is accepted; the token is DPoP-bound.
    let reply = token(proof(&key, &token_url, None, None)).await;
    let nonce = nonce_of(&reply);
    let reply = token(proof(&key, &token_url, Some(&nonce), None)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "DPoP");
    let access_token = reply.body["access_token"].as_str().unwrap().to_string();
    let nonce = nonce_of(&reply);

    // At the credential endpoint: a 401 `DPoP` challenge without the nonce.
    let credential_url = format!("{}/credential", app.wallet);
    let c_nonce = app.c_nonce().await;
    let body = json!({"credential_configuration_id": "IdentityCredential",
                      "proofs": {"jwt": [key.proof(&app.wallet, &c_nonce)]}});
    let credential = |proof: String| {
        let request = app
            .client
            .post(&credential_url)
            .header("authorization", format!("DPoP {access_token}"))
            .header("dpop", proof)
            .json(&body);
        async move { Reply::from_response(request.send().await.unwrap()).await }
    };
    let reply = credential(proof(&key, &credential_url, None, Some(&access_token))).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("DPoP") && challenge.contains("use_dpop_nonce"),
        "{challenge}"
    );
    assert!(reply.header("dpop-nonce").is_some());
    let reply = credential(proof(
        &key,
        &credential_url,
        Some(&nonce),
        Some(&access_token),
    ))
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("dpop-nonce").is_some());
    let _: &Value = &reply.body["credentials"];
}

#[tokio::test]
async fn nonces_need_dpop_enabled() {
    let error = issuance::config::LoadedConfig::from_toml_with(
        "",
        &[("authorization.dpop_nonces", json!(true))],
    )
    .err()
    .map(|e| format!("{e:?}"))
    .unwrap_or_default();
    assert!(error.contains("dpop_nonces"), "{error}");
}
