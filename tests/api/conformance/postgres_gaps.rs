//! PostgreSQL only: the global log is gap-safe against a transaction that commits late.

use issuance::store::ExpectedVersion;
use issuance_eventlog::LogPosition;
use serde_json::json;
use uuid::Uuid;

use super::subjects;

/// A transaction that took its id first but commits last holds readers back instead of
/// being skipped: while it is open, a later transaction's committed event is not handed
/// out; once it commits, both come out, the early one first.
#[tokio::test(flavor = "multi_thread")]
async fn a_late_committing_transaction_is_never_skipped() {
    let subject = subjects::postgres().await.unwrap();
    let store = subject.events.clone();
    let mut slow = subject.database().unwrap().client().await;

    // The slow writer draws its transaction id and writes, but does not commit yet.
    let slow_tx = slow.transaction().await.unwrap();
    let slow_id = Uuid::new_v4();
    slow_tx
        .batch_execute("INSERT INTO streams (stream_id, version) VALUES ('slow', 1)")
        .await
        .unwrap();
    slow_tx
        .execute(
            "INSERT INTO events (stream_id, sequence, event_id, event_type, event_version, payload, metadata) \
             VALUES ('slow', 1, $1, 'Slow', 1, '{}'::jsonb, $2::jsonb)",
            &[&slow_id, &json!({"actor": "test", "occurred_at": "2026-01-01T00:00:00Z"})],
        )
        .await
        .unwrap();

    // A fast writer commits after it.
    let fast = store
        .append(
            "fast",
            ExpectedVersion::NoStream,
            vec![issuance_eventlog::NewEvent {
                event_id: Uuid::new_v4(),
                event_type: "Fast".into(),
                event_version: 1,
                payload: json!({}),
                metadata: issuance_eventlog::EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
            }],
        )
        .await
        .unwrap();
    assert!(
        store
            .read_all(LogPosition::START, 10)
            .await
            .unwrap()
            .is_empty(),
        "the fast event must wait for the slow transaction"
    );
    assert_eq!(store.head().await.unwrap(), LogPosition::START);

    slow_tx.commit().await.unwrap();
    // Other tests' transactions on the same server may hold readers back a moment longer.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = store.read_all(LogPosition::START, 10).await.unwrap();
        if log.len() == 2 || tokio::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    let streams: Vec<&str> = log.iter().map(|e| e.stream_id.as_str()).collect();
    assert_eq!(streams, vec!["slow", "fast"]);
    assert_eq!(log[0].event_id, slow_id);
    assert_eq!(log[1].position, fast.last_position);
    assert_eq!(store.head().await.unwrap(), fast.last_position);
}
