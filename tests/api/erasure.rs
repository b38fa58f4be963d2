//! Erasure of personal data by crypto-shredding: on an admin's request and by the retention
//! policy. Afterwards no store (SQLite file, PostgreSQL table) holds the claims or the key
//! that sealed them, the history and the audit chain still read and verify, and nothing
//! more can be issued.

use chrono::Duration;
use issuance::app::offers::CommandError;
use issuance::crypto::sealing;
use issuance::node::retention;
use issuance_domain::offer::{stream_id, OfferCreated, OfferError};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::audit_support::*;
use crate::support::*;

/// Claim values unlikely to occur in any file by chance.
const GIVEN_NAME: &str = "Quirinella";
const FAMILY_NAME: &str = "Zwetschgenbaum-Oberhuber";
const EMAIL: &str = "quirinella.zwetschgenbaum@example.org";

fn offer_with_unique_claims() -> Value {
    json!({
        "credential_configuration_id": "IdentityCredential",
        "claims": {"given_name": GIVEN_NAME, "family_name": FAMILY_NAME, "email": EMAIL},
        "tx_code": {"length": 6},
    })
}

/// An offer with the unique claims, revoked: terminal, its claims due for erasure.
async fn revoked_offer(app: &TestApp) -> Uuid {
    let offer = offer_id(&create_offer_as(app, &offer_with_unique_claims(), "req-create").await);
    let response = app
        .admin(Method::DELETE, &format!("/offers/{offer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    offer
}

/// The offer's definition as the log holds it (claims sealed).
async fn sealed_definition(app: &TestApp, offer: Uuid) -> OfferCreated {
    app.state
        .offers
        .load(offer)
        .await
        .unwrap()
        .definition
        .unwrap()
}

async fn erase(app: &TestApp, offer: Uuid, key: &str) -> reqwest::Response {
    app.with_key(Method::POST, &format!("/offers/{offer}/erase"), key)
        .header("X-Request-Id", "req-erase")
        .send()
        .await
        .unwrap()
}

backend_test! {
    async fn after_erasure_no_store_holds_the_claims_and_issuance_fails_cleanly(backend) {
        // Arrange: a redeemed offer whose claims are readable with its data key.
        let app = spawn_app_on(backend).await;
        let created = create_offer_as(&app, &offer_with_unique_claims(), "req-create").await;
        let offer = offer_id(&created);
        let (result, token) = redeem(
            &app,
            &created,
            created["tx_code_value"].as_str(),
            "req-redeem",
        )
        .await;
        result.unwrap();
        let key = app
            .state
            .secrets
            .data_key(offer)
            .await
            .unwrap()
            .expect("a data key");
        let definition = sealed_definition(&app, offer).await;
        let claims = sealing::open(&key, offer, &definition.sealed_claims).unwrap();
        assert_eq!(claims["family_name"], FAMILY_NAME);
        let key_stored = stored_data(&app).await.iter().any(|(_, bytes)| {
            key_forms(&key.0)
                .iter()
                .any(|form| contains(bytes, form))
        });
        assert!(key_stored, "control: the search finds the live key");

        // Act
        let response = erase(&app, offer, WRITER_KEY).await;
        assert_eq!(response.status(), 403, "erasure needs the admin scope");
        let response = erase(&app, offer, ADMIN_KEY).await;
        assert_eq!(response.status(), 204);
        let again = erase(&app, offer, ADMIN_KEY).await;
        assert_eq!(again.status(), 409);
        assert_eq!(
            again.json::<Value>().await.unwrap()["error"],
            "claims_already_erased"
        );
        assert_eq!(erase(&app, Uuid::new_v4(), ADMIN_KEY).await.status(), 404);

        // Assert: the key is gone, and no store holds a claim value or the key's bytes: on
        // SQLite no file of the data directory (databases, WAL and shared-memory files
        // included), on PostgreSQL no row of any table of the schema (and no file either).
        assert!(app.state.secrets.data_key(offer).await.unwrap().is_none());
        let places = stored_data(&app).await;
        match &app.database {
            None => assert!(places.iter().any(|(place, _)| place.ends_with("events.db"))),
            Some(database) => {
                assert!(places.iter().any(|(place, _)| place == "table events"));
            assert!(
                places.iter().all(|(place, _)| !place.ends_with(".db")),
                "with PostgreSQL no store is a SQLite file"
            );
                let rows = database
                    .client()
                    .await
                    .query_one("SELECT count(*) FROM data_keys WHERE offer_id = $1", &[&offer])
                    .await
                    .unwrap();
                assert_eq!(rows.get::<_, i64>(0), 0, "the data key row is gone");
            }
        }
        for (place, bytes) in &places {
            for value in [GIVEN_NAME, FAMILY_NAME, EMAIL] {
                assert!(!contains(bytes, value.as_bytes()), "{value} found in {place}");
            }
            for form in key_forms(&key.0) {
                assert!(
                    !contains(bytes, &form),
                    "the destroyed data key is still in {place}"
                );
            }
        }

        // The sealed claims are still in the log, and unrecoverable.
        let definition = sealed_definition(&app, offer).await;
        assert!(!definition.sealed_claims.ciphertext.is_empty());

        // Issuance is impossible.
        let attempt = issue(&app, offer, token, "IdentityCredential", "req-issue").await;
        assert!(
            matches!(
                attempt,
                // The offer was live: erasing its claims revoked it first.
                Err(CommandError::Rejected(OfferError::Revoked))
            ),
            "{attempt:?}"
        );

        // The history still reads, with the erasure in it.
        let (status, history) = app.get_json(&format!("/offers/{offer}/events")).await;
        assert_eq!(status, 200);
        let last = history.as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["type"], "ClaimsErased");
        assert_eq!(last["actor"], "admin");
        assert_eq!(last["request_id"], "req-erase");
        assert_eq!(last["data"]["reason"], "admin_request");
        let (_, view) = app.get_json(&format!("/offers/{offer}")).await;
        assert_eq!(view["claims_erased"], true);
        assert_eq!(view["status"], "REVOKED", "erasing a live offer revokes it");

        // The audit chain verifies and records who erased.
        wait_for_projections(&app).await;
        let report = verify(&app, "").await;
        assert_eq!(report["valid"], true, "{report}");
        let entries = audit_entries(&app, &format!("offer_id={offer}"), 50).await;
        let types: Vec<&str> = entries
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["OfferCreated", "OfferRedeemed", "OfferRevoked", "ClaimsErased"]
        );
        assert_eq!(entries[3]["actor"], "admin");
        assert_eq!(entries[3]["request_id"], "req-erase");
    }
}

backend_test! {
    async fn the_retention_policy_erases_claims_once_the_grace_period_has_passed(backend) {
        // Arrange: erase two hours after the offer ends.
        let app = spawn_app_with(
            TestOptions::on(backend).set("retention", json!({"erase_claims_after_hours": 2})),
        )
        .await;
        let offer = revoked_offer(&app).await;
        wait_for_projections(&app).await;

        // Act and assert: not yet due, then due, then done.
        let pass = retention::erase_due(&app.state, 2).await.unwrap();
        assert_eq!(pass.erased, 0);
        assert!(app.state.secrets.data_key(offer).await.unwrap().is_some());
        app.clock.advance(Duration::hours(2) + Duration::minutes(1));
        // The service's own retention task, woken by the projections, may get there
        // first: either way, once this pass returns the claims are erased, once.
        let pass = retention::erase_due(&app.state, 2).await.unwrap();
        assert_eq!(pass.failed, 0, "{pass:?}");
        assert!(pass.erased + pass.already_erased <= 1, "{pass:?}");
        assert!(app.state.secrets.data_key(offer).await.unwrap().is_none());
        let pass = retention::erase_due(&app.state, 2).await.unwrap();
        assert_eq!(pass.erased, 0, "idempotent: {pass:?}");

        let stream = app
            .state
            .events
            .read_stream(&stream_id(offer))
            .await
            .unwrap();
        let erasures: Vec<_> = stream
            .iter()
            .filter(|e| e.event_type == "ClaimsErased")
            .collect();
        assert_eq!(erasures.len(), 1);
        assert_eq!(erasures[0].payload["reason"], "retention_policy");
        assert_eq!(erasures[0].metadata.actor, "system");
        assert!(erasures[0]
            .metadata
            .request_id
            .as_deref()
            .unwrap()
            .starts_with("retention-"));
    }
}

backend_test! {
    async fn one_retention_pass_erases_more_offers_than_fit_in_one_query(backend) {
        // Arrange: 130 ended offers (one query takes 100; erasures run 32 at a time).
        let app = spawn_app_with(
            TestOptions::on(backend).set("retention", json!({"erase_claims_after_hours": 2})),
        )
        .await;
        let offers = futures_util::future::join_all((0..130).map(|_| revoked_offer(&app))).await;
        wait_for_projections(&app).await;
        app.clock.advance(Duration::hours(2) + Duration::minutes(1));

        // Act
        let pass = retention::erase_due(&app.state, 2).await.unwrap();

        // Assert: after the pass every key is gone and every offer has exactly one erasure
        // (the app's own retention task may have erased some of them meanwhile).
        assert_eq!(pass.failed, 0, "{pass:?}");
        for offer in offers {
            assert!(app.state.secrets.data_key(offer).await.unwrap().is_none());
            let stream = app.state.events.read_stream(&stream_id(offer)).await.unwrap();
            let erasures = stream.iter().filter(|e| e.event_type == "ClaimsErased").count();
            assert_eq!(erasures, 1, "offer {offer}");
        }
    }
}

backend_test! {
    async fn by_default_claims_are_erased_as_soon_as_an_offer_ends(backend) {
        let app = spawn_app_on(backend).await;
        let live = offer_id(&create_offer_as(&app, &offer_with_unique_claims(), "req-live").await);
        let offer = revoked_offer(&app).await;

        // The retention task wakes on the projected revocation.
        let mut erased = false;
        for _ in 0..200 {
            let (_, view) = app.get_json(&format!("/offers/{offer}")).await;
            if view["claims_erased"] == true {
                erased = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(erased, "the revoked offer's claims were not erased");
        assert!(app.state.secrets.data_key(offer).await.unwrap().is_none());
        assert!(
            app.state.secrets.data_key(live).await.unwrap().is_some(),
            "a live offer keeps its claims"
        );
    }
}

backend_test! {
    async fn an_erasure_interrupted_after_destroying_the_key_is_completed_by_a_retry(backend) {
        // Arrange: the key was destroyed, then the process died before recording it.
        let app = spawn_app_on(backend).await;
        let offer = offer_id(&create_offer_as(&app, &offer_with_unique_claims(), "req-create").await);
        assert!(app.state.secrets.destroy_data_key(offer).await.unwrap());

        // Act: the admin retries.
        let response = erase(&app, offer, ADMIN_KEY).await;

        // Assert: the erasure is recorded once.
        assert_eq!(response.status(), 204);
        let stream = app
            .state
            .events
            .read_stream(&stream_id(offer))
            .await
            .unwrap();
        assert_eq!(
            stream
                .iter()
                .filter(|e| e.event_type == "ClaimsErased")
                .count(),
            1
        );
    }
}

backend_test! {
    async fn with_retention_set_to_never_claims_are_erased_only_on_request(backend) {
        let app = spawn_app_with(
            TestOptions::on(backend).set("retention", json!({"erase_claims_after_hours": "never"})),
        )
        .await;
        let offer = revoked_offer(&app).await;
        wait_for_projections(&app).await;
        // Longer than a retention pass takes to follow a projected change when enabled.
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert!(app.state.secrets.data_key(offer).await.unwrap().is_some());
        assert_eq!(erase(&app, offer, ADMIN_KEY).await.status(), 204);
        assert!(app.state.secrets.data_key(offer).await.unwrap().is_none());
    }
}

backend_test! {
    async fn a_revocation_and_an_erasure_are_each_counted_once(backend) {
        let app = spawn_app_with(
            TestOptions::on(backend).set("retention", json!({"erase_claims_after_hours": "never"})),
        )
        .await;
        let offer = revoked_offer(&app).await;
        assert_eq!(erase(&app, offer, ADMIN_KEY).await.status(), 204);
        let metrics = app.metrics().await;
        for event_type in ["OfferRevoked", "ClaimsErased"] {
            let counted = format!("issuance_events_appended_total{{type=\"{event_type}\"}} 1\n");
            assert!(metrics.contains(&counted), "{event_type} not counted once:\n{metrics}");
        }
    }
}
