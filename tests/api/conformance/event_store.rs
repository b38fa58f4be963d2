//! The event store contract.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use issuance::store::{
    DataKey, EventStore, ExpectedVersion, KeyChange, NonceUse, SideEffects, StoreError,
};
use issuance_eventlog::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
use serde_json::json;
use uuid::Uuid;

use super::subjects::Subject;

/// A stream name no other test uses.
fn fresh_stream(tag: &str) -> String {
    format!("conf{tag}-{}", Uuid::new_v4().simple())
}

fn event(n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: if n % 2 == 0 { "Even" } else { "Odd" }.into(),
        event_version: 1 + (n % 3) as u32,
        payload: json!({"n": n, "nested": {"text": "ünïcødé ✓", "list": [1, 2.5, null, true]}}),
        metadata: EventMetadata {
            issuer_id: None,
            actor: format!("actor-{n}"),
            request_id: Some(format!("req-{n}")),
            occurred_at: Utc
                .timestamp_opt(1_700_000_000 + n as i64, 123_456_000)
                .unwrap(),
            client_ip: None,
            holder_key_thumbprint: (n % 2 == 0).then(|| "thumb".to_string()),
        },
    }
}

fn events(from: u64, count: u64) -> Vec<NewEvent> {
    (from..from + count).map(event).collect()
}

/// The events of `streams` in the global log after `from`, read in pages of `page`, as a
/// catch-up reader sees them: it keeps reading until `expected` events arrived (or ten
/// seconds passed). A backend may hand out a committed event only once no older
/// transaction can still commit before it (PostgreSQL does), so visibility may lag a
/// moment behind the append — what it must never do is skip or repeat one.
async fn log_of(
    store: &dyn EventStore,
    from: LogPosition,
    page: usize,
    streams: &BTreeSet<String>,
    expected: usize,
) -> Vec<RecordedEvent> {
    let mut seen = Vec::new();
    let mut after = from;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let batch = store.read_all(after, page).await.unwrap();
        assert!(batch.len() <= page, "read_all returned more than its limit");
        let Some(last) = batch.last() else {
            if seen.len() >= expected || tokio::time::Instant::now() > deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        assert!(last.position > after, "read_all did not move forward");
        after = last.position;
        seen.extend(batch.into_iter().filter(|e| streams.contains(&e.stream_id)));
    }
}

/// Waits until the head reaches `position`.
async fn head_reaches(store: &dyn EventStore, position: LogPosition) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if store.head().await.unwrap() >= position {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// One writer per stream, all at once, each appending `appends` single events in turn.
async fn write_concurrently(subject: &Subject, streams: &[String], appends: u64) {
    let mut writers = Vec::new();
    for stream in streams {
        let store = subject.events.clone();
        let stream = stream.clone();
        writers.push(tokio::spawn(async move {
            for version in 0..appends {
                store
                    .append(
                        &stream,
                        ExpectedVersion::from_version(version),
                        vec![event(version)],
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
}

fn assert_same(recorded: &RecordedEvent, written: &NewEvent, stream: &str, sequence: u64) {
    assert_eq!(recorded.stream_id, stream);
    assert_eq!(recorded.sequence, sequence);
    assert_eq!(recorded.event_id, written.event_id);
    assert_eq!(recorded.event_type, written.event_type);
    assert_eq!(recorded.event_version, written.event_version);
    assert_eq!(*recorded.payload, written.payload);
    assert_eq!(recorded.metadata, written.metadata);
}

fn is_conflict(result: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict { .. }))
}

/// An append is read back exactly: ids, types, versions, payloads, metadata, sequences,
/// and the outcome names the version and the position of its last event.
pub async fn append_then_read_back_round_trips_everything(subject: &Subject) {
    let store = subject.events.as_ref();
    let stream = fresh_stream("a");
    let written = events(0, 3);
    let outcome = store
        .append(&stream, ExpectedVersion::NoStream, written.clone())
        .await
        .unwrap();
    assert_eq!(outcome.new_version, 3);

    let read = store.read_stream(&stream).await.unwrap();
    assert_eq!(read.len(), 3);
    for (i, (recorded, original)) in read.iter().zip(&written).enumerate() {
        assert_same(recorded, original, &stream, i as u64 + 1);
    }
    assert!(read.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(outcome.last_position, read[2].position);
    assert!(head_reaches(store, outcome.last_position).await);

    // Parts of the stream: after a sequence, and between two.
    let sequences =
        |events: Vec<RecordedEvent>| -> Vec<u64> { events.iter().map(|e| e.sequence).collect() };
    let after = store.read_stream_after(&stream, 1).await.unwrap();
    assert_eq!(sequences(after), [2, 3]);
    let range = store.read_stream_range(&stream, 0, 2).await.unwrap();
    assert_eq!(range[..], read[..2]);
    let range = store.read_stream_range(&stream, 1, 2).await.unwrap();
    assert_eq!(sequences(range), [2]);
    assert!(store
        .read_stream_range(&stream, 3, 9)
        .await
        .unwrap()
        .is_empty());
}

/// A stream that was never written reads as empty, not as an error.
pub async fn a_missing_stream_reads_as_empty(subject: &Subject) {
    let events = subject
        .events
        .read_stream(&fresh_stream("m"))
        .await
        .unwrap();
    assert!(events.is_empty());
}

/// Every stale or impossible expectation is a conflict that writes nothing.
pub async fn conflicting_appends_are_rejected_and_write_nothing(subject: &Subject) {
    let store = subject.events.as_ref();
    let stream = fresh_stream("c");
    store
        .append(&stream, ExpectedVersion::NoStream, events(0, 2))
        .await
        .unwrap();

    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Exact(1),
        ExpectedVersion::Exact(3),
    ] {
        match store.append(&stream, expected, events(10, 2)).await {
            Err(StoreError::Conflict {
                stream_id,
                expected: e,
                actual,
            }) => {
                assert_eq!(stream_id, stream);
                assert_eq!(e, expected.version());
                assert_eq!(actual, 2);
            }
            other => panic!("expected a conflict for {expected:?}, got {other:?}"),
        }
    }
    let missing = fresh_stream("c");
    let result = store
        .append(&missing, ExpectedVersion::Exact(1), events(20, 1))
        .await;
    assert!(matches!(
        result,
        Err(StoreError::Conflict { actual: 0, .. })
    ));
    // Appending nothing checks the expectation only.
    assert!(is_conflict(
        &store
            .append(&stream, ExpectedVersion::Exact(1), Vec::new())
            .await
    ));
    assert_eq!(
        store
            .append(&stream, ExpectedVersion::Exact(2), Vec::new())
            .await
            .unwrap()
            .new_version,
        2
    );

    assert_eq!(store.read_stream(&stream).await.unwrap().len(), 2);
    assert!(store.read_stream(&missing).await.unwrap().is_empty());
    let outcome = store
        .append(&stream, ExpectedVersion::Exact(2), events(30, 1))
        .await
        .unwrap();
    assert_eq!(outcome.new_version, 3);
    let sequences: Vec<u64> = store
        .read_stream(&stream)
        .await
        .unwrap()
        .iter()
        .map(|e| e.sequence)
        .collect();
    assert_eq!(sequences, vec![1, 2, 3]);
}

/// The global log interleaves streams in commit order and resumes after any position.
pub async fn the_global_log_is_read_from_a_position_in_order(subject: &Subject) {
    let store = subject.events.as_ref();
    let start = store.head().await.unwrap();
    let (a, b) = (fresh_stream("ga"), fresh_stream("gb"));
    let a1 = event(1);
    let b1 = event(2);
    let a2 = event(3);
    store
        .append(&a, ExpectedVersion::NoStream, vec![a1.clone()])
        .await
        .unwrap();
    store
        .append(&b, ExpectedVersion::NoStream, vec![b1.clone()])
        .await
        .unwrap();
    let last = store
        .append(&a, ExpectedVersion::Exact(1), vec![a2.clone()])
        .await
        .unwrap();
    let ours: BTreeSet<String> = [a.clone(), b.clone()].into();

    let log = log_of(store, start, 100, &ours, 3).await;
    let ids: Vec<Uuid> = log.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, vec![a1.event_id, b1.event_id, a2.event_id]);
    assert!(log.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(log[2].position, last.last_position);

    let after_b1 = log_of(store, log[1].position, 100, &ours, 1).await;
    assert_eq!(
        after_b1.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        vec![a2.event_id]
    );
    assert!(log_of(store, log[2].position, 100, &ours, 0)
        .await
        .is_empty());
    assert_eq!(store.read_all(start, 1).await.unwrap().len(), 1);
    assert!(head_reaches(store, last.last_position).await);
}

/// A stream of thousands of events, written in batches, reads back whole and in order,
/// through `read_stream` and through small pages of the global log.
pub async fn a_large_stream_reads_back_completely(subject: &Subject) {
    let store = subject.events.as_ref();
    let start = store.head().await.unwrap();
    let stream = fresh_stream("l");
    let mut written = Vec::new();
    for batch in 0..20 {
        let chunk = events(batch * 100, 100);
        store
            .append(
                &stream,
                ExpectedVersion::from_version(batch * 100),
                chunk.clone(),
            )
            .await
            .unwrap();
        written.extend(chunk);
    }
    let read = store.read_stream(&stream).await.unwrap();
    assert_eq!(read.len(), 2000);
    for (i, (recorded, original)) in read.iter().zip(&written).enumerate() {
        assert_same(recorded, original, &stream, i as u64 + 1);
    }
    let log = log_of(store, start, 333, &[stream.clone()].into(), 2000).await;
    assert_eq!(
        log.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        written.iter().map(|e| e.event_id).collect::<Vec<_>>()
    );
}

/// Many writers on many streams at once: every append lands, once, in stream order.
pub async fn concurrent_appends_to_many_streams_all_land(subject: &Subject) {
    let start = subject.events.head().await.unwrap();
    let streams: Vec<String> = (0..40).map(|_| fresh_stream("p")).collect();
    write_concurrently(subject, &streams, 10).await;
    let ours: BTreeSet<String> = streams.iter().cloned().collect();
    let log = log_of(subject.events.as_ref(), start, 64, &ours, 400).await;
    assert_eq!(log.len(), 400);
    let ids: BTreeSet<Uuid> = log.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), 400, "an event appeared twice");
    let mut per_stream: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for e in &log {
        per_stream.entry(&e.stream_id).or_default().push(e.sequence);
    }
    for sequences in per_stream.values() {
        assert_eq!(sequences, &(1..=10).collect::<Vec<u64>>());
    }
}

/// Of many appends racing on one expectation, exactly one wins; the others conflict.
pub async fn exactly_one_of_racing_appends_wins(subject: &Subject) {
    let stream = fresh_stream("r");
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Exact(1)] {
        let mut racers = Vec::new();
        for n in 0..16 {
            let store = subject.events.clone();
            let stream = stream.clone();
            racers.push(tokio::spawn(async move {
                store.append(&stream, expected, vec![event(n)]).await
            }));
        }
        let mut wins = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(outcome) => {
                    wins += 1;
                    assert_eq!(outcome.new_version, expected.version() + 1);
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => panic!("unexpected error {other}"),
            }
        }
        assert_eq!(wins, 1, "racing on {expected:?}");
    }
    assert_eq!(subject.events.read_stream(&stream).await.unwrap().len(), 2);
}

/// Appends that lose a race do not take the appends committed beside them down with them:
/// with group commit a conflict and its neighbours often share one batch (on PostgreSQL the
/// batch's one-flight attempt is rolled back and committed again step by step).
pub async fn a_conflict_does_not_fail_its_neighbours(subject: &Subject) {
    let contested = fresh_stream("c");
    let mut appends = Vec::new();
    for n in 0..24u64 {
        let store = subject.events.clone();
        let (stream, racing) = match n % 3 {
            0 => (contested.clone(), true),
            _ => (fresh_stream("c"), false),
        };
        appends.push(tokio::spawn(async move {
            let outcome = store
                .append(
                    &stream,
                    ExpectedVersion::NoStream,
                    vec![event(n), event(n + 1)],
                )
                .await;
            (stream, racing, outcome)
        }));
    }
    let (mut contested_wins, mut neighbours) = (0, 0);
    for append in appends {
        let (stream, racing, outcome) = append.await.unwrap();
        match (racing, outcome) {
            (true, Ok(_)) => contested_wins += 1,
            (true, Err(StoreError::Conflict { .. })) => {}
            (false, Ok(outcome)) => {
                assert_eq!(outcome.new_version, 2);
                assert_eq!(subject.events.read_stream(&stream).await.unwrap().len(), 2);
                neighbours += 1;
            }
            (_, Err(other)) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!((contested_wins, neighbours), (1, 16));
    assert_eq!(
        subject.events.read_stream(&contested).await.unwrap().len(),
        2
    );
}

/// A reader tailing the global log in small pages while many writers commit concurrently
/// sees every event exactly once: no event committed late is skipped.
pub async fn a_tailing_reader_sees_every_event_exactly_once(subject: &Subject) {
    const WRITERS: usize = 8;
    const APPENDS: u64 = 25;
    let start = subject.events.head().await.unwrap();
    let streams: Vec<String> = (0..WRITERS).map(|_| fresh_stream("t")).collect();
    let ours: Arc<BTreeSet<String>> = Arc::new(streams.iter().cloned().collect());
    let total = WRITERS * APPENDS as usize;

    let reader = {
        let store = subject.events.clone();
        let ours = ours.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut after = start;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while seen.len() < total && tokio::time::Instant::now() < deadline {
                let batch = store.read_all(after, 7).await.unwrap();
                match batch.last() {
                    Some(last) => after = last.position,
                    None => tokio::time::sleep(Duration::from_millis(2)).await,
                }
                seen.extend(batch.into_iter().filter(|e| ours.contains(&e.stream_id)));
            }
            seen
        })
    };
    write_concurrently(subject, &streams, APPENDS).await;
    let seen = reader.await.unwrap();
    let ids: BTreeSet<Uuid> = seen.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), seen.len(), "the reader saw an event twice");
    assert_eq!(seen.len(), total, "the reader missed events");
    let mut last_sequence: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &seen {
        let previous = last_sequence.insert(&e.stream_id, e.sequence).unwrap_or(0);
        assert_eq!(e.sequence, previous + 1, "stream order broken in the log");
    }
}

/// Appends through this process move the `appended` watch to their position.
pub async fn appends_wake_the_appended_watch(subject: &Subject) {
    let mut appended = subject.events.appended();
    appended.borrow_and_update();
    let outcome = subject
        .events
        .append(&fresh_stream("w"), ExpectedVersion::NoStream, events(0, 2))
        .await
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        appended.wait_for(|p| *p >= outcome.last_position),
    )
    .await
    .expect("the watch moved")
    .unwrap();
}

/// On stores that consume nonces with appends: the nonces and the events are written
/// together or not at all. A used nonce fails the append and writes nothing (nor its other
/// nonces); a conflict leaves the nonces unused; of racing appends with one nonce, on
/// different streams, exactly one lands.
pub async fn nonces_consumed_with_an_append_are_all_or_nothing(subject: &Subject) {
    let (store, secrets) = (subject.events.as_ref(), subject.secrets.as_ref());
    let expires_at = Utc.timestamp_opt(1_900_000_000, 0).unwrap();
    let nonce = || NonceUse {
        hash: rand::random(),
        expires_at,
    };
    let stream = fresh_stream("n");
    if store.backend() == "esdb" {
        // A log beside a separate secret store keeps a documented order instead of one
        // transaction (unit tests of `store::separate_secrets`).
        return;
    }
    let (first, second, third) = (nonce(), nonce(), nonce());

    let outcome = store
        .append_with(
            &stream,
            ExpectedVersion::NoStream,
            events(0, 2),
            SideEffects::consuming(vec![first]),
        )
        .await
        .unwrap();
    assert_eq!(outcome.new_version, 2);
    assert!(
        !secrets.consume_nonce(first.hash, expires_at).await.unwrap(),
        "the nonce is in the ledger"
    );

    // A used nonce among fresh ones: nothing is written, the fresh one stays unused.
    let reused = store
        .append_with(
            &stream,
            ExpectedVersion::Exact(2),
            events(2, 1),
            SideEffects::consuming(vec![second, first]),
        )
        .await;
    assert!(matches!(reused, Err(StoreError::NonceReused)), "{reused:?}");
    assert_eq!(store.read_stream(&stream).await.unwrap().len(), 2);

    // A conflict leaves the nonces unused.
    let conflict = store
        .append_with(
            &stream,
            ExpectedVersion::Exact(1),
            events(2, 1),
            SideEffects::consuming(vec![second, third]),
        )
        .await;
    assert!(is_conflict(&conflict), "{conflict:?}");
    assert!(secrets
        .consume_nonce(second.hash, expires_at)
        .await
        .unwrap());
    assert!(secrets.consume_nonce(third.hash, expires_at).await.unwrap());
    assert_eq!(store.read_stream(&stream).await.unwrap().len(), 2);

    // An append of no events still checks its expectation and spends its nonces.
    let fourth = nonce();
    let stale = store
        .append_with(
            &stream,
            ExpectedVersion::Exact(1),
            Vec::new(),
            SideEffects::consuming(vec![fourth]),
        )
        .await;
    assert!(is_conflict(&stale), "{stale:?}");
    let empty = store
        .append_with(
            &stream,
            ExpectedVersion::Exact(2),
            Vec::new(),
            SideEffects::consuming(vec![fourth]),
        )
        .await
        .unwrap();
    assert_eq!(empty.new_version, 2);
    let again = store
        .append_with(
            &stream,
            ExpectedVersion::Exact(2),
            Vec::new(),
            SideEffects::consuming(vec![fourth]),
        )
        .await;
    assert!(matches!(again, Err(StoreError::NonceReused)), "{again:?}");
    assert_eq!(store.read_stream(&stream).await.unwrap().len(), 2);

    // Racing appends to different streams with one nonce: one lands.
    let shared = nonce();
    let mut racers = Vec::new();
    for n in 0..16 {
        let store = subject.events.clone();
        let stream = fresh_stream("n");
        racers.push(tokio::spawn(async move {
            let result = store
                .append_with(
                    &stream,
                    ExpectedVersion::NoStream,
                    vec![event(n)],
                    SideEffects::consuming(vec![shared]),
                )
                .await;
            let written = store.read_stream(&stream).await.unwrap().len();
            (result, written)
        }));
    }
    let mut wins = 0;
    for racer in racers {
        match racer.await.unwrap() {
            (Ok(_), 1) => wins += 1,
            (Err(StoreError::NonceReused), 0) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(wins, 1);
}

/// On stores that change data keys with appends: the events are written exactly when the
/// key is stored or destroyed. A conflict writes nothing and changes no key; storing a key
/// over an existing one fails whole; destroying an absent key is no error.
pub async fn a_key_changed_with_an_append_goes_with_its_events(subject: &Subject) {
    let (store, secrets) = (subject.events.as_ref(), subject.secrets.as_ref());
    let offer = Uuid::new_v4();
    let key = DataKey(rand::random());
    let stream = fresh_stream("k");
    if store.backend() == "esdb" {
        // A log beside a separate secret store keeps a documented order instead of one
        // transaction (unit tests of `store::separate_secrets`).
        return;
    }
    let insert = |expected, from| {
        store.append_with(
            &stream,
            expected,
            events(from, 1),
            SideEffects::changing_key(offer, KeyChange::Insert(key.clone())),
        )
    };
    let destroy = |expected, from| {
        store.append_with(
            &stream,
            expected,
            events(from, 1),
            SideEffects::changing_key(offer, KeyChange::Destroy),
        )
    };

    // Stored with the stream's first event.
    insert(ExpectedVersion::NoStream, 0).await.unwrap();
    assert_eq!(secrets.data_key(offer).await.unwrap(), Some(key.clone()));

    // A second key for the offer: nothing written, the first key kept.
    let twice = store
        .append_with(
            &stream,
            ExpectedVersion::Exact(1),
            events(1, 1),
            SideEffects::changing_key(offer, KeyChange::Insert(DataKey(rand::random()))),
        )
        .await;
    assert!(twice.is_err(), "{twice:?}");
    assert_eq!(store.read_stream(&stream).await.unwrap().len(), 1);
    assert_eq!(secrets.data_key(offer).await.unwrap(), Some(key.clone()));

    // A conflict: nothing written, the key kept.
    let conflict = destroy(ExpectedVersion::NoStream, 1).await;
    assert!(is_conflict(&conflict), "{conflict:?}");
    assert_eq!(store.read_stream(&stream).await.unwrap().len(), 1);
    assert_eq!(secrets.data_key(offer).await.unwrap(), Some(key.clone()));

    // Success: the events and the destruction together.
    let outcome = destroy(ExpectedVersion::Exact(1), 1).await.unwrap();
    assert_eq!(outcome.new_version, 2);
    assert_eq!(secrets.data_key(offer).await.unwrap(), None);
    assert!(
        !secrets.destroy_data_key(offer).await.unwrap(),
        "the key is gone for good"
    );

    // The key already gone: still appends.
    let outcome = destroy(ExpectedVersion::Exact(2), 2).await.unwrap();
    assert_eq!(outcome.new_version, 3);

    // A conflicting creation stores no key.
    let other = Uuid::new_v4();
    let taken = store
        .append_with(
            &stream,
            ExpectedVersion::NoStream,
            events(3, 1),
            SideEffects::changing_key(other, KeyChange::Insert(key)),
        )
        .await;
    assert!(is_conflict(&taken), "{taken:?}");
    assert_eq!(secrets.data_key(other).await.unwrap(), None);
}
