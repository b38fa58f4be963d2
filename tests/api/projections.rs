//! The offer view projection survives crashes between append and projection, and a replay
//! from position 0 rebuilds an identical view.

use std::sync::Arc;

use issuance::app::offers::{CommandMeta, OfferRepository};
use issuance::node::stores;
use issuance::projector::{self, OfferViewProjection, Projection};
use issuance::readstore::OfferQuery;
use issuance_domain::offer::{OfferCommand, RevokeOffer};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;

async fn all_views(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/offers?limit=500").await;
    assert_eq!(status, 200);
    page["items"].as_array().unwrap().clone()
}

backend_test! {
    async fn the_view_converges_after_a_crash_and_replay_rebuilds_it_identically(backend) {
        // Arrange: ten offers, projected; then the service stops.
        // Retention would append ClaimsErased to the revoked offers and change their versions.
        let app = spawn_app_with(TestOptions::on(backend).set("retention", json!({"erase_claims_after_hours": "never"}))).await;
        let mut ids = Vec::new();
        for _ in 0..10 {
            ids.push(
                Uuid::parse_str(
                    app.create_offer(&identity_offer()).await["offer_id"]
                        .as_str()
                        .unwrap(),
                )
                .unwrap(),
            );
        }
        // Reads wait for the view to reach the log's head: all ten are projected.
        assert_eq!(all_views(&app).await.len(), 10);
        let stopped = app.shutdown().await;

        // Act: while no projector runs, five offers are revoked (appended, not projected); a
        // projector then commits only part of them before "crashing".
        let config = stopped.config();
        let opened = stores::open(&config.settings).await.unwrap();
        let repository = OfferRepository::new(
            opened.events.clone(),
            Arc::new(issuance::clock::SystemClock),
        );
        let mut last = None;
        for id in &ids[..5] {
            let executed = repository
                .execute(*id, &CommandMeta::system(), |_, _| {
                    OfferCommand::Revoke(RevokeOffer { reason: None })
                })
                .await
                .unwrap();
            last = last.max(executed.position);
        }
        let last = last.unwrap();
        let projection = OfferViewProjection::new(
            opened.views.clone(),
            opened.secrets.clone(),
            issuance::crypto::server_secret::ServerSecret::from_settings(&config.settings).unwrap(),
        );
        let checkpoint = projection.checkpoint().await.unwrap();
        // On PostgreSQL a commit reaches readers once older transactions (of other tests on
        // the same server) have ended: read until the last revocation is in.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let pending = loop {
            let pending = opened.events.read_all(checkpoint, 100).await.unwrap();
            if pending.last().is_some_and(|e| e.position >= last)
                || std::time::Instant::now() > deadline
            {
                break pending;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        };
        assert_eq!(
            pending.len(),
            5,
            "the revocations are in the log but not in the view"
        );
        projection.apply(&pending[..2]).await.unwrap();
        drop(opened);

        // Assert: after a restart the view shows every revocation.
        let app = spawn_app_with(stopped.restart_options().set("retention", json!({"erase_claims_after_hours": "never"}))).await;
        assert!(
            app.state
                .offer_view_progress
                .wait_for(last, std::time::Duration::from_secs(10))
                .await
        );
        let views = all_views(&app).await;
        assert_eq!(views.len(), 10);
        for view in &views {
            let id = Uuid::parse_str(view["offer_id"].as_str().unwrap()).unwrap();
            let expected = if ids[..5].contains(&id) {
                "REVOKED"
            } else {
                "CREATED"
            };
            assert_eq!(view["status"], expected);
            assert_eq!(view["version"], if expected == "REVOKED" { 2 } else { 1 });
        }
        let before = all_views(&app).await;
        let stopped = app.shutdown().await;

        // A replay from position 0 yields the identical view.
        let config = stopped.config();
        let opened = stores::open(&config.settings).await.unwrap();
        let secret = issuance::crypto::server_secret::ServerSecret::from_settings(&config.settings).unwrap();
        for projection in issuance::cli::projections(&opened, &secret) {
            projection.reset().await.unwrap();
            assert!(
                opened
                    .views
                    .list_offer_views(OfferQuery {
                        limit: 10,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .items
                    .is_empty()
                    || projection.name() != "offer_view"
            );
            projector::catch_up(opened.events.as_ref(), projection.as_ref(), |_, _| {})
                .await
                .unwrap();
        }
        drop(opened);
        let app = spawn_app_with(stopped.restart_options().set("retention", json!({"erase_claims_after_hours": "never"}))).await;
        assert_eq!(all_views(&app).await, before);
        let (_, one) = app.get_json(&format!("/offers/{}", ids[0])).await;
        assert_eq!(one["status"], "REVOKED");
        let response = app
            .admin(Method::GET, "/health/ready")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

backend_test! {
    /// `/health/ready` reports how far the callback relay trails the log, reaching 0 once
    /// it has passed every event.
    async fn readiness_reports_the_relay_lag(backend) {
        let app = spawn_app_on(backend).await;
        app.create_offer(&identity_offer()).await;
        crate::support::integration::eventually(
            "relay lag 0",
            std::time::Duration::from_secs(10),
            || async {
                let (_, body) = app.get_json("/health/ready").await;
                (body["checks"]["relay"]["lag"] == 0).then_some(())
            },
        )
        .await;
    }
}
