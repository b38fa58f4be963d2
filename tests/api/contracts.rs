//! The published contracts: `GET /schemas`, `GET /schemas/{name}.json`, `GET /asyncapi.json`
//! on the management listener (no key needed), and `issuance schemas`.

use std::process::Command;

use serde_json::Value;

use crate::support::spawn_app;

#[tokio::test]
async fn the_management_listener_serves_the_schema_index_every_schema_and_the_asyncapi_document() {
    let app = spawn_app().await;
    // No key needed.
    let response = app
        .client
        .get(format!("{}/schemas", app.management))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let index: Value = response.json().await.unwrap();
    let entries = index["schemas"].as_array().unwrap();
    assert_eq!(entries.len(), issuance::contracts::schemas().len());
    for entry in entries {
        let href = entry["href"].as_str().unwrap();
        let (status, schema) = app.get_json(href).await;
        assert_eq!(status, 200, "{href}");
        let name = entry["name"].as_str().unwrap();
        assert_eq!(
            &schema,
            issuance::contracts::schema(name).unwrap(),
            "{href}"
        );
    }
    let (status, document) = app.get_json(index["asyncapi"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(
        document["channels"]["offer_created"]["bindings"]["amqp"]["exchange"]["name"],
        "issuance.events"
    );

    let (status, body) = app
        .get_json("/schemas/event.offer.OfferCreated.v9.json")
        .await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string(), "{body}");
    let (status, _) = app.get_json("/schemas/event.offer.OfferCreated.v2").await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[test]
fn issuance_schemas_prints_every_document_or_writes_them_as_files() {
    let binary = env!("CARGO_BIN_EXE_issuance");
    let output = Command::new(binary).arg("schemas").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let bundle: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(bundle["asyncapi"]["asyncapi"], "3.0.0");
    assert_eq!(
        bundle["schemas"].as_object().unwrap().len(),
        issuance::contracts::schemas().len()
    );

    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary)
        .args(["schemas", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let written = |path: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(path)).unwrap()).unwrap()
    };
    assert_eq!(written("asyncapi.json"), bundle["asyncapi"]);
    assert_eq!(
        written("schemas/callback.status.json"),
        bundle["schemas"]["callback.status"]
    );
    assert_eq!(
        written("schemas.json")["schemas"].as_array().unwrap().len(),
        issuance::contracts::schemas().len()
    );
}

/// The check every captured AMQP message and callback goes through (in the event tap and
/// the callback receiver) reports bodies, routing keys and properties outside the contract.
#[test]
fn captured_messages_and_callbacks_outside_their_contract_are_reported() {
    use crate::support::contracts::{amqp_violations, callback_violations};
    let id = "0193a1c2-7d4e-7b21-9c3f-2a6b8e1f4d57";
    let callback = serde_json::json!({
        "eventId": id, "status": "ISSUED", "offerId": id, "issuerId": "default",
        "occurredAt": "2026-12-05T20:17:03.512340Z", "sequence": 3,
        "credentialConfigurationIds": ["IdentityCredential"],
        "correlation": {"case": "4711"}, "errorDetails": null,
    });
    let bytes = |v: &Value| serde_json::to_vec(v).unwrap();
    assert_eq!(callback_violations(&bytes(&callback)), Vec::<String>::new());
    let mut renamed = callback.clone();
    let ids = renamed
        .as_object_mut()
        .unwrap()
        .remove("credentialConfigurationIds");
    renamed["configurationIds"] = ids.unwrap();
    assert_eq!(
        callback_violations(&bytes(&renamed)).len(),
        2,
        "missing and unknown field"
    );
    assert!(!callback_violations(b"not json").is_empty());
    let mut stray = callback.clone();
    stray["credentialId"] = id.into();
    assert!(
        !callback_violations(&bytes(&stray)).is_empty(),
        "credentialId on ISSUED"
    );
    let mut failed = callback.clone();
    failed["status"] = "FAILED".into();
    assert!(
        !callback_violations(&bytes(&failed)).is_empty(),
        "FAILED without details"
    );
    failed["errorDetails"] =
        serde_json::json!({"code": "tx_code_attempts_exhausted", "description": "x"});
    assert_eq!(callback_violations(&bytes(&failed)), Vec::<String>::new());
    let mut revoked = callback.clone();
    revoked["status"] = "CREDENTIAL_REVOKED".into();
    assert!(
        !callback_violations(&bytes(&revoked)).is_empty(),
        "no credentialId"
    );
    revoked["credentialId"] = id.into();
    assert_eq!(callback_violations(&bytes(&revoked)), Vec::<String>::new());

    let message = serde_json::json!({
        "event_id": id, "offer_id": id, "sequence": 4, "position": 99, "type": "OfferExpired",
        "version": 1, "occurred_at": "2026-12-05T20:17:03Z", "actor": "system", "data": {},
    });
    let check = |key: &str, message_id: &str, kind: &str, body: &Value| {
        amqp_violations(key, Some(message_id), Some(kind), &bytes(body))
    };
    assert_eq!(
        check("offer.expired", id, "OfferExpired", &message),
        Vec::<String>::new()
    );
    assert!(!check("offer.revoked", id, "OfferExpired", &message).is_empty());
    assert!(!check("offer.expired", "other", "OfferExpired", &message).is_empty());
    assert!(!check("offer.expired", id, "OfferRevoked", &message).is_empty());
    let mut extra = message;
    extra["data"]["reason"] = "late".into();
    assert!(!check("offer.expired", id, "OfferExpired", &extra).is_empty());
}
