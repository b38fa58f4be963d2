//! Attestation challenges (Attestation-Based Client Authentication draft -07 §8; issue 21
//! item 2): with wallet attestations configured, `POST /challenge` (advertised as
//! `challenge_endpoint`, for runtime issuers too) hands out challenges, every answer to a
//! POST carries the current one in `OAuth-Client-Attestation-Challenge`, and a PoP's
//! `challenge`, when present, must be current: otherwise `use_attestation_challenge` (401)
//! with a fresh one. With `attestation.challenge_required` every PoP needs one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance::crypto::server_nonce::{self, Purpose};
use issuance::crypto::server_secret::ServerSecret;
use issuance_credential::attestation::testing::sign_with;
use issuance_credential::CLIENT_ATTESTATION_POP_TYP;
use serde_json::{json, Value};

use crate::issuer_wallets::ready_issuer;
use crate::support::haip::{HaipDeployment, HaipWallet};
use crate::support::wallet::*;
use crate::support::*;

const CLIENT: &str = "challenged-wallet";
const HEADER: &str = "oauth-client-attestation-challenge";

/// Wallet attestations (required) without the rest of the profile.
fn options(deployment: &HaipDeployment, secret: &str) -> TestOptions {
    let anchors = deployment
        .settings()
        .into_iter()
        .find(|(key, _)| *key == "attestation.trust_anchors")
        .unwrap()
        .1;
    TestOptions::default()
        .set("server_secret", json!(secret))
        .set("attestation.trust_anchors", anchors)
        .set("attestation.required", json!(true))
}

/// A token request of a fresh offer, authenticated by `wallet` with PoP `pop`.
async fn token(app: &TestApp, wallet: &HaipWallet, pop: String) -> Reply {
    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let tx = tx_code(&created);
    let response = app
        .client
        .post(format!("{}/token", app.wallet))
        .form(&[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", code.as_str()),
            ("tx_code", tx.as_str()),
            ("client_id", CLIENT),
        ])
        .header("oauth-client-attestation", &wallet.attestation)
        .header("oauth-client-attestation-pop", pop)
        .send()
        .await
        .unwrap();
    Reply::from_response(response).await
}

/// A PoP of `wallet` for `app` with `challenge` as its claim.
fn pop_with(app: &TestApp, wallet: &HaipWallet, challenge: Value) -> String {
    sign_with(
        &wallet.instance,
        CLIENT_ATTESTATION_POP_TYP,
        &json!({"iss": CLIENT, "aud": app.wallet, "iat": now(), "challenge": challenge,
                "jti": format!("{:032x}", rand::random::<u128>())}),
    )
}

fn assert_fresh_challenge(reply: &Reply, secret: &ServerSecret) {
    let challenge = reply.header(HEADER).expect("a fresh challenge");
    assert!(server_nonce::accepts(
        secret,
        Purpose::AttestationChallenge,
        now(),
        300,
        challenge
    ));
}

#[tokio::test]
async fn a_pop_challenge_must_be_a_current_one_of_the_server() {
    let secret_text = URL_SAFE_NO_PAD.encode([5u8; 32]);
    let secret = ServerSecret::parse(&secret_text, "test").unwrap();
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(options(&deployment, &secret_text)).await;
    let mut wallet = HaipWallet::new(&deployment, CLIENT);

    // Advertised and served, for runtime issuers too.
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(
        metadata.body["challenge_endpoint"],
        json!(format!("{}/challenge", app.wallet))
    );
    wallet.fetch_challenge(&app).await;
    ready_issuer(&app, "acme", "https://types.example/acme").await;
    let issuer_url = format!("{}/acme", app.wallet);
    let response = app
        .client
        .get(format!(
            "{issuer_url}/.well-known/oauth-authorization-server"
        ))
        .send()
        .await
        .unwrap();
    let runtime: Value = response.json().await.unwrap();
    assert_eq!(
        runtime["challenge_endpoint"],
        json!(format!("{issuer_url}/challenge"))
    );
    let response = app
        .client
        .post(format!("{issuer_url}/challenge"))
        .send()
        .await
        .unwrap();
    let reply = Reply::from_response(response).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["attestation_challenge"].is_string());

    // The fetched challenge authenticates; so does none (the jti and iat bound replay).
    let reply = token(&app, &wallet, wallet.pop(&app.wallet)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_fresh_challenge(&reply, &secret);
    let reply = token(&app, &wallet, pop_with(&app, &wallet, Value::Null)).await;
    reply.assert_error(401, "invalid_client_attestation");
    wallet.challenge = None;
    let reply = token(&app, &wallet, wallet.pop(&app.wallet)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // A forged, a stale or a DPoP nonce as challenge: use_attestation_challenge, with a
    // fresh challenge that then serves.
    let stale = server_nonce::current(&secret, Purpose::AttestationChallenge, now() - 3_600, 300);
    let dpop_nonce = server_nonce::current(&secret, Purpose::Dpop, now(), 300);
    for challenge in ["forged", stale.as_str(), dpop_nonce.as_str()] {
        let reply = token(&app, &wallet, pop_with(&app, &wallet, json!(challenge))).await;
        reply.assert_error(401, "use_attestation_challenge");
        assert_fresh_challenge(&reply, &secret);
        wallet.remember(&reply);
        let reply = token(&app, &wallet, wallet.pop(&app.wallet)).await;
        assert_eq!(reply.status, 200, "{challenge}: {}", reply.body);
    }
}

#[tokio::test]
async fn with_challenge_required_a_pop_without_one_is_told_to_use_one() {
    let secret_text = URL_SAFE_NO_PAD.encode([6u8; 32]);
    let secret = ServerSecret::parse(&secret_text, "test").unwrap();
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(
        options(&deployment, &secret_text).set("attestation.challenge_required", json!(true)),
    )
    .await;
    let mut wallet = HaipWallet::new(&deployment, CLIENT);
    let reply = token(&app, &wallet, wallet.pop(&app.wallet)).await;
    reply.assert_error(401, "use_attestation_challenge");
    assert_fresh_challenge(&reply, &secret);
    wallet.remember(&reply);
    let reply = token(&app, &wallet, wallet.pop(&app.wallet)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn without_wallet_attestations_there_are_no_challenges() {
    let app = spawn_app().await;
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await;
    assert!(metadata.body.get("challenge_endpoint").is_none());
    let response = app
        .client
        .post(format!("{}/challenge", app.wallet))
        .send()
        .await
        .unwrap();
    let reply = Reply::from_response(response).await;
    reply.assert_error(404, "not_found");
    assert!(reply.header(HEADER).is_none());
    let errors = issuance::config::LoadedConfig::from_toml_with(
        issuance::config::BUILT_IN_CONFIG,
        &[("attestation.challenge_required", json!(true))],
    )
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().contains("attestation.trust_anchors")),
        "{errors:?}"
    );
}
