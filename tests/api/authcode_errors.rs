//! Refusals of the authorization-code flow: each with its exact OAuth error, no credential
//! issued, and nothing written where nothing happened.

use chrono::Duration;
use serde_json::{json, Value};

use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

const SUBJECT: &str = "customer-4711";

/// An authorization-code offer for `SUBJECT`.
async fn offer(app: &TestApp) -> Value {
    app.create_authorization_code_offer(SUBJECT).await
}

/// A code for `created`'s offer, accepted as `SUBJECT`.
async fn code_for(app: &TestApp, created: &Value, pkce: &Pkce) -> String {
    let state = issuer_state(created);
    app.authorization_code(
        pkce,
        &[
            ("issuer_state", state.as_str()),
            ("scope", "identity_credential"),
        ],
        &json!({"subject": SUBJECT}),
    )
    .await
}

/// PAR for `created`'s offer (its `issuer_state`), then `/authorize`: the login challenge.
async fn login_for(app: &TestApp, created: &Value, pkce: &Pkce) -> String {
    let state = issuer_state(created);
    let request_uri = app
        .request_uri(&par_params(pkce, &[("issuer_state", state.as_str())]))
        .await;
    app.start_login(&request_uri).await
}

/// The offer never issued anything.
async fn assert_not_redeemed(app: &TestApp, created: &Value) {
    assert_eq!(app.event_types(&offer_id(created)).await, ["OfferCreated"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_pkce_verifier_is_invalid_grant_and_leaves_the_code_for_the_right_one() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let code = code_for(&app, &created, &pkce).await;

    let wrong = app.exchange_code(&code, &Pkce::new().verifier).await;
    wrong.assert_error(400, "invalid_grant");
    assert!(wrong.body["error_description"]
        .as_str()
        .unwrap()
        .contains("code_verifier"));
    let malformed = app.exchange_code(&code, "short").await;
    malformed.assert_error(400, "invalid_request");
    assert_not_redeemed(&app, &created).await;

    let right = app.exchange_code(&code, &pkce.verifier).await;
    assert_eq!(right.status, 200, "{}", right.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plain_pkce_method_and_requests_without_pkce_are_refused_at_par() {
    let app = spawn_authcode_app().await;
    let pkce = Pkce::new();
    let before = app.event_count().await;
    let plain = app
        .par(&par_params(
            &pkce,
            &[
                ("scope", "identity_credential"),
                ("code_challenge_method", "plain"),
            ],
        ))
        .await;
    plain.assert_error(400, "invalid_request");
    assert!(plain.body["error_description"]
        .as_str()
        .unwrap()
        .contains("S256"));
    let mut without_method = par_params(&pkce, &[("scope", "identity_credential")]);
    without_method.retain(|(name, _)| *name != "code_challenge_method");
    app.par(&without_method)
        .await
        .assert_error(400, "invalid_request");
    let mut without_challenge = par_params(&pkce, &[("scope", "identity_credential")]);
    without_challenge.retain(|(name, _)| *name != "code_challenge");
    app.par(&without_challenge)
        .await
        .assert_error(400, "invalid_request");
    app.par(&par_params(
        &pkce,
        &[
            ("scope", "identity_credential"),
            ("code_challenge", "not-a-sha256"),
        ],
    ))
    .await
    .assert_error(400, "invalid_request");
    assert_eq!(
        app.event_count().await,
        before,
        "refused requests write nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mismatched_redirect_uri_is_refused_at_par_and_at_the_token_endpoint() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();

    // Not registered: refused at PAR (and never redirected to).
    let unregistered = app
        .par(&par_params(
            &pkce,
            &[
                ("scope", "identity_credential"),
                ("redirect_uri", "https://attacker.example/cb"),
            ],
        ))
        .await;
    unregistered.assert_error(400, "invalid_request");

    // At the token endpoint it must be exactly the authorization request's.
    let code = code_for(&app, &created, &pkce).await;
    for other in [
        "https://attacker.example/cb",
        "https://wallet.example/callback/",
        "https://wallet.example/callback?x=1",
    ] {
        app.exchange_code_as(&code, &pkce.verifier, Some(other), CLIENT_ID)
            .await
            .assert_error(400, "invalid_grant");
    }
    app.exchange_code_as(&code, &pkce.verifier, None, CLIENT_ID)
        .await
        .assert_error(400, "invalid_request");
    app.exchange_code_as(&code, &pkce.verifier, Some(REDIRECT_URI), "other-wallet")
        .await
        .assert_error(400, "invalid_grant");
    assert_not_redeemed(&app, &created).await;
}

backend_test! {
    /// RFC 6749 §4.1.2: a second use is refused and revokes the token issued from the code.
    async fn a_reused_code_is_refused_and_revokes_the_token_issued_from_it(backend) {
    let app = spawn_authcode_app_on(backend).await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let code = code_for(&app, &created, &pkce).await;
    let first = app.exchange_code(&code, &pkce.verifier).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let access_token = first.body["access_token"].as_str().unwrap();

    let second = app.exchange_code(&code, &pkce.verifier).await;
    second.assert_error(400, "invalid_grant");
    assert!(second.body["error_description"]
        .as_str()
        .unwrap()
        .contains("revoked"));

    // RFC 6749 §4.1.2: the token issued from the code no longer works.
    let refused = app
        .request_credentials(access_token, "IdentityCredential", &[&HolderKey::es256()])
        .await;
    refused.assert_error(401, "invalid_token");
    assert!(refused
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    assert_eq!(
        app.event_types(&offer_id(&created)).await,
        ["OfferCreated", "OfferRedeemed", "RedemptionRevoked"]
    );
    let (_, history) = app
        .get_json(&format!("/offers/{}/events", offer_id(&created)))
        .await;
    assert_eq!(history[2]["data"]["reason"], "authorization_code_replayed");
    assert_eq!(
        history[2]["data"]["redemption_id"],
        history[1]["data"]["redemption_id"]
    );

    // A third use is refused too; neither the replay nor the revocation is recorded again.
    app.exchange_code(&code, &pkce.verifier)
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(app.event_types(&offer_id(&created)).await.len(), 3);
}
}

#[tokio::test(flavor = "multi_thread")]
async fn the_replays_are_on_the_sessions_history() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let challenge = login_for(&app, &created, &pkce).await;
    let answer = app
        .accept_login(&challenge, &json!({"subject": SUBJECT}))
        .await;
    let session_id = answer.body["session_id"].as_str().unwrap().to_string();
    let code = answer.wallet_response()["code"].clone();
    assert_eq!(app.exchange_code(&code, &pkce.verifier).await.status, 200);
    // Replayed again and again: refused every time, recorded once (the code cannot be
    // used to grow the log).
    for _ in 0..5 {
        app.exchange_code(&code, &pkce.verifier)
            .await
            .assert_error(400, "invalid_grant");
    }
    assert_eq!(
        app.session_event_types(&session_id).await,
        [
            "AuthorizationRequested",
            "LoginStarted",
            "AuthorizationGranted",
            "AuthorizationCodeExchanged",
            "AuthorizationCodeReplayed"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_request_uri_sends_the_wallet_invalid_request_uri() {
    let app = spawn_authcode_app().await;
    let pkce = Pkce::new();
    let request_uri = app
        .request_uri(&par_params(&pkce, &[("scope", "identity_credential")]))
        .await;
    let before = app.event_count().await;
    app.clock.advance(Duration::seconds(61));
    let redirect = app
        .authorize(&[("client_id", CLIENT_ID), ("request_uri", &request_uri)])
        .await;
    let target = redirect.target();
    assert!(target.starts_with(REDIRECT_URI), "{target}");
    let response = query_of(target);
    assert_eq!(response["error"], "invalid_request_uri");
    assert_eq!(response["state"], WALLET_STATE);
    assert_eq!(response["iss"], app.wallet);
    assert!(!response.contains_key("code"));
    assert_eq!(app.event_count().await, before, "no login was started");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_uri_works_once() {
    let app = spawn_authcode_app().await;
    let pkce = Pkce::new();
    let request_uri = app
        .request_uri(&par_params(&pkce, &[("scope", "identity_credential")]))
        .await;
    app.start_login(&request_uri).await;
    let again = app
        .authorize(&[("client_id", CLIENT_ID), ("request_uri", &request_uri)])
        .await;
    assert_eq!(query_of(again.target())["error"], "invalid_request_uri");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_clients_and_request_uris_get_an_error_page_never_a_redirect() {
    let app = spawn_authcode_app().await;
    let pkce = Pkce::new();
    let before = app.event_count().await;
    let unknown_client = app
        .par(&par_params(
            &pkce,
            &[
                ("scope", "identity_credential"),
                ("client_id", "unknown-wallet"),
            ],
        ))
        .await;
    unknown_client.assert_error(400, "invalid_client");
    assert_eq!(app.event_count().await, before);

    let request_uri = app
        .request_uri(&par_params(&pkce, &[("scope", "identity_credential")]))
        .await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("client_id", "unknown-wallet"),
                ("request_uri", request_uri.as_str()),
            ],
            "invalid_client",
        ),
        (
            vec![
                ("client_id", CLIENT_ID),
                ("request_uri", "urn:ietf:params:oauth:request_uri:nope"),
            ],
            "invalid_request_uri",
        ),
        (
            vec![("request_uri", request_uri.as_str())],
            "invalid_request",
        ),
        (
            vec![
                ("client_id", CLIENT_ID),
                ("redirect_uri", "https://attacker.example/cb"),
            ],
            "invalid_request",
        ),
    ];
    for (params, error) in cases {
        let page = app.authorize(&params).await;
        assert_eq!(page.status, 400, "{params:?}: {page:?}");
        assert!(page.location.is_none(), "never redirected: {params:?}");
        assert_eq!(page.body["error"], error, "{params:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_client_cannot_use_a_wallets_request_uri_even_with_open_registration() {
    let app =
        spawn_app_with(authcode_options().set("authorization.open_registration", json!(true)))
            .await;
    let pkce = Pkce::new();
    let request_uri = app
        .request_uri(&par_params(&pkce, &[("scope", "identity_credential")]))
        .await;
    let page = app
        .authorize(&[("client_id", "other-wallet"), ("request_uri", &request_uri)])
        .await;
    assert_eq!(
        (page.status, page.body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(page.location.is_none());
    // The rightful wallet can still use it.
    app.start_login(&request_uri).await;
    // Open registration: an unregistered wallet with a private-use scheme redirect URI.
    let open = app
        .par(&par_params(
            &pkce,
            &[
                ("scope", "identity_credential"),
                ("client_id", "other-wallet"),
                ("redirect_uri", "com.example.wallet:/cb"),
            ],
        ))
        .await;
    assert_eq!(open.status, 201, "{}", open.body);
    let plain_http = app
        .par(&par_params(
            &pkce,
            &[
                ("scope", "identity_credential"),
                ("client_id", "other-wallet"),
                ("redirect_uri", "http://wallet.example/cb"),
            ],
        ))
        .await;
    plain_http.assert_error(400, "invalid_request");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_par_the_direct_request_is_refused_at_the_wallets_redirect_uri() {
    let app = spawn_authcode_app().await;
    let pkce = Pkce::new();
    let redirect = app
        .authorize(&par_params(&pkce, &[("scope", "identity_credential")]))
        .await;
    let response = query_of(redirect.target());
    assert_eq!(response["error"], "invalid_request");
    assert_eq!(response["state"], WALLET_STATE);
    assert!(response["error_description"].contains("pushed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_login_sends_access_denied_back_to_the_wallet() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let challenge = login_for(&app, &created, &pkce).await;
    let answer = app
        .login_decision(&challenge, "reject", &json!({"reason": "user cancelled"}))
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let response = answer.wallet_response();
    assert_eq!(response["error"], "access_denied");
    assert_eq!(response["state"], WALLET_STATE);
    assert_eq!(response["iss"], app.wallet);
    assert!(!response.contains_key("code"));
    let session_id = answer.body["session_id"].as_str().unwrap();
    assert_eq!(
        app.session_event_types(session_id).await,
        [
            "AuthorizationRequested",
            "LoginStarted",
            "AuthorizationDenied"
        ]
    );
    // No second decision.
    let again = app
        .accept_login(&challenge, &json!({"subject": SUBJECT}))
        .await;
    assert_eq!(
        (again.status, again.body["error"].as_str()),
        (409, Some("login_completed"))
    );
    assert_not_redeemed(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_user_than_the_offers_subject_is_denied() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let challenge = login_for(&app, &created, &pkce).await;
    let answer = app
        .accept_login(&challenge, &json!({"subject": "customer-9999"}))
        .await;
    assert_eq!(answer.status, 409, "{:?}", answer.body);
    assert_eq!(answer.body["error"], "subject_mismatch");
    let response = answer.wallet_response();
    assert_eq!(response["error"], "access_denied");
    assert!(!response.contains_key("code"));
    let session_id = answer.body["session_id"].as_str().unwrap();
    let (_, history) = app
        .get_json(&format!("/authorization-sessions/{session_id}/events"))
        .await;
    assert_eq!(history[2]["type"], "AuthorizationDenied");
    assert_eq!(history[2]["data"]["reason"], "subject_mismatch");
    assert_not_redeemed(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_code_is_invalid_grant() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let code = code_for(&app, &created, &pkce).await;
    app.clock.advance(Duration::seconds(60));
    app.exchange_code(&code, &pkce.verifier)
        .await
        .assert_error(400, "invalid_grant");
    app.exchange_code("not-a-code", &pkce.verifier)
        .await
        .assert_error(400, "invalid_grant");
    assert_not_redeemed(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_authorization_requests_get_their_oauth_errors() {
    let app = spawn_authcode_app().await;
    let pre_authorized = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&pre_authorized);
    let pkce = Pkce::new();
    let before = app.event_count().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("scope", "identity_credential"), ("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            vec![("scope", "identity_credential"), ("request", "eyJ.e30.")],
            "request_not_supported",
        ),
        (vec![("scope", "nothing_we_issue")], "invalid_scope"),
        (vec![], "invalid_request"),
        (
            vec![(
                "authorization_details",
                r#"[{"type":"openid_credential","credential_configuration_id":"Nope"}]"#,
            )],
            "invalid_authorization_details",
        ),
        (vec![("issuer_state", "forged")], "invalid_request"),
        // A pre-authorized offer's code is no issuer_state.
        (vec![("issuer_state", code.as_str())], "invalid_request"),
        (
            vec![
                ("scope", "identity_credential"),
                ("request_uri", "urn:ietf:params:oauth:request_uri:x"),
            ],
            "invalid_request",
        ),
    ];
    for (extra, error) in cases {
        let reply = app.par(&par_params(&pkce, &extra)).await;
        assert_eq!(
            (reply.status, reply.body["error"].as_str()),
            (400, Some(error)),
            "{extra:?}: {}",
            reply.body
        );
    }
    // An offer's issuer_state with a configuration the offer does not hold.
    let created = offer(&app).await;
    let state = issuer_state(&created);
    app.par(&par_params(
        &pkce,
        &[
            ("issuer_state", state.as_str()),
            ("scope", "address_credential"),
        ],
    ))
    .await
    .assert_error(400, "invalid_scope");
    assert_eq!(
        app.event_count().await,
        before + 1,
        "only the offer was written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_hand_off_refuses_wrong_challenges_claims_and_scopes() {
    let app = spawn_authcode_app().await;
    let created = offer(&app).await;
    let pkce = Pkce::new();
    let for_offer = login_for(&app, &created, &pkce).await;
    let wallet_initiated = app
        .start_login(
            &app.request_uri(&par_params(&pkce, &[("scope", "identity_credential")]))
                .await,
        )
        .await;

    let unknown = app.accept_login("nope", &json!({"subject": SUBJECT})).await;
    assert_eq!(
        (unknown.status, unknown.body["error"].as_str()),
        (404, Some("not_found"))
    );
    let offer_claims = app
        .accept_login(
            &for_offer,
            &json!({"subject": SUBJECT, "claims": {"given_name": "X"}}),
        )
        .await;
    assert_eq!(offer_claims.status, 400, "{:?}", offer_claims.body);
    let no_claims = app
        .accept_login(&wallet_initiated, &json!({"subject": SUBJECT}))
        .await;
    assert_eq!(no_claims.status, 400, "{:?}", no_claims.body);
    let bad_claims = app
        .accept_login(
            &wallet_initiated,
            &json!({"subject": SUBJECT, "claims": {"given_name": "Erika"}}),
        )
        .await;
    assert_eq!(
        (bad_claims.status, bad_claims.body["error"].as_str()),
        (400, Some("invalid_claims"))
    );
    let empty_subject = app.accept_login(&for_offer, &json!({"subject": ""})).await;
    assert_eq!(empty_subject.status, 400);
    let forbidden = app
        .with_key(
            reqwest::Method::PUT,
            &format!("/authorization-sessions/{for_offer}/accept"),
            READER_KEY,
        )
        .json(&json!({"subject": SUBJECT}))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);

    // The login times out.
    app.clock.advance(Duration::seconds(601));
    let late = app
        .accept_login(&for_offer, &json!({"subject": SUBJECT}))
        .await;
    assert_eq!(
        (late.status, late.body["error"].as_str()),
        (410, Some("login_expired"))
    );
    assert_not_redeemed(&app, &created).await;
}
