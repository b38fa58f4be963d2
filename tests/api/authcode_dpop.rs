//! DPoP-bound access tokens (RFC 9449), enabled by configuration: bound at the token
//! endpoint, proven at the credential and notification endpoints.

use serde_json::{json, Value};

use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

/// An app with the authorization-code flow and DPoP in `mode`.
async fn spawn_dpop_app(mode: &str) -> TestApp {
    // Claims kept: offers are looked up by subject after they complete, and erasure (by
    // default when an offer ends) makes the subject unfindable.
    let options = authcode_options().keeping_claims();
    spawn_app_with(options.set("authorization.dpop", json!(mode))).await
}

/// `POST {path}` with `Authorization: {scheme} {token}` and an optional DPoP proof.
async fn post_with(
    app: &TestApp,
    path: &str,
    authorization: &str,
    proof: Option<String>,
    body: &Value,
) -> Reply {
    let mut request = app
        .client
        .post(format!("{}{path}", app.wallet))
        .header("authorization", authorization)
        .json(body);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    Reply::from_response(request.send().await.unwrap()).await
}

/// `POST /token` with `params` and an optional DPoP proof.
async fn token_with_proof(app: &TestApp, params: &[(&str, &str)], proof: Option<String>) -> Reply {
    let mut request = app
        .client
        .post(format!("{}/token", app.wallet))
        .form(params);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    Reply::from_response(request.send().await.unwrap()).await
}

/// A token request with the authorization code and an optional DPoP proof.
async fn exchange_with_proof(
    app: &TestApp,
    code: &str,
    verifier: &str,
    proof: Option<String>,
) -> Reply {
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", CLIENT_ID),
    ];
    token_with_proof(app, &params, proof).await
}

/// A pre-authorized token request for `created` with a DPoP proof by `key`.
async fn pre_authorized_with_proof(app: &TestApp, created: &Value, key: &HolderKey) -> Reply {
    let code = pre_authorized_code(created);
    let tx = tx_code(created);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", tx.as_str()),
    ];
    let token_url = format!("{}/token", app.wallet);
    token_with_proof(
        app,
        &params,
        Some(dpop_proof(key, "POST", &token_url, None)),
    )
    .await
}

/// PAR (with a DPoP proof by `key`, binding the code) → login → accept: the code.
async fn bound_code(app: &TestApp, pkce: &Pkce, key: &HolderKey) -> String {
    let par_url = format!("{}/par", app.wallet);
    let pushed = app
        .par_with(
            &par_params(pkce, &[("scope", "identity_credential")]),
            &[("dpop", dpop_proof(key, "POST", &par_url, None))],
        )
        .await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let challenge = app
        .start_login(pushed.body["request_uri"].as_str().unwrap())
        .await;
    let answer = app
        .accept_login(
            &challenge,
            &json!({"subject": "customer-4711",
                    "claims": {"given_name": "Erika", "family_name": "Mustermann"}}),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.wallet_response()["code"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_bound_to_one_key_cannot_be_used_with_a_proof_from_another() {
    let app = spawn_dpop_app("allowed").await;
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert!(metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("ES256")));
    let (key, other) = (HolderKey::es256(), HolderKey::es256());
    let pkce = Pkce::new();
    let code = bound_code(&app, &pkce, &key).await;
    let token_url = format!("{}/token", app.wallet);
    let token = exchange_with_proof(
        &app,
        &code,
        &pkce.verifier,
        Some(dpop_proof(&key, "POST", &token_url, None)),
    )
    .await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(token.body["token_type"], "DPoP");
    let access_token = token.body["access_token"].as_str().unwrap();
    let credential_url = format!("{}/credential", app.wallet);
    let request = |nonce: &str| {
        json!({"credential_configuration_id": "IdentityCredential",
               "proofs": {"jwt": [HolderKey::es256().proof(&app.wallet, nonce)]}})
    };
    let dpop_scheme = format!("DPoP {access_token}");
    let before = app.event_count().await;

    // A proof by another key.
    let foreign = post_with(
        &app,
        "/credential",
        &dpop_scheme,
        Some(dpop_proof(
            &other,
            "POST",
            &credential_url,
            Some(access_token),
        )),
        &request(&app.c_nonce().await),
    )
    .await;
    foreign.assert_error(401, "invalid_token");
    assert!(foreign
        .header("www-authenticate")
        .unwrap()
        .starts_with("DPoP "));

    // The bound token as a bearer token.
    let bearer = post_with(
        &app,
        "/credential",
        &format!("Bearer {access_token}"),
        None,
        &request(&app.c_nonce().await),
    )
    .await;
    bearer.assert_error(401, "invalid_token");

    // The right key, but a proof for another token, for another endpoint, or none.
    for proof in [
        Some(dpop_proof(
            &key,
            "POST",
            &credential_url,
            Some("another-token"),
        )),
        Some(dpop_proof(
            &key,
            "POST",
            &format!("{}/notification", app.wallet),
            Some(access_token),
        )),
        Some(dpop_proof(&key, "GET", &credential_url, Some(access_token))),
        None,
    ] {
        let reply = post_with(
            &app,
            "/credential",
            &dpop_scheme,
            proof,
            &request(&app.c_nonce().await),
        )
        .await;
        reply.assert_error(401, "invalid_dpop_proof");
        assert!(reply.header("www-authenticate").unwrap().contains("algs="));
    }
    assert_eq!(app.event_count().await, before, "nothing was issued");

    // The right key: issued. Its proof cannot be replayed.
    let proof = dpop_proof(&key, "POST", &credential_url, Some(access_token));
    let issued = post_with(
        &app,
        "/credential",
        &dpop_scheme,
        Some(proof.clone()),
        &request(&app.c_nonce().await),
    )
    .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let replayed = post_with(
        &app,
        "/credential",
        &dpop_scheme,
        Some(proof),
        &request(&app.c_nonce().await),
    )
    .await;
    replayed.assert_error(401, "invalid_dpop_proof");

    // The notification endpoint holds the token to its key as well.
    let notification =
        json!({"notification_id": issued.body["notification_id"], "event": "credential_accepted"});
    let notification_url = format!("{}/notification", app.wallet);
    let foreign = post_with(
        &app,
        "/notification",
        &dpop_scheme,
        Some(dpop_proof(
            &other,
            "POST",
            &notification_url,
            Some(access_token),
        )),
        &notification,
    )
    .await;
    foreign.assert_error(401, "invalid_token");
    let notified = post_with(
        &app,
        "/notification",
        &dpop_scheme,
        Some(dpop_proof(
            &key,
            "POST",
            &notification_url,
            Some(access_token),
        )),
        &notification,
    )
    .await;
    assert_eq!(notified.status, 204, "{}", notified.body);

    let (_, offers) = app.get_json("/offers?subject=customer-4711").await;
    let offer_id = offers["items"][0]["offer_id"].as_str().unwrap();
    let (_, history) = app.get_json(&format!("/offers/{offer_id}/events")).await;
    assert_eq!(history[1]["type"], "OfferRedeemed");
    assert_eq!(history[1]["data"]["dpop_bound"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_bound_code_is_exchanged_only_with_a_proof_of_its_key() {
    let app = spawn_dpop_app("allowed").await;
    let (key, other) = (HolderKey::es256(), HolderKey::es256());
    let pkce = Pkce::new();
    let code = bound_code(&app, &pkce, &key).await;
    let token_url = format!("{}/token", app.wallet);
    let foreign = exchange_with_proof(
        &app,
        &code,
        &pkce.verifier,
        Some(dpop_proof(&other, "POST", &token_url, None)),
    )
    .await;
    foreign.assert_error(400, "invalid_dpop_proof");
    let without = exchange_with_proof(&app, &code, &pkce.verifier, None).await;
    without.assert_error(400, "invalid_dpop_proof");
    let stale = key.sign(
        &json!({"typ": "dpop+jwt", "jwk": key.public_json()}),
        &json!({"jti": "j-1", "htm": "POST", "htu": token_url, "iat": now() - 120}),
    );
    exchange_with_proof(&app, &code, &pkce.verifier, Some(stale))
        .await
        .assert_error(400, "invalid_dpop_proof");
    let right = exchange_with_proof(
        &app,
        &code,
        &pkce.verifier,
        Some(dpop_proof(&key, "POST", &token_url, None)),
    )
    .await;
    assert_eq!(right.status, 200, "{}", right.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn required_dpop_binds_pre_authorized_tokens_and_refuses_requests_without_a_proof() {
    let app = spawn_dpop_app("required").await;
    let created = app.create_offer(&identity_offer()).await;
    let without = app.redeem(&created).await;
    without.assert_error(400, "invalid_dpop_proof");

    let key = HolderKey::ed25519();
    let token = pre_authorized_with_proof(&app, &created, &key).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(token.body["token_type"], "DPoP");
    let access_token = token.body["access_token"].as_str().unwrap();
    let credential_url = format!("{}/credential", app.wallet);
    let issued = post_with(
        &app,
        "/credential",
        &format!("DPoP {access_token}"),
        Some(dpop_proof(
            &key,
            "POST",
            &credential_url,
            Some(access_token),
        )),
        &json!({"credential_configuration_id": "IdentityCredential",
                "proofs": {"jwt": [key.proof(&app.wallet, &app.c_nonce().await)]}}),
    )
    .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_dpop_disabled_proofs_are_ignored_and_the_dpop_scheme_is_unknown() {
    let app = spawn_authcode_app().await;
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert!(metadata.get("dpop_signing_alg_values_supported").is_none());
    let created = app.create_offer(&identity_offer()).await;
    let key = HolderKey::es256();
    let token = pre_authorized_with_proof(&app, &created, &key).await;
    assert_eq!(token.body["token_type"], "Bearer", "{}", token.body);
    let access_token = token.body["access_token"].as_str().unwrap();
    let reply = post_with(
        &app,
        "/credential",
        &format!("DPoP {access_token}"),
        Some(dpop_proof(
            &key,
            "POST",
            &format!("{}/credential", app.wallet),
            Some(access_token),
        )),
        &json!({"credential_configuration_id": "IdentityCredential"}),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}
