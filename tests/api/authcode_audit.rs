//! The authorization-code flow in the rest of the system: the audit view chains and
//! summarises the session's events without personal data, and the relay keeps delivering
//! offer events (status callbacks) across session streams in the log.

use serde_json::json;

use crate::audit_support::{audit_entries, verify, wait_for_projections};
use crate::support::authcode::*;
use crate::support::integration::{embedded_options, CallbackReceiver};
use crate::support::wallet::*;
use crate::support::*;

const SUBJECT: &str = "customer-4711";

backend_test! {
async fn session_events_are_audited_and_offer_callbacks_keep_flowing(backend) {
    let receiver = CallbackReceiver::start();
    let app = spawn_app_with(with_authcode(embedded_options(backend, &receiver))).await;
    let created = app
        .create_offer(&json!({
            "credential_configuration_id": "IdentityCredential",
            "claims": {"given_name": "Erika", "family_name": "Mustermann"},
            "grant": "authorization_code",
            "subject": SUBJECT,
        }))
        .await;
    let offer = offer_id(&created);
    let pkce = Pkce::new();
    let state = issuer_state(&created);
    let code = app
        .authorization_code(
            &pkce,
            &[("issuer_state", state.as_str())],
            &json!({"subject": SUBJECT}),
        )
        .await;
    let token = app.exchange_code(&code, &pkce.verifier).await;
    let access_token = token.body["access_token"].as_str().unwrap();
    let issued = app
        .request_credentials(access_token, "IdentityCredential", &[&HolderKey::es256()])
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    app.exchange_code(&code, &pkce.verifier)
        .await
        .assert_error(400, "invalid_grant");

    // The relay went past the session's events: the offer's callbacks arrive, and so do
    // those of an offer created afterwards.
    receiver.delivered(&offer, "ISSUED").await;
    let later = offer_id(&app.create_offer(&identity_offer()).await);
    receiver.delivered(&later, "OFFER_CREATED").await;

    // The audit view holds every session event, summarised without personal data, and
    // the chain verifies.
    wait_for_projections(&app).await;
    let entries = audit_entries(&app, "", 100).await;
    let summaries: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| {
            e["type"].as_str().unwrap().starts_with("Authorization") || e["type"] == "LoginStarted"
        })
        .map(|e| (e["type"].as_str().unwrap(), e["summary"].as_str().unwrap()))
        .collect();
    let types: Vec<&str> = summaries.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        types,
        [
            "AuthorizationRequested",
            "LoginStarted",
            "AuthorizationGranted",
            "AuthorizationCodeExchanged",
            "AuthorizationCodeReplayed"
        ]
    );
    assert!(
        summaries[0].1.starts_with(&format!(
            "Authorization requested by client {CLIENT_ID} for IdentityCredential of offer {offer}"
        )),
        "{}",
        summaries[0].1
    );
    assert!(summaries[4].1.contains(&offer));
    let text = serde_json::to_string(&entries).unwrap();
    for private in [SUBJECT, REDIRECT_URI, WALLET_STATE, "Mustermann"] {
        assert!(!text.contains(private), "{private} in the audit view");
    }
    assert!(entries.iter().any(|e| e["type"] == "RedemptionRevoked"));
    assert_eq!(verify(&app, "").await["valid"], true);
}
}
