//! The integration store contract: relay checkpoints, the callback outbox (rows and
//! checkpoint in one transaction, one delivery per id, each offer's callbacks one at a
//! time in log order, attempts and next-attempt times) and dead letters (listing in
//! pages, replacing, re-queueing through either transport).

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use issuance::integration::envelope::EventEnvelope;
use issuance::integration::store::{DeadLetter, IntegrationStore, RequeueSelection};
use issuance_domain::LogPosition;
use uuid::Uuid;

use super::subjects::Subject;

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap()
}

fn envelope(offer: u128, sequence: u64) -> EventEnvelope {
    EventEnvelope {
        event_id: Uuid::new_v4(),
        offer_id: Uuid::from_u128(offer),
        sequence,
        position: sequence,
        event_type: "OfferCreated".into(),
        version: 1,
        occurred_at: now(),
        actor: "test".into(),
        data: serde_json::json!({"credential_configuration_ids": ["Id"], "nested": {"b": 1, "a": [2.5, null]}}),
    }
}

fn dead_letter(event: &EventEnvelope, dead_at: DateTime<Utc>, reason: &str) -> DeadLetter {
    DeadLetter {
        id: event.event_id,
        offer_id: event.offer_id,
        status: Some("OFFER_CREATED".into()),
        attempts: 2,
        reason: reason.into(),
        dead_at,
        requeue_requested: false,
        event: event.clone(),
    }
}

fn ids(items: &[issuance::integration::store::OutboxItem]) -> Vec<Uuid> {
    items.iter().map(|item| item.envelope.event_id).collect()
}

/// Each offer's oldest callback is due alone; a retry holds its offer back until the
/// retry time; a dead-lettered head lets the next one through; a re-queued dead letter
/// comes back with fresh attempts.
pub async fn one_offers_callbacks_are_due_one_at_a_time_in_order(subject: &Subject) {
    let store = subject.integration.as_ref();
    assert_eq!(store.checkpoint("t").await.unwrap(), LogPosition::START);
    let (a1, a2, b1) = (envelope(1, 1), envelope(1, 2), envelope(2, 1));
    store
        .enqueue_callbacks(
            "t",
            vec![a1.clone(), a2.clone(), b1.clone()],
            LogPosition::at(3),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(store.checkpoint("t").await.unwrap(), LogPosition::at(3));
    let due = store.due_callbacks(now(), 10).await.unwrap();
    assert_eq!(ids(&due), [a1.event_id, b1.event_id]);
    assert_eq!(due[0].envelope, a1, "the envelope reads back equal");
    assert_eq!(due[0].attempts, 0);
    assert!(store
        .due_callbacks(now() - Duration::seconds(1), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.due_callbacks(now(), 1).await.unwrap().len(), 1);

    let later = now() + Duration::seconds(5);
    store
        .retry_callback(due[0].id, 1, later, "HTTP 503")
        .await
        .unwrap();
    store.finish_callback(due[1].id).await.unwrap();
    assert!(store.due_callbacks(now(), 10).await.unwrap().is_empty());
    let due = store.due_callbacks(later, 10).await.unwrap();
    assert_eq!(ids(&due), [a1.event_id]);
    assert_eq!(due[0].attempts, 1);

    store
        .bury_callback(due[0].id, dead_letter(&a1, later, "HTTP 400"))
        .await
        .unwrap();
    let due = store.due_callbacks(later, 10).await.unwrap();
    assert_eq!(ids(&due), [a2.event_id]);
    let page = store.dead_letters(10, None).await.unwrap();
    assert_eq!(page.items, vec![dead_letter(&a1, later, "HTTP 400")]);
    assert_eq!(
        store
            .request_requeue(RequeueSelection::One(a1.event_id))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .request_requeue(RequeueSelection::One(Uuid::new_v4()))
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.requeue_into_outbox(later).await.unwrap(), 1);
    assert_eq!(store.requeue_into_outbox(later).await.unwrap(), 0);
    assert!(store.dead_letters(10, None).await.unwrap().items.is_empty());
    store.finish_callback(due[0].id).await.unwrap();
    let due = store.due_callbacks(later, 10).await.unwrap();
    assert_eq!(ids(&due), [a1.event_id]);
    assert_eq!(due[0].attempts, 0, "a re-queued callback starts again");
}

/// A relay that re-sends a batch (a crash before its checkpoint, or two lease holders for
/// a moment) enqueues nothing twice, and its checkpoint never moves backwards.
pub async fn re_enqueued_callbacks_are_stored_once_and_checkpoints_never_regress(
    subject: &Subject,
) {
    let store = subject.integration.as_ref();
    let batch = vec![envelope(3, 1), envelope(3, 2)];
    for checkpoint in [5, 3] {
        store
            .enqueue_callbacks("relay", batch.clone(), LogPosition::at(checkpoint), now())
            .await
            .unwrap();
    }
    assert_eq!(store.checkpoint("relay").await.unwrap(), LogPosition::at(5));
    store
        .save_checkpoint("relay", LogPosition::at(4))
        .await
        .unwrap();
    assert_eq!(store.checkpoint("relay").await.unwrap(), LogPosition::at(5));
    store
        .save_checkpoint("relay", LogPosition::at(9))
        .await
        .unwrap();
    assert_eq!(store.checkpoint("relay").await.unwrap(), LogPosition::at(9));
    assert_eq!(store.checkpoint("other").await.unwrap(), LogPosition::START);
    // An empty batch moves the checkpoint alone.
    store
        .enqueue_callbacks("relay", Vec::new(), LogPosition::at(12), now())
        .await
        .unwrap();
    assert_eq!(
        store.checkpoint("relay").await.unwrap(),
        LogPosition::at(12)
    );

    let mut delivered = Vec::new();
    loop {
        let due = store.due_callbacks(now(), 10).await.unwrap();
        let Some(item) = due.first() else { break };
        delivered.push(item.envelope.event_id);
        store.finish_callback(item.id).await.unwrap();
    }
    assert_eq!(delivered, [batch[0].event_id, batch[1].event_id]);
}

/// Many offers enqueued in one batch: each offer's callbacks come out in log order.
pub async fn many_offers_keep_their_own_order(subject: &Subject) {
    let store: Arc<dyn IntegrationStore> = subject.integration.clone();
    let mut batch = Vec::new();
    for sequence in 1..=5 {
        for offer in 10..20 {
            batch.push(envelope(offer, sequence));
        }
    }
    store
        .enqueue_callbacks("relay", batch, LogPosition::at(50), now())
        .await
        .unwrap();
    let mut seen: std::collections::BTreeMap<Uuid, Vec<u64>> = Default::default();
    loop {
        let due = store.due_callbacks(now(), 7).await.unwrap();
        if due.is_empty() {
            break;
        }
        let offers: std::collections::BTreeSet<Uuid> =
            due.iter().map(|item| item.envelope.offer_id).collect();
        assert_eq!(offers.len(), due.len(), "one item per offer at a time");
        for item in due {
            seen.entry(item.envelope.offer_id)
                .or_default()
                .push(item.envelope.sequence);
            store.finish_callback(item.id).await.unwrap();
        }
    }
    assert_eq!(seen.len(), 10);
    for sequences in seen.values() {
        assert_eq!(sequences, &[1, 2, 3, 4, 5]);
    }
}

/// Dead letters page oldest first by `(dead_at, id)`; a repeated id replaces the older
/// record and its re-queue request; the AMQP path lists requests and removes what it
/// re-published.
pub async fn dead_letters_page_replace_and_requeue(subject: &Subject) {
    let store = subject.integration.as_ref();
    let events: Vec<EventEnvelope> = (0..5).map(|i| envelope(100 + i, 1)).collect();
    for (i, event) in events.iter().enumerate() {
        store
            .record_dead_letter(dead_letter(
                event,
                now() + Duration::seconds(i as i64),
                "HTTP 410",
            ))
            .await
            .unwrap();
    }
    let first = store.dead_letters(3, None).await.unwrap();
    assert_eq!(first.items.len(), 3);
    let second = store.dead_letters(3, first.next_cursor).await.unwrap();
    assert_eq!(second.items.len(), 2);
    assert!(second.next_cursor.is_none());
    let listed: Vec<Uuid> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|d| d.id)
        .collect();
    let expected: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(listed, expected);

    assert_eq!(
        store.request_requeue(RequeueSelection::All).await.unwrap(),
        5
    );
    let requested = store.requeue_requests(2).await.unwrap();
    assert_eq!(
        requested.iter().map(|d| d.id).collect::<Vec<_>>(),
        expected[..2]
    );
    assert!(requested.iter().all(|d| d.requeue_requested));
    // Dying again replaces the record and withdraws the request.
    let again = DeadLetter {
        attempts: 7,
        ..dead_letter(&events[0], now() + Duration::seconds(30), "HTTP 500")
    };
    store.record_dead_letter(again.clone()).await.unwrap();
    let requested = store.requeue_requests(10).await.unwrap();
    assert_eq!(requested.len(), 4);
    assert!(requested.iter().all(|d| d.id != events[0].event_id));
    for dead in &requested {
        store.remove_dead_letter(dead.id).await.unwrap();
    }
    let page = store.dead_letters(10, None).await.unwrap();
    assert_eq!(page.items, vec![again]);
}
