//! Append throughput of the PostgreSQL event store under concurrency (ignored by default:
//! `cargo test --release --test api throughput -- --ignored --nocapture`). On the 2-core
//! development machine, with PostgreSQL on the same host and other builds running, a
//! release build measured 11,500–14,500 single-event appends/s.

use std::time::Instant;

use issuance::store::{EventStore, ExpectedVersion};
use issuance_eventlog::{EventMetadata, NewEvent};
use serde_json::json;
use uuid::Uuid;

use crate::support::TestDatabase;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a check"]
async fn postgres_append_throughput() {
    let database = TestDatabase::new();
    let target = issuance::store::pg::PgTarget::parse(&database.url()).unwrap();
    let store = std::sync::Arc::new(
        issuance::store::postgres::PgEventStore::open(&target, target.pool().unwrap())
            .await
            .unwrap(),
    );
    const TASKS: usize = 64;
    const APPENDS: u64 = 100;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let stream = format!("offer-{}", Uuid::new_v4());
            for version in 0..APPENDS {
                let event = NewEvent {
                    event_id: Uuid::new_v4(),
                    event_type: "Measured".into(),
                    event_version: 1,
                    payload: json!({"version": version, "padding": "x".repeat(400)}),
                    metadata: EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
                };
                store
                    .append(&stream, ExpectedVersion::from_version(version), vec![event])
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let appends = TASKS as f64 * APPENDS as f64;
    println!(
        "{appends} appends by {TASKS} writers in {:.2}s: {:.0} appends/s",
        elapsed.as_secs_f64(),
        appends / elapsed.as_secs_f64()
    );
}
