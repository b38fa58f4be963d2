//! The integration store contract: relay checkpoints, the callback outbox (rows and
//! checkpoint in one transaction, one delivery per id, each offer's callbacks one at a
//! time in log order, attempts and next-attempt times) and dead letters (listing in
//! pages, replacing, re-queueing through either transport).

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use issuance::integration::envelope::EventEnvelope;
use issuance::integration::store::{
    DeadLetter, DestinationBacklog, DueFilter, IntegrationStore, NewCallback, OutboxItem,
    RequeueSelection, Settlement,
};
use issuance_eventlog::LogPosition;
use uuid::Uuid;

use super::subjects::Subject;

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0).unwrap()
}

fn envelope(offer: u128, sequence: u64) -> EventEnvelope {
    EventEnvelope {
        event_id: Uuid::new_v4(),
        offer_id: Uuid::from_u128(offer),
        issuer_id: "default".into(),
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

fn ids(items: &[OutboxItem]) -> Vec<Uuid> {
    items.iter().map(|item| item.envelope.event_id).collect()
}

/// Callbacks without a known destination.
fn unrouted(envelopes: &[EventEnvelope]) -> Vec<NewCallback> {
    envelopes
        .iter()
        .map(|envelope| NewCallback {
            envelope: envelope.clone(),
            destination: None,
        })
        .collect()
}

async fn due(store: &dyn IntegrationStore, at: DateTime<Utc>, limit: usize) -> Vec<OutboxItem> {
    store
        .due_callbacks(at, limit, &DueFilter::default())
        .await
        .unwrap()
}

async fn finish(store: &dyn IntegrationStore, id: i64) {
    store
        .settle_callbacks(vec![Settlement::Finished(id)])
        .await
        .unwrap();
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
            unrouted(&[a1.clone(), a2.clone(), b1.clone()]),
            LogPosition::at(3),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(store.checkpoint("t").await.unwrap(), LogPosition::at(3));
    let first = due(store, now(), 10).await;
    assert_eq!(ids(&first), [a1.event_id, b1.event_id]);
    assert_eq!(first[0].envelope, a1, "the envelope reads back equal");
    assert_eq!(first[0].attempts, 0);
    assert!(due(store, now() - Duration::seconds(1), 10)
        .await
        .is_empty());
    assert_eq!(due(store, now(), 1).await.len(), 1);

    let later = now() + Duration::seconds(5);
    store
        .settle_callbacks(vec![
            Settlement::Retry {
                id: first[0].id,
                attempts: 1,
                next_attempt_at: later,
                error: "HTTP 503".into(),
            },
            Settlement::Finished(first[1].id),
        ])
        .await
        .unwrap();
    assert!(due(store, now(), 10).await.is_empty());
    let retried = due(store, later, 10).await;
    assert_eq!(ids(&retried), [a1.event_id]);
    assert_eq!(retried[0].attempts, 1);

    store
        .settle_callbacks(vec![Settlement::Dead(
            retried[0].id,
            Box::new(dead_letter(&a1, later, "HTTP 400")),
        )])
        .await
        .unwrap();
    let next = due(store, later, 10).await;
    assert_eq!(ids(&next), [a2.event_id]);
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
    finish(store, next[0].id).await;
    let requeued = due(store, later, 10).await;
    assert_eq!(ids(&requeued), [a1.event_id]);
    assert_eq!(requeued[0].attempts, 0, "a re-queued callback starts again");
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
            .enqueue_callbacks(
                "relay",
                unrouted(&batch),
                LogPosition::at(checkpoint),
                now(),
            )
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
        let due = due(store, now(), 10).await;
        let Some(item) = due.first() else { break };
        delivered.push(item.envelope.event_id);
        finish(store, item.id).await;
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
        .enqueue_callbacks("relay", unrouted(&batch), LogPosition::at(50), now())
        .await
        .unwrap();
    let mut seen: std::collections::BTreeMap<Uuid, Vec<u64>> = Default::default();
    loop {
        let due = due(store.as_ref(), now(), 7).await;
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
            finish(store.as_ref(), item.id).await;
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

/// Rows carry their destination: the consumer leaves out rows in flight and rows of
/// saturated destinations, records a destination it learnt, and reads the backlog per
/// destination with the oldest event's time.
pub async fn due_callbacks_leave_out_rows_in_flight_and_saturated_destinations(subject: &Subject) {
    let store = subject.integration.as_ref();
    let (a, b, c, d) = (
        envelope(31, 1),
        envelope(32, 1),
        envelope(33, 1),
        envelope(34, 1),
    );
    let to = |envelope: &EventEnvelope, destination: Option<&str>| NewCallback {
        envelope: envelope.clone(),
        destination: destination.map(str::to_string),
    };
    let (fast, slow) = ("http://fast:80", "http://slow:80");
    store
        .enqueue_callbacks(
            "t",
            vec![
                to(&a, Some(slow)),
                to(&b, Some(fast)),
                to(&c, Some(slow)),
                to(&d, None),
            ],
            LogPosition::at(4),
            now(),
        )
        .await
        .unwrap();
    let all = due(store, now(), 10).await;
    assert_eq!(ids(&all), [a.event_id, b.event_id, c.event_id, d.event_id]);
    assert_eq!(all[0].destination.as_deref(), Some(slow));
    assert_eq!(all[3].destination, None);
    let filter = DueFilter {
        in_flight: vec![all[1].id],
        saturated: vec![slow.to_string()],
    };
    let due_now = store.due_callbacks(now(), 10, &filter).await.unwrap();
    assert_eq!(
        ids(&due_now),
        [d.event_id],
        "unknown destinations are never left out"
    );

    store
        .settle_callbacks(vec![Settlement::Destination(all[3].id, slow.into())])
        .await
        .unwrap();
    let due_now = store.due_callbacks(now(), 10, &filter).await.unwrap();
    assert!(due_now.is_empty(), "{due_now:?}");

    let mut backlog = store.outbox_backlog().await.unwrap();
    backlog.sort_by(|x, y| x.destination.cmp(&y.destination));
    assert_eq!(
        backlog,
        [
            DestinationBacklog {
                destination: fast.into(),
                depth: 1,
                oldest: Some(now()),
            },
            DestinationBacklog {
                destination: slow.into(),
                depth: 3,
                oldest: Some(now()),
            },
        ]
    );
}
