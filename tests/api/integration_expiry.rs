//! The expiry scheduler: offers past their deadline expire within seconds, exactly once,
//! even when several schedulers race.

use std::time::Duration;

use issuance::app::offers::OfferRepository;
use issuance::integration::expiry;
use issuance_domain::offer::stream_id;
use serde_json::json;

use crate::support::integration::*;
use crate::support::*;

backend_test! {
    async fn offers_past_their_deadline_expire_within_seconds(backend) {
        let app =
            spawn_app_with(TestOptions::on(backend).set("scheduler.expiry_interval_ms", json!(200)))
                .await;
        let live = app.create_offer(&plain_offer()).await;
        let completed = app.create_offer(&plain_offer()).await;
        let redemption = redeem(&app, &completed).await;
        issue(&app, offer_id(&completed), redemption, "IdentityCredential").await;

        app.clock.advance(chrono::Duration::seconds(400));
        let id = offer_id(&live);
        eventually("the offer expired", Duration::from_secs(5), || async {
            let (_, view) = app.get_json(&format!("/offers/{id}")).await;
            (view["status"] == "EXPIRED").then_some(())
        })
        .await;
        let (_, view) = app
            .get_json(&format!("/offers/{}", offer_id(&completed)))
            .await;
        assert_eq!(
            view["status"], "COMPLETED",
            "terminal offers are left alone"
        );
        let stream = app.state.events.read_stream(&stream_id(id)).await.unwrap();
        let expired = stream
            .iter()
            .filter(|e| e.event_type == "OfferExpired")
            .count();
        assert_eq!(expired, 1);
        assert_eq!(stream.last().unwrap().metadata.actor, "system");

        // Every append is counted where it passes the store, the scheduler's too.
        let metrics = app.metrics().await;
        for event_type in ["OfferCreated", "OfferRedeemed", "CredentialIssued", "OfferExpired"] {
            let counted = format!("issuance_events_appended_total{{type=\"{event_type}\"}}");
            assert!(metrics.contains(&counted), "{event_type} not counted:\n{metrics}");
        }
    }
}

backend_test! {
    async fn racing_schedulers_expire_an_offer_exactly_once(backend) {
        // The app's own scheduler is slowed down so that only the racers below act.
        let app = spawn_app_with(
            TestOptions::on(backend).set("scheduler.expiry_interval_ms", json!(3_600_000)),
        )
        .await;
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(offer_id(&app.create_offer(&plain_offer()).await));
        }
        let head = app.written_head().await;
        assert!(
            app.state
                .offer_view_progress
                .wait_for(head, Duration::from_secs(5))
                .await
        );
        app.clock.advance(chrono::Duration::seconds(400));

        // Eight "instances": each its own repository (own command locks), so they really race
        // through the event store's optimistic concurrency.
        let mut racers = Vec::new();
        for _ in 0..8 {
            let views = app.state.views.clone();
            let offers = OfferRepository::new(app.state.events.clone(), app.clock.clone());
            let clock = app.clock.clone();
            racers.push(tokio::spawn(async move {
                expiry::expire_due(views.as_ref(), &offers, clock.as_ref())
                    .await
                    .unwrap()
            }));
        }
        let mut expired = 0;
        for racer in racers {
            expired += racer.await.unwrap();
        }
        assert_eq!(
            expired,
            ids.len(),
            "each offer expired by exactly one racer"
        );
        for id in ids {
            let stream = app.state.events.read_stream(&stream_id(id)).await.unwrap();
            assert_eq!(
                stream
                    .iter()
                    .filter(|e| e.event_type == "OfferExpired")
                    .count(),
                1
            );
        }
    }
}
