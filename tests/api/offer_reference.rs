//! The offer id is public, the offer reference is not (issue 16 §1): whoever reads the
//! broker or receives callbacks learns offer ids, event ids and times, and none of that
//! obtains a pre-authorized code or an access token from the wallet API.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::integration::*;
use crate::support::wallet::{offer_reference_path, pre_authorized_code, PRE_AUTHORIZED};
use crate::support::*;

/// Every string in a JSON document (object keys included), and every number as text.
fn strings(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(members) => {
            for (key, v) in members {
                out.insert(key.clone());
                strings(v, out);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

/// Whether a wallet API answer hands out a code or a token.
fn yields_a_secret(reply: &crate::support::wallet::Reply) -> bool {
    let text = reply.body.to_string();
    reply.status == 200
        || text.contains("pre-authorized_code")
        || text.contains("issuer_state")
        || text.contains("access_token")
}

#[tokio::test(flavor = "multi_thread")]
async fn what_an_amqp_consumer_or_callback_receiver_sees_redeems_nothing() {
    let names = AmqpNames::unique();
    let tap = EventTap::start(&names).await;
    let receiver = CallbackReceiver::start();
    // Every candidate must reach the endpoints, not a rate limit (the test default).
    let app = spawn_app_with(names.options(Backend::Sqlite, &receiver)).await;

    // A live offer without a transaction code: its pre-authorized code alone redeems it.
    let created = app.create_offer(&plain_offer()).await;
    let id = offer_id(&created);
    let callback = receiver.delivered(&id.to_string(), "OFFER_CREATED").await;
    let event_ids: Vec<uuid::Uuid> = app
        .state
        .events
        .read_stream(&issuance_domain::offer::stream_id(id))
        .await
        .unwrap()
        .iter()
        .map(|e| e.event_id)
        .collect();
    let messages = tap.wait_for_all(&event_ids).await;

    let reference_path = offer_reference_path(&created);
    let reference = reference_path.rsplit('/').next().unwrap().to_string();
    let code = pre_authorized_code(&created);
    let mut seen = BTreeSet::new();
    for message in &messages {
        let text = String::from_utf8(message.body.clone()).unwrap();
        assert!(
            !text.contains(&reference) && !text.contains(&code),
            "{text}"
        );
        strings(&message.json(), &mut seen);
        seen.insert(message.routing_key.clone());
        seen.extend(message.message_id.clone());
    }
    let callback_text = String::from_utf8(callback.body.clone()).unwrap();
    assert!(!callback_text.contains(&reference) && !callback_text.contains(&code));
    strings(&callback.json(), &mut seen);
    seen.extend(callback.delivery.clone());
    assert!(seen.contains(&id.to_string()), "the offer id is public");

    for candidate in &seen {
        let path = format!("/credential-offers/{}", urlencoding::encode(candidate));
        let reply = app.wallet_get(&path).await;
        assert!(!yields_a_secret(&reply), "{path}: {reply:?}");
        let reply = app
            .token_request(&[
                ("grant_type", PRE_AUTHORIZED),
                ("pre-authorized_code", candidate),
            ])
            .await;
        assert!(!yields_a_secret(&reply), "code {candidate}: {reply:?}");
    }

    // The offer was redeemable all along, by whoever holds the offer URI.
    let resolved = app.wallet_get(&reference_path).await;
    assert_eq!(resolved.status, 200);
    assert_eq!(resolved.body, created["credential_offer"]);
    assert_eq!(app.redeem(&created).await.status, 200);
    app.stop().await;
    names.cleanup().await;
}
