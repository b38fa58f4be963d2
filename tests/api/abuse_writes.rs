//! Requests nobody authenticated do not grow the stores: a DPoP `jti` is recorded only
//! with a grant that checked out, authorization sessions end, a replayed code is recorded
//! once, a multi-use offer has a cap on redemptions.

use chrono::Duration;
use serde_json::json;

use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

const SUBJECT: &str = "customer-4711";

/// The authorization-code flow with DPoP allowed.
async fn spawn_dpop_app() -> TestApp {
    spawn_app_with(authcode_options().set("authorization.dpop", json!("allowed"))).await
}

/// `POST {path}` with a form and a DPoP proof.
async fn post_form_with_proof(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    proof: &str,
) -> Reply {
    let response = app
        .client
        .post(format!("{}{path}", app.wallet))
        .header("dpop", proof)
        .form(params)
        .send()
        .await
        .unwrap();
    Reply::from_response(response).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_proof_is_recorded_only_with_a_pre_authorized_grant_that_checked_out() {
    let app = spawn_dpop_app().await;
    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let tx = tx_code(&created);
    let key = HolderKey::es256();
    let proof = dpop_proof(&key, "POST", &format!("{}/token", app.wallet), None);
    let before = app.event_count().await;

    // An unknown code with a valid proof: refused, nothing recorded — not even the jti.
    let mut forged = code.clone();
    forged.replace_range(
        ..4,
        if code.starts_with("AAAA") {
            "BBBB"
        } else {
            "AAAA"
        },
    );
    let refused = post_form_with_proof(
        &app,
        "/token",
        &[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", &forged),
            ("tx_code", &tx),
        ],
        &proof,
    )
    .await;
    refused.assert_error(400, "invalid_grant");
    assert_eq!(app.event_count().await, before);

    // So the same proof still works with the right grant; then it is spent.
    let grant = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", tx.as_str()),
    ];
    let issued = post_form_with_proof(&app, "/token", &grant, &proof).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert_eq!(issued.body["token_type"], "DPoP");
    let other = app.create_offer(&identity_offer()).await;
    let other_code = pre_authorized_code(&other);
    let other_tx = tx_code(&other);
    let replayed = post_form_with_proof(
        &app,
        "/token",
        &[
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", &other_code),
            ("tx_code", &other_tx),
        ],
        &proof,
    )
    .await;
    replayed.assert_error(400, "invalid_dpop_proof");
    assert_eq!(app.event_types(&offer_id(&other)).await, ["OfferCreated"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_proof_is_recorded_only_with_an_accepted_pushed_request() {
    let app = spawn_dpop_app().await;
    let key = HolderKey::es256();
    let proof = dpop_proof(&key, "POST", &format!("{}/par", app.wallet), None);
    let pkce = Pkce::new();
    let before = app.event_count().await;
    let refused = post_form_with_proof(
        &app,
        "/par",
        &par_params(&pkce, &[("scope", "no_such_scope")]),
        &proof,
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(app.event_count().await, before);

    let params = par_params(&pkce, &[("scope", "identity_credential")]);
    let pushed = post_form_with_proof(&app, "/par", &params, &proof).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let again = post_form_with_proof(&app, "/par", &params, &proof).await;
    again.assert_error(400, "invalid_dpop_proof");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dpop_proof_is_recorded_only_with_a_code_exchange_that_checked_out() {
    let app = spawn_dpop_app().await;
    let created = app.create_authorization_code_offer(SUBJECT).await;
    let pkce = Pkce::new();
    let state = issuer_state(&created);
    let code = app
        .authorization_code(
            &pkce,
            &[
                ("issuer_state", state.as_str()),
                ("scope", "identity_credential"),
            ],
            &json!({"subject": SUBJECT}),
        )
        .await;
    let key = HolderKey::es256();
    let proof = dpop_proof(&key, "POST", &format!("{}/token", app.wallet), None);
    // A wrong PKCE verifier with a valid proof: refused, the proof not recorded; the same
    // proof then goes with the right verifier.
    let wrong_verifier = Pkce::new().verifier;
    for (verifier, expected) in [(&wrong_verifier, 400), (&pkce.verifier, 200)] {
        let params = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
        ];
        let reply = post_form_with_proof(&app, "/token", &params, &proof).await;
        assert_eq!(reply.status, expected, "{}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authorization_session_ends_after_its_lifetime_and_records_nothing_more() {
    // The login may take 10 minutes, the session as a whole only 5.
    let app = spawn_app_with(
        authcode_options()
            .set("authorization.login_ttl", json!(600))
            .set("authorization.session_ttl", json!(300)),
    )
    .await;
    let created = app.create_authorization_code_offer(SUBJECT).await;
    let pkce = Pkce::new();
    let state = issuer_state(&created);
    let request_uri = app
        .request_uri(&par_params(&pkce, &[("issuer_state", state.as_str())]))
        .await;
    let challenge = app.start_login(&request_uri).await;
    let before = app.event_count().await;
    // The login page sees both deadlines; the session's comes first here.
    let (status, shown) = app
        .get_json(&format!("/authorization-sessions/{challenge}"))
        .await;
    assert_eq!(status, 200, "{shown}");
    let deadline =
        |name: &str| chrono::DateTime::parse_from_rfc3339(shown[name].as_str().unwrap()).unwrap();
    assert!(
        deadline("session_expires_at") < deadline("login_expires_at"),
        "{shown}"
    );

    app.clock.advance(Duration::seconds(301));
    let late = app
        .accept_login(&challenge, &json!({"subject": SUBJECT}))
        .await;
    assert_eq!(late.status, 410, "{:?}", late.body);
    let rejected = app.login_decision(&challenge, "reject", &json!({})).await;
    assert_eq!(rejected.status, 410, "{:?}", rejected.body);
    assert_eq!(app.event_count().await, before);
    assert_eq!(app.event_types(&offer_id(&created)).await, ["OfferCreated"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_use_offer_is_redeemed_up_to_its_cap() {
    let app = spawn_app_with(TestOptions::default().set("offers.max_redemptions", json!(3))).await;
    let mut body = identity_offer();
    body["single_use"] = json!(false);
    let created = app.create_offer(&body).await;
    for _ in 0..3 {
        let reply = app.redeem(&created).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let before = app.event_count().await;
    let refused = app.redeem(&created).await;
    refused.assert_error(400, "invalid_grant");
    let description = refused.body["error_description"].as_str().unwrap();
    assert!(description.contains("3 times"), "{description}");
    // Refused before the transaction code is judged: no attempt counted, nothing written.
    let wrong = app
        .redeem_code(&pre_authorized_code(&created), Some("000000"))
        .await;
    wrong.assert_error(400, "invalid_grant");
    assert_eq!(app.event_count().await, before);
}
