//! Progress of a projection that another node runs.

use std::sync::Arc;
use std::time::Duration;

use issuance_eventlog::LogPosition;
use tokio::sync::watch;

use super::ProjectionProgress;
use crate::readstore::OfferViewStore;
use crate::store::advance;

/// How often a node reads the shared checkpoint while a request waits for the projection.
/// Bounds the extra latency of a read-your-write on a node that does not run the projector.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(20);

/// How often it reads the checkpoint when nobody waits (keeps `/health/ready`'s lag and the
/// metrics current on every node).
const IDLE_FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// Publishes the stored checkpoint of `projection` to `progress` (whose readers `observed`
/// counts) until `shutdown`, so that read-your-write waits work on every node, whichever
/// node holds the projector's lease. Positions only move forward (the local projector
/// publishes to the same channel).
pub async fn follow_checkpoint(
    views: Arc<dyn OfferViewStore>,
    projection: &'static str,
    (progress, observed): (watch::Sender<LogPosition>, ProjectionProgress),
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last_read: Option<tokio::time::Instant> = None;
    loop {
        // One indexed single-row read per interval while someone waits for the projection,
        // else once a second.
        let idle_due = last_read.is_none_or(|at| at.elapsed() >= IDLE_FOLLOW_INTERVAL);
        if observed.has_waiters() || idle_due {
            last_read = Some(tokio::time::Instant::now());
            match views.checkpoint(projection).await {
                Ok(position) => {
                    advance(&progress, position);
                }
                Err(error) => tracing::debug!(%error, projection, "cannot read the checkpoint"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_INTERVAL) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
