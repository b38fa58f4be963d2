//! The audit store contract: entries read back exactly as written, the head and the
//! checkpoint from one snapshot, the chain-continuation check, exact filters and keyset
//! pages, and a replay through the event store that reproduces the live chain hash for
//! hash.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use issuance::projector::{self, AuditProjection};
use issuance::readstore::{AuditQuery, AuditRecord, AuditStore, ReadStoreError};
use issuance::store::ExpectedVersion;
use issuance_eventlog::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
use issuance_projections::audit::{audit_entry, event_hash, ChainTip, ChainVerifier};
use issuance_projections::AuditEntry;
use serde_json::json;
use uuid::Uuid;

use super::subjects::Subject;

/// The offers the synthetic entries belong to, in turn.
const OFFERS: [u128; 3] = [0xa, 0xb, 0xc];

fn at(n: u64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + n as i64, 123_456_000 + n as u32 * 1000)
        .unwrap()
}

/// `count` entries continuing `from`: offers, types and actors vary with the position,
/// every entry one second after the previous one.
fn chain(from: &ChainTip, count: u64) -> Vec<AuditEntry> {
    let mut tip = from.clone();
    (0..count)
        .map(|_| {
            let n = tip.position + 1;
            let offer = Uuid::from_u128(OFFERS[(n % 3) as usize]);
            let event = RecordedEvent {
                position: LogPosition::at(n * 2),
                stream_id: format!("audit-conformance-{offer}"),
                sequence: n,
                event_id: Uuid::new_v4(),
                event_type: if n % 2 == 0 { "Even" } else { "Odd" }.into(),
                event_version: 1,
                payload: std::sync::Arc::new(json!({"n": n})),
                metadata: EventMetadata {
                    request_id: Some(format!("r-{n}")),
                    holder_key_thumbprint: (n % 4 == 0).then(|| "thumb".into()),
                    actor: if n % 5 == 0 { "system" } else { "admin" }.into(),
                    ..EventMetadata::system(at(n))
                },
            };
            let mut entry = audit_entry(&event, &tip).unwrap();
            // The store keeps what it is given: an offer id lets the filters be tested.
            entry.offer_id = (n % 7 != 0).then_some(offer);
            entry.hash = entry.expected_hash().unwrap();
            tip = ChainTip::of(&entry);
            entry
        })
        .collect()
}

/// The issuer an entry is filed under: the first offer's `acme`, the second's `default`,
/// the third's and entries of no offer none.
fn issuer_of(entry: &AuditEntry) -> Option<&'static str> {
    match entry.offer_id.map(|id| id.as_u128()) {
        Some(id) if id == OFFERS[0] => Some("acme"),
        Some(id) if id == OFFERS[1] => Some("default"),
        _ => None,
    }
}

/// The entries as the projector files them ([`issuer_of`]).
fn records(entries: &[AuditEntry]) -> Vec<AuditRecord> {
    entries
        .iter()
        .map(|entry| AuditRecord {
            entry: entry.clone(),
            issuer_id: issuer_of(entry).map(str::to_string),
        })
        .collect()
}

fn query(limit: usize) -> AuditQuery {
    AuditQuery {
        limit,
        ..Default::default()
    }
}

/// Every entry matching `query`, read in pages of its limit.
async fn all_pages(store: &dyn AuditStore, mut query: AuditQuery) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    loop {
        let page = store.audit_entries(query.clone()).await.unwrap();
        assert!(page.entries.len() <= query.limit);
        entries.extend(page.entries);
        match page.next_cursor {
            Some(cursor) => query.after = cursor.0,
            None => return entries,
        }
    }
}

/// Entries read back field for field, the head and the checkpoint agree, single entries
/// are found by position.
pub async fn entries_read_back_exactly_as_written(subject: &Subject) {
    let store = subject.audit.as_ref();
    let empty = store.audit_head().await.unwrap();
    assert_eq!(empty.tip, ChainTip::genesis());
    assert_eq!(empty.checkpoint, LogPosition::START);
    assert!(empty.consistent());

    let entries = chain(&ChainTip::genesis(), 5);
    store
        .append_audit_entries(records(&entries), LogPosition::at(10))
        .await
        .unwrap();
    let page = store.audit_entries(query(10)).await.unwrap();
    assert_eq!(page.entries, entries);
    assert_eq!(page.next_cursor, None);
    let head = store.audit_head().await.unwrap();
    assert_eq!(head.tip, ChainTip::of(&entries[4]));
    assert_eq!(head.tip_log_position, LogPosition::at(10));
    assert_eq!(head.checkpoint, LogPosition::at(10));
    assert!(head.consistent());
    assert_eq!(
        store.audit_entry(3).await.unwrap().as_ref(),
        Some(&entries[2])
    );
    assert_eq!(store.audit_entry(6).await.unwrap(), None);

    // A batch without entries moves only the checkpoint, and never backwards.
    store
        .append_audit_entries(Vec::new(), LogPosition::at(12))
        .await
        .unwrap();
    store
        .append_audit_entries(Vec::new(), LogPosition::at(11))
        .await
        .unwrap();
    let head = store.audit_head().await.unwrap();
    assert_eq!(head.checkpoint, LogPosition::at(12));
    assert!(!head.consistent(), "the entries end before the checkpoint");
}

/// A fork (entries from an older tip) is refused whole with `Conflict`; the proper
/// continuation is accepted; a reset empties the view and its checkpoint.
pub async fn entries_that_do_not_continue_the_chain_are_refused_whole(subject: &Subject) {
    let store = subject.audit.as_ref();
    let first = chain(&ChainTip::genesis(), 3);
    store
        .append_audit_entries(records(&first), LogPosition::at(6))
        .await
        .unwrap();
    let fork = chain(&ChainTip::of(&first[1]), 2);
    let refused = store
        .append_audit_entries(records(&fork), LogPosition::at(8))
        .await;
    assert!(
        matches!(refused, Err(ReadStoreError::Conflict(_))),
        "{refused:?}"
    );
    // Right position, wrong hash: a fork too.
    let mut forged = chain(&ChainTip::of(&first[2]), 1);
    forged[0].prev_hash = first[1].hash.clone();
    let refused = store
        .append_audit_entries(records(&forged), LogPosition::at(8))
        .await;
    assert!(
        matches!(refused, Err(ReadStoreError::Conflict(_))),
        "{refused:?}"
    );
    let head = store.audit_head().await.unwrap();
    assert_eq!(head.tip, ChainTip::of(&first[2]));
    assert_eq!(head.checkpoint, LogPosition::at(6));
    assert_eq!(all_pages(store, query(100)).await, first);

    let next = chain(&ChainTip::of(&first[2]), 2);
    store
        .append_audit_entries(records(&next), LogPosition::at(10))
        .await
        .unwrap();
    assert_eq!(store.audit_head().await.unwrap().tip.position, 5);
    store.reset_audit().await.unwrap();
    let head = store.audit_head().await.unwrap();
    assert_eq!(head.tip, ChainTip::genesis());
    assert_eq!(head.checkpoint, LogPosition::START);
    assert!(store
        .audit_entries(query(10))
        .await
        .unwrap()
        .entries
        .is_empty());
}

/// Two projectors appending from the same tip at once: exactly one batch lands, the other
/// is a conflict, and the stored chain is the winner's.
pub async fn racing_appends_from_one_tip_have_one_winner(subject: &Subject) {
    let store: Arc<dyn AuditStore> = subject.audit.clone();
    let base = chain(&ChainTip::genesis(), 2);
    store
        .append_audit_entries(records(&base), LogPosition::at(4))
        .await
        .unwrap();
    let candidates: Vec<Vec<AuditEntry>> =
        (0..6).map(|_| chain(&ChainTip::of(&base[1]), 3)).collect();
    let racers: Vec<_> = candidates
        .iter()
        .cloned()
        .map(|entries| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append_audit_entries(records(&entries), LogPosition::at(10))
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for (index, racer) in racers.into_iter().enumerate() {
        match racer.await.unwrap() {
            Ok(()) => winners.push(index),
            Err(ReadStoreError::Conflict(_)) => {}
            Err(other) => panic!("racer {index}: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let mut expected = base;
    expected.extend(candidates[winners[0]].clone());
    assert_eq!(all_pages(store.as_ref(), query(100)).await, expected);
}

/// Each filter alone and combined, `from` inclusive and `to` exclusive, `until` as a bound,
/// and keyset pages of any size that concatenate to the unpaged result.
pub async fn filters_and_pages_are_exact(subject: &Subject) {
    let store = subject.audit.as_ref();
    let entries = chain(&ChainTip::genesis(), 40);
    for batch in entries.chunks(15) {
        store
            .append_audit_entries(records(batch), batch.last().unwrap().log_position)
            .await
            .unwrap();
    }
    let offer = Uuid::from_u128(OFFERS[1]);
    let (from, to) = (entries[9].occurred_at, entries[30].occurred_at);
    type Case = (AuditQuery, Box<dyn Fn(&AuditEntry) -> bool>);
    let cases: Vec<Case> = vec![
        (AuditQuery::default(), Box::new(|_| true)),
        (
            AuditQuery {
                offer_id: Some(offer),
                ..Default::default()
            },
            Box::new(move |e| e.offer_id == Some(offer)),
        ),
        (
            AuditQuery {
                event_type: Some("Even".into()),
                ..Default::default()
            },
            Box::new(|e| e.event_type == "Even"),
        ),
        (
            AuditQuery {
                actor: Some("system".into()),
                ..Default::default()
            },
            Box::new(|e| e.actor == "system"),
        ),
        (
            AuditQuery {
                from: Some(from),
                to: Some(to),
                ..Default::default()
            },
            Box::new(move |e| e.occurred_at >= from && e.occurred_at < to),
        ),
        (
            AuditQuery {
                offer_id: Some(offer),
                event_type: Some("Odd".into()),
                actor: Some("admin".into()),
                from: Some(from),
                until: Some(35),
                ..Default::default()
            },
            Box::new(move |e| {
                e.offer_id == Some(offer)
                    && e.event_type == "Odd"
                    && e.actor == "admin"
                    && e.occurred_at >= from
                    && e.position <= 35
            }),
        ),
        (
            AuditQuery {
                after: 38,
                ..Default::default()
            },
            Box::new(|e| e.position > 38),
        ),
        (
            AuditQuery {
                actor: Some("nobody".into()),
                ..Default::default()
            },
            Box::new(|_| false),
        ),
        (
            AuditQuery {
                issuers: Some(vec!["acme".into()]),
                ..Default::default()
            },
            Box::new(|e| issuer_of(e) == Some("acme")),
        ),
        (
            AuditQuery {
                issuers: Some(vec!["acme".into(), "default".into()]),
                event_type: Some("Odd".into()),
                ..Default::default()
            },
            Box::new(|e| issuer_of(e).is_some() && e.event_type == "Odd"),
        ),
        (
            AuditQuery {
                issuers: Some(Vec::new()),
                ..Default::default()
            },
            Box::new(|_| false),
        ),
    ];
    for (filters, matches) in cases {
        let expected: Vec<AuditEntry> = entries.iter().filter(|e| matches(e)).cloned().collect();
        for limit in [1, 3, 500] {
            let query = AuditQuery {
                limit,
                ..filters.clone()
            };
            assert_eq!(
                all_pages(store, query).await,
                expected,
                "{filters:?} by {limit}"
            );
        }
    }
    // A full page says where the next starts; the last page says nothing more follows.
    let page = store.audit_entries(query(40)).await.unwrap();
    assert_eq!(page.entries.len(), 40);
    assert_eq!(page.next_cursor, None);
    let page = store.audit_entries(query(39)).await.unwrap();
    assert_eq!(page.next_cursor.map(|c| c.0), Some(39));
}

fn rich_event(n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "Observed".into(),
        event_version: 2,
        // Values a JSON store could normalise: key order, floats, big and negative
        // integers, escapes, non-ASCII text, empty containers.
        payload: json!({
            "z": n, "a": {"b": [1.5, -0.25, 1e-7, 12345678901234_i64, -9, null, false]},
            "text": "ünïcødé \"quoted\" \\ \u{1F600} \n tab\t", "empty": {}, "none": [],
            "big": u64::MAX, "small": i64::MIN
        }),
        metadata: EventMetadata {
            issuer_id: None,
            actor: format!("actor-{n}"),
            request_id: Some(format!("req-{n}")),
            occurred_at: Utc
                .timestamp_opt(1_700_000_000 + n as i64, 987_654_000)
                .unwrap(),
            client_ip: Some("192.0.2.1".into()),
            holder_key_thumbprint: (n % 2 == 0).then(|| "thumb".into()),
        },
    }
}

/// Projects until the audit view holds an entry for each of `ids` (a backend may hand out
/// a committed event a moment after the append, see the event store cases).
async fn project_until(subject: &Subject, projection: &AuditProjection, ids: &BTreeSet<Uuid>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        projector::catch_up(subject.events.as_ref(), projection, |_, _| {})
            .await
            .unwrap();
        let seen: BTreeSet<Uuid> = all_pages(subject.audit.as_ref(), query(500))
            .await
            .iter()
            .map(|e| e.event_id)
            .collect();
        if ids.is_subset(&seen) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "events never projected"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The live projection (batch by batch, as events arrive) and a replay from position 0
/// yield the same chain, hash for hash; each entry's `event_hash` is the hash of the event
/// exactly as it was appended, so the store gives back equal JSON values.
pub async fn a_replay_reproduces_the_live_chain_hash_for_hash(subject: &Subject) {
    let projection = AuditProjection::new(subject.audit.clone());
    let stream = format!("audit-replay-{}", Uuid::new_v4().simple());
    let mut appended: Vec<NewEvent> = Vec::new();
    let mut ids = BTreeSet::new();
    for batch in 0..4u64 {
        let events: Vec<NewEvent> = (batch * 5..batch * 5 + 5).map(rich_event).collect();
        let expected = match batch {
            0 => ExpectedVersion::NoStream,
            _ => ExpectedVersion::Exact(batch * 5),
        };
        subject
            .events
            .append(&stream, expected, events.clone())
            .await
            .unwrap();
        ids.extend(events.iter().map(|e| e.event_id));
        appended.extend(events);
        project_until(subject, &projection, &ids).await;
    }
    let live = all_pages(subject.audit.as_ref(), query(500)).await;
    let mut verifier = ChainVerifier::new();
    for entry in &live {
        verifier.check(entry).unwrap();
    }
    for (sequence, event) in appended.iter().enumerate() {
        let entry = live.iter().find(|e| e.event_id == event.event_id).unwrap();
        let original = RecordedEvent {
            position: entry.log_position,
            stream_id: stream.clone(),
            sequence: sequence as u64 + 1,
            event_id: event.event_id,
            event_type: event.event_type.clone(),
            event_version: event.event_version,
            payload: std::sync::Arc::new(event.payload.clone()),
            metadata: event.metadata.clone(),
        };
        assert_eq!(entry.event_hash, event_hash(&original), "event {sequence}");
    }

    subject.audit.reset_audit().await.unwrap();
    project_until(subject, &projection, &ids).await;
    let replayed = all_pages(subject.audit.as_ref(), query(500)).await;
    // On a shared server more events may have arrived since: the live chain is a prefix.
    assert!(replayed.len() >= live.len());
    assert_eq!(replayed[..live.len()], live[..]);
}
