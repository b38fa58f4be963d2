//! A projector lingering for more events applies what it has at once when a reader waits
//! for it; without a waiter it lingers the whole time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_eventlog::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
use tokio::sync::watch;

use super::{run, Pacing, Projection, ProjectionError, ProjectionProgress};
use crate::store::sqlite::{Durability, SqliteStore};
use crate::store::{EventStore, ExpectedVersion};

/// Remembers how far it got, nothing else.
#[derive(Default)]
struct Counting(AtomicU64);

#[async_trait]
impl Projection for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }

    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError> {
        Ok(LogPosition::at(self.0.load(Ordering::SeqCst)))
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        if let Some(last) = events.last() {
            self.0.store(last.position.commit, Ordering::SeqCst);
        }
        Ok(())
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        self.0.store(0, Ordering::SeqCst);
        Ok(())
    }
}

fn event() -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::new_v4(),
        event_type: "Tick".into(),
        event_version: 1,
        payload: serde_json::json!({}),
        metadata: EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
    }
}

/// Starts a projector lingering an hour after every wake-up; appends one event once it
/// runs idle. Returns the progress, the event's position and the shutdown switch.
async fn lingering_an_hour(
    hurried: bool,
) -> (
    ProjectionProgress,
    LogPosition,
    watch::Sender<bool>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(&dir.path().join("events.db"), Durability::Normal).unwrap());
    let (sender, progress) = ProjectionProgress::new(LogPosition::START);
    let mut pacing = Pacing::lingering(Duration::from_secs(3600));
    if hurried {
        pacing = pacing.hurried_by(&progress);
    }
    let (shutdown, shutdown_rx) = watch::channel(false);
    tokio::spawn(run(
        store.clone(),
        Arc::new(Counting::default()),
        sender,
        pacing,
        shutdown_rx,
    ));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let appended = store
        .append("tick-1", ExpectedVersion::NoStream, vec![event()])
        .await
        .unwrap();
    (progress, appended.last_position, shutdown, dir)
}

#[tokio::test]
async fn a_waiting_reader_ends_the_linger_at_once() {
    let (progress, position, shutdown, _dir) = lingering_an_hour(true).await;
    assert!(
        progress.wait_for(position, Duration::from_secs(10)).await,
        "the projector kept lingering"
    );
    shutdown.send(true).unwrap();
}

#[tokio::test]
async fn without_a_hurry_signal_the_projector_lingers() {
    let (progress, position, shutdown, _dir) = lingering_an_hour(false).await;
    assert!(
        !progress
            .wait_for(position, Duration::from_millis(300))
            .await,
        "the projector applied the event before its linger ended"
    );
    shutdown.send(true).unwrap();
}
