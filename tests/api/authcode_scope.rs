//! A token from the authorization-code flow covers only the credential configurations the
//! authorization request granted, by `scope` or by `authorization_details`, even when the
//! offer (its `issuer_state`) holds more.

use serde_json::{json, Value};

use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

const SUBJECT: &str = "customer-4711";

/// An authorization-code offer of the identity and the address credential for `SUBJECT`.
async fn offer_of_both(app: &TestApp) -> Value {
    app.create_offer(&json!({
        "credential_configuration_ids": ["IdentityCredential", "AddressCredential"],
        "claims": {
            "given_name": "Erika",
            "family_name": "Mustermann",
            "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"},
        },
        "grant": "authorization_code",
        "subject": SUBJECT,
    }))
    .await
}

/// The access token for `created`'s offer, authorized with `extra` request parameters.
async fn token_for(app: &TestApp, created: &Value, extra: &[(&str, &str)]) -> Reply {
    let state = issuer_state(created);
    let mut params = vec![("issuer_state", state.as_str())];
    params.extend_from_slice(extra);
    let pkce = Pkce::new();
    let code = app
        .authorization_code(&pkce, &params, &json!({"subject": SUBJECT}))
        .await;
    let token = app.exchange_code(&code, &pkce.verifier).await;
    assert_eq!(token.status, 200, "{}", token.body);
    token
}

fn access_token(token: &Reply) -> &str {
    token.body["access_token"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_granted_by_scope_covers_only_the_scoped_configuration() {
    let app = spawn_authcode_app().await;
    let created = offer_of_both(&app).await;
    let token = token_for(&app, &created, &[("scope", "identity_credential")]).await;

    let key = HolderKey::es256();
    app.request_credentials(access_token(&token), "AddressCredential", &[&key])
        .await
        .assert_error(400, "unknown_credential_configuration");
    let issued = app
        .request_credentials(access_token(&token), "IdentityCredential", &[&key])
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    // Only the identity credential was issued under the narrowed token.
    let types = app.event_types(&offer_id(&created)).await;
    assert_eq!(types.iter().filter(|t| *t == "CredentialIssued").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_granted_by_authorization_details_covers_only_the_named_configuration() {
    let app = spawn_authcode_app().await;
    let created = offer_of_both(&app).await;
    let details = json!([
        {"type": "openid_credential", "credential_configuration_id": "AddressCredential"},
    ])
    .to_string();
    let token = token_for(
        &app,
        &created,
        &[("authorization_details", details.as_str())],
    )
    .await;
    assert_eq!(
        token.body["authorization_details"][0]["credential_identifiers"],
        json!(["AddressCredential"])
    );
    assert_eq!(
        token.body["authorization_details"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let key = HolderKey::es256();
    let refused = app
        .credential_request(
            access_token(&token),
            &json!({"credential_identifier": "IdentityCredential",
                    "proofs": {"jwt": [key.proof(&app.wallet, &app.c_nonce().await)]}}),
        )
        .await;
    refused.assert_error(400, "unknown_credential_identifier");
    app.request_credentials(access_token(&token), "IdentityCredential", &[&key])
        .await
        .assert_error(400, "unknown_credential_configuration");
    let issued = app
        .request_credentials(access_token(&token), "AddressCredential", &[&key])
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_scope_or_details_the_offer_decides_and_the_token_request_cannot_widen() {
    let app = spawn_authcode_app().await;
    let created = offer_of_both(&app).await;

    // Only issuer_state: everything offered is authorized.
    let token = token_for(&app, &created, &[]).await;
    let key = HolderKey::es256();
    for configuration in ["IdentityCredential", "AddressCredential"] {
        let issued = app
            .request_credentials(access_token(&token), configuration, &[&key])
            .await;
        assert_eq!(issued.status, 200, "{configuration}: {}", issued.body);
    }

    // A wallet-initiated request by scope: the token request may not add another
    // configuration through authorization_details.
    let pkce = Pkce::new();
    let code = app
        .authorization_code(
            &pkce,
            &[("scope", "identity_credential")],
            &json!({"subject": SUBJECT, "claims": {"given_name": "Erika", "family_name": "Mustermann"}}),
        )
        .await;
    let wider = json!([
        {"type": "openid_credential", "credential_configuration_id": "AddressCredential"},
    ])
    .to_string();
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
    ];
    params.push(("authorization_details", wider.as_str()));
    app.token_request(&params)
        .await
        .assert_error(400, "invalid_authorization_details");
}
