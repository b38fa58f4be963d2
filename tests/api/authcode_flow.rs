//! The authorization-code flow end to end over HTTP, as a wallet, a browser and the
//! institution's login page run it; credentials checked by the independent sd-jwt-rs.

use serde_json::{json, Value};

use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

const SUBJECT: &str = "customer-4711";

fn identity_claims() -> Value {
    json!({"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12"})
}

/// The first credential of a successful credential response, checked with sd-jwt-rs against
/// the published keys, and its claims.
async fn first_credential(app: &TestApp, issued: &Reply) -> (String, Value) {
    assert_eq!(issued.status, 200, "{}", issued.body);
    let credential = issued.body["credentials"][0]["credential"]
        .as_str()
        .unwrap()
        .to_string();
    let jwks = app.wallet_get("/.well-known/jwt-vc-issuer").await.body["jwks"].clone();
    let mut claims = verify(&credential, &app.wallet, &jwks, None)
        .expect("sd-jwt-rs accepts the credential")
        .as_object()
        .unwrap()
        .clone();
    for registered in ["iss", "iat", "exp", "vct", "cnf", "status"] {
        claims.remove(registered);
    }
    (credential, Value::Object(claims))
}

backend_test! {
    /// Offer with the authorization_code grant → PAR → authorize → login → code → token
    /// (PKCE) → nonce → credential → SD-JWT verified by sd-jwt-rs; every step an event.
    async fn an_offer_with_the_authorization_code_grant_is_issued_through_par_login_and_pkce(backend) {
    // Claims are kept so that the history below is exactly the flow's (retention would
    // append `ClaimsErased` at a moment of its own once the offer completes). The shipped
    // per-client rate limits stay on: one wallet's flow must not meet them.
    let app = spawn_app_with(
        with_authcode(TestOptions::on(backend))
            .keeping_claims()
            .with_rate_limits(),
    )
    .await;

    // The institution offers a credential to one of its customers.
    let created = app
        .create_offer(&json!({
            "credential_configuration_id": "IdentityCredential",
            "claims": identity_claims(),
            "grant": "authorization_code",
            "subject": SUBJECT,
        }))
        .await;
    let offer_id = offer_id(&created);
    let offer = app
        .wallet_get(&offer_reference_path(&created))
        .await
        .body;
    let issuer_state = offer["grants"]["authorization_code"]["issuer_state"]
        .as_str()
        .unwrap()
        .to_string();

    // The wallet reads the authorization server metadata.
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{}/authorize", app.wallet)
    );
    assert_eq!(
        metadata["pushed_authorization_request_endpoint"],
        format!("{}/par", app.wallet)
    );
    assert_eq!(metadata["require_pushed_authorization_requests"], true);
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
    assert!(metadata["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("authorization_code")));

    // PAR with authorization_details and the offer's issuer_state.
    let pkce = Pkce::new();
    let details =
        json!([{"type": "openid_credential", "credential_configuration_id": "IdentityCredential"}])
            .to_string();
    let pushed = app
        .par(&par_params(
            &pkce,
            &[
                ("authorization_details", details.as_str()),
                ("issuer_state", issuer_state.as_str()),
            ],
        ))
        .await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    assert_eq!(pushed.header("cache-control"), Some("no-store"));
    assert_eq!(pushed.body["expires_in"], 60);
    let request_uri = pushed.body["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    // The browser goes to /authorize and on to the institution's login page.
    let login = app
        .authorize(&[("client_id", CLIENT_ID), ("request_uri", request_uri)])
        .await;
    let challenge = login.login_challenge();

    // The login page asks what the wallet wants, authenticates the user and accepts.
    let (status, session) = app
        .get_json(&format!("/authorization-sessions/{challenge}"))
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["client_id"], CLIENT_ID);
    assert_eq!(session["offer_id"], offer_id.as_str());
    assert_eq!(session["offer_subject"], SUBJECT);
    assert_eq!(
        session["credential_configuration_ids"],
        json!(["IdentityCredential"])
    );
    let answer = app
        .accept_login(&challenge, &json!({"subject": SUBJECT}))
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let session_id = answer.body["session_id"].as_str().unwrap().to_string();
    let response = answer.wallet_response();
    assert_eq!(response["state"], WALLET_STATE);
    assert_eq!(response["iss"], app.wallet, "RFC 9207 iss");
    let code = &response["code"];

    // Token with PKCE: authorization_details come back with credential identifiers.
    let token = app.exchange_code(code, &pkce.verifier).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(token.header("cache-control"), Some("no-store"));
    assert_eq!(token.body["token_type"], "Bearer");
    assert_eq!(
        token.body["authorization_details"],
        json!([{"type": "openid_credential", "credential_configuration_id": "IdentityCredential",
                "credential_identifiers": ["IdentityCredential"]}])
    );
    let access_token = token.body["access_token"].as_str().unwrap();

    // Nonce, credential by identifier, notification.
    let key = HolderKey::es256();
    let nonce = app.c_nonce().await;
    let issued = app
        .credential_request(
            access_token,
            &json!({"credential_identifier": "IdentityCredential",
                    "proofs": {"jwt": [key.proof(&app.wallet, &nonce)]}}),
        )
        .await;
    let (credential, claims) = first_credential(&app, &issued).await;
    assert_eq!(claims, identity_claims());
    let payload = decode_segment(credential.split('.').nth(1).unwrap());
    assert_eq!(payload["cnf"]["jwk"], key.public_json());
    let notified = app
        .notification_request(
            access_token,
            &json!({"notification_id": issued.body["notification_id"], "event": "credential_accepted"}),
        )
        .await;
    assert_eq!(notified.status, 204);

    // Every step is an event: the session's stream, then the offer's.
    assert_eq!(
        app.session_event_types(&session_id).await,
        [
            "AuthorizationRequested",
            "LoginStarted",
            "AuthorizationGranted",
            "AuthorizationCodeExchanged"
        ]
    );
    let (_, history) = app
        .get_json(&format!("/authorization-sessions/{session_id}/events"))
        .await;
    let actors: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["wallet", "wallet", "admin", "wallet"]);
    assert_eq!(history[2]["type"], "AuthorizationGranted");
    let text = history.to_string();
    assert!(
        !text.contains(SUBJECT),
        "the subject is recorded sealed only"
    );
    assert!(
        !text.contains(code.as_str())
            && !text.contains(&challenge)
            && !text.contains(&pkce.verifier),
        "no secrets in the history"
    );
    assert_eq!(
        app.event_types(&offer_id).await,
        [
            "OfferCreated",
            "OfferRedeemed",
            "CredentialIssued",
            "OfferCompleted",
            "NotificationReceived"
        ]
    );
    let (_, offer_history) = app.get_json(&format!("/offers/{offer_id}/events")).await;
    assert_eq!(offer_history[1]["data"]["grant"], "authorization_code");
    assert_eq!(offer_history[1]["data"]["client_id"], CLIENT_ID);
    app.wait_for_status(&offer_id, "COMPLETED").await;
}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wallet_initiated_request_by_scope_is_issued_with_the_claims_given_at_accept() {
    let app = spawn_authcode_app().await;
    let pkce = Pkce::new();
    // Unknown scopes are ignored (OID4VCI 1.0 §5.1.2).
    let code = app
        .authorization_code(
            &pkce,
            &[("scope", "openid identity_credential unknown_scope")],
            &json!({"subject": SUBJECT, "claims": identity_claims(), "correlation": {"case": 17}}),
        )
        .await;
    let token = app.exchange_code(&code, &pkce.verifier).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert!(
        token.body.get("authorization_details").is_none(),
        "requested by scope: no authorization_details"
    );
    let access_token = token.body["access_token"].as_str().unwrap();
    let issued = app
        .request_credentials(access_token, "IdentityCredential", &[&HolderKey::es256()])
        .await;
    let (_, claims) = first_credential(&app, &issued).await;
    assert_eq!(claims, identity_claims());

    // The institution's accept created the offer (as POST /offers would), for that subject.
    let (_, offers) = app.get_json(&format!("/offers?subject={SUBJECT}")).await;
    let offer = &offers["items"][0];
    assert_eq!(offer["grant"], "authorization_code");
    assert_eq!(offer["correlation"], json!({"case": 17}));
    let offer_id = offer["offer_id"].as_str().unwrap();
    let (_, history) = app.get_json(&format!("/offers/{offer_id}/events")).await;
    assert_eq!(history[0]["type"], "OfferCreated");
    assert_eq!(history[0]["actor"], "admin");
    assert!(
        !history.to_string().contains("Mustermann"),
        "claims are sealed"
    );
    app.wait_for_status(offer_id, "COMPLETED").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wallet_initiated_request_by_authorization_details_works_without_par_when_allowed() {
    let app = spawn_app_with(authcode_options().set(
        "authorization.require_pushed_authorization_requests",
        json!(false),
    ))
    .await;
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert_eq!(metadata["require_pushed_authorization_requests"], false);
    let pkce = Pkce::new();
    let details = json!([
        {"type": "openid_credential", "credential_configuration_id": "AddressCredential"},
    ])
    .to_string();
    let login = app
        .authorize(&par_params(
            &pkce,
            &[("authorization_details", details.as_str())],
        ))
        .await;
    let challenge = login.login_challenge();
    let answer = app
        .accept_login(
            &challenge,
            &json!({"subject": SUBJECT, "claims": {
                "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"}
            }}),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let code = answer.wallet_response()["code"].clone();
    let token = app.exchange_code(&code, &pkce.verifier).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(
        token.body["authorization_details"][0]["credential_identifiers"],
        json!(["AddressCredential"])
    );
    let issued = app
        .credential_request(
            token.body["access_token"].as_str().unwrap(),
            &json!({"credential_identifier": "AddressCredential",
                    "proofs": {"jwt": [HolderKey::es256().proof(&app.wallet, &app.c_nonce().await)]}}),
        )
        .await;
    let (_, claims) = first_credential(&app, &issued).await;
    assert_eq!(claims["address"]["locality"], "Koeln");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_flow_is_not_served_or_advertised_without_a_login_url() {
    let app = spawn_app().await;
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert!(metadata.get("authorization_endpoint").is_none());
    assert_eq!(metadata["response_types_supported"], json!([]));
    let pkce = Pkce::new();
    let reply = app
        .par(&par_params(&pkce, &[("scope", "identity_credential")]))
        .await;
    assert_eq!(reply.status, 404);
    let token = app.exchange_code("code", &pkce.verifier).await;
    token.assert_error(400, "unsupported_grant_type");
}
