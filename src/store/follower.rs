//! Following the global log: one loop for every reader that keeps something current from the
//! log (the projections, the status list registry, the relay to RabbitMQ or the in-process
//! outbox). A [`LogSink`] says where it stopped and takes batches in log order, storing its
//! checkpoint with each; [`follow`] catches up, then waits for this process's appends (and
//! lingers a little, so a burst becomes one batch) or polls for other nodes' appends.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use issuance_eventlog::{LogPosition, RecordedEvent};
use tokio::sync::{watch, Notify};

use super::{EventStore, StoreError};

/// A reader of the log that stores where it stopped.
#[async_trait]
pub trait LogSink: Send {
    /// Why the sink failed.
    type Error: Send;

    /// The error for a failed read of the log.
    fn read_failed(&self, error: StoreError) -> Self::Error;

    /// The position after which the next batch starts.
    async fn checkpoint(&mut self) -> Result<LogPosition, Self::Error>;

    /// Takes `events` (in log order, not empty) and stores the position of the last one as
    /// the checkpoint once they are safe (atomically with its own writes, or after the
    /// broker confirmed them).
    async fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), Self::Error>;

    /// Called between passes: fails when the sink noticed it can no longer take events (a
    /// closed connection), so the follower stops before the next event rather than at it.
    async fn check(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// How a follower paces itself.
#[derive(Debug, Clone)]
pub struct Pace {
    /// How often an idle follower looks for events appended by other processes.
    pub poll: Duration,
    /// After a wake-up, how long to let more appends arrive before reading them.
    pub linger: Duration,
    /// The linger after a pass that applied at least [`BUSY_EVENTS`] events: under load a
    /// longer wait gathers bigger batches (each read-store transaction rewrites the pages of
    /// the offers in flight once however many of their events it applies).
    pub busy_linger: Duration,
    /// Cuts a linger short when notified: a reader waiting for this follower's progress
    /// (a read-your-write) asks for the batch now rather than after the linger.
    pub hurry: Option<Arc<Notify>>,
}

/// A pass that applied at least this many events means the log is busy.
pub const BUSY_EVENTS: usize = 64;

/// Applies everything after the sink's checkpoint, `batch_size` events at a time, reporting
/// each batch's end and size to `on_batch`. Returns the final position.
pub async fn catch_up<S: LogSink + ?Sized>(
    store: &dyn EventStore,
    sink: &mut S,
    batch_size: usize,
    on_batch: &mut (dyn FnMut(LogPosition, usize) + Send),
) -> Result<LogPosition, S::Error> {
    let mut position = sink.checkpoint().await?;
    loop {
        let events = match store.read_all(position, batch_size).await {
            Ok(events) => events,
            Err(error) => return Err(sink.read_failed(error)),
        };
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(position);
        };
        sink.apply(&events).await?;
        position = last;
        on_batch(position, events.len());
    }
}

/// Follows the log until `shutdown`: passes of [`catch_up`], then [`LogSink::check`], then a
/// wait. Returns `Ok` at shutdown and the first error otherwise (the caller retries with
/// back-off, or reconnects).
pub async fn follow<S: LogSink + ?Sized>(
    store: &Arc<dyn EventStore>,
    sink: &mut S,
    batch_size: usize,
    pace: Pace,
    on_batch: &mut (dyn FnMut(LogPosition, usize) + Send),
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), S::Error> {
    let mut appended = store.appended();
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        let mut applied = 0;
        catch_up(store.as_ref(), sink, batch_size, &mut |position, events| {
            applied += events;
            on_batch(position, events);
        })
        .await?;
        sink.check().await?;
        let linger = if applied >= BUSY_EVENTS {
            pace.busy_linger
        } else {
            pace.linger
        };
        tokio::select! {
            _ = appended.changed() => linger_for_more(linger, pace.hurry.as_deref()).await,
            _ = tokio::time::sleep(pace.poll) => {}
            changed = shutdown.changed() => if changed.is_err() { return Ok(()) },
        }
    }
}

/// After a wake-up, lets more appends arrive before reading them: under load one batch then
/// covers many events instead of a handful. Costs at most `linger` of latency, and none
/// once `hurry` is notified (also by a notification that came before the linger began).
pub async fn linger_for_more(linger: Duration, hurry: Option<&Notify>) {
    if linger.is_zero() {
        return;
    }
    match hurry {
        Some(hurry) => {
            tokio::select! {
                _ = tokio::time::sleep(linger) => {}
                _ = hurry.notified() => {}
            }
        }
        None => tokio::time::sleep(linger).await,
    }
}
