//! Many concurrent commands on one offer: versions stay gap-free and unique, and exactly one
//! of racing redeems of a single-use offer wins.

use std::collections::BTreeSet;

use chrono::Duration;
use issuance::app::offers::{CommandError, CommandMeta};
use issuance::crypto::codes;
use issuance_domain::offer::{
    stream_id, NewRedemption, OfferCommand, OfferError, PresentedGrant, RedeemOffer,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::*;

fn pre_authorized_code(created: &Value) -> String {
    created["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn redeem_command(
    code: &str,
) -> impl FnMut(&issuance_domain::offer::Offer, chrono::DateTime<chrono::Utc>) -> OfferCommand + '_
{
    let redemption_id = Uuid::new_v4();
    move |_, now| {
        OfferCommand::Redeem(RedeemOffer {
            issuer_id: None,
            now,
            grant: PresentedGrant::PreAuthorizedCode {
                code_hash: codes::code_hash(code),
                tx_code_hash: None,
            },
            redemption: NewRedemption {
                redemption_id,
                token_hash: codes::code_hash(&redemption_id.to_string()),
                token_expires_at: now + Duration::minutes(5),
                requested_configuration_ids: None,
                client_id: None,
                dpop_jkt: None,
                attested_wallet: None,
            },
            max_redemptions: 10_000,
        })
    }
}

backend_test! {
    async fn exactly_one_of_racing_redeems_of_a_single_use_offer_wins(backend) {
        let app = spawn_app_on(backend).await;
        let created = app
            .create_offer(&json!({"credential_configuration_id": "IdentityCredential", "claims": {"given_name": "E", "family_name": "M"}}))
            .await;
        let offer_id = Uuid::parse_str(created["offer_id"].as_str().unwrap()).unwrap();
        let code = pre_authorized_code(&created);
        let mut racers = Vec::new();
        for _ in 0..32 {
            let offers = app.state.offers.clone();
            let code = code.clone();
            racers.push(tokio::spawn(async move {
                offers
                    .execute(
                        offer_id,
                        &CommandMeta {
                            actor: "wallet".into(),
                            ..Default::default()
                        },
                        redeem_command(&code),
                    )
                    .await
            }));
        }
        let mut wins = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(executed) => {
                    assert_eq!(executed.events.len(), 1);
                    wins += 1;
                }
                Err(CommandError::Rejected(OfferError::AlreadyRedeemed)) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1);
        let stream = app
            .state
            .events
            .read_stream(&stream_id(offer_id))
            .await
            .unwrap();
        assert_eq!(
            stream.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }
}

backend_test! {
    async fn concurrent_commands_on_one_offer_keep_versions_gap_free(backend) {
        let app = spawn_app_on(backend).await;
        let created = app
            .create_offer(&json!({
                "credential_configuration_id": "IdentityCredential",
                "claims": {"given_name": "E", "family_name": "M"},
                "single_use": false,
            }))
            .await;
        let offer_id = Uuid::parse_str(created["offer_id"].as_str().unwrap()).unwrap();
        let code = pre_authorized_code(&created);
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let offers = app.state.offers.clone();
            let code = code.clone();
            tasks.push(tokio::spawn(async move {
                offers
                    .execute(
                        offer_id,
                        &CommandMeta {
                            actor: "wallet".into(),
                            ..Default::default()
                        },
                        redeem_command(&code),
                    )
                    .await
            }));
        }
        let mut last = None;
        for task in tasks {
            let executed = task
                .await
                .unwrap()
                .expect("multi-use redemptions all succeed after retries");
            last = last.max(executed.position);
        }
        let stream = app
            .state
            .events
            .read_stream(&stream_id(offer_id))
            .await
            .unwrap();
        let sequences: Vec<u64> = stream.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, (1..=51).collect::<Vec<u64>>());
        let positions: BTreeSet<_> = stream.iter().map(|e| e.position).collect();
        assert_eq!(positions.len(), 51);
        let event_ids: BTreeSet<_> = stream.iter().map(|e| e.event_id).collect();
        assert_eq!(event_ids.len(), 51);
        // Waits for the last append, not for the head: on PostgreSQL the head may not
        // include a commit yet while an older transaction is still open.
        assert!(
            app.state
                .offer_view_progress
                .wait_for(last.unwrap(), std::time::Duration::from_secs(5))
                .await
        );
        let (_, view) = app.get_json(&format!("/offers/{offer_id}")).await;
        assert_eq!(view["version"], 51);
        assert_eq!(view["status"], "CREATED");
    }
}
