//! Projectors as the node runs them: each under its lease.

use crate::store::lease::{run_with_lease, Leases};

/// Spawns a projector under its lease.
pub fn spawn_projector(
    leases: &Leases,
    name: &'static str,
    events: std::sync::Arc<dyn crate::store::EventStore>,
    projection: std::sync::Arc<dyn crate::projector::Projection>,
    progress: tokio::sync::watch::Sender<issuance_eventlog::LogPosition>,
    pacing: crate::projector::Pacing,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run_with_lease(
        leases.clone(),
        name,
        shutdown.clone(),
        move |shutdown| {
            crate::projector::run(
                events.clone(),
                projection.clone(),
                progress.clone(),
                pacing.clone(),
                shutdown,
            )
        },
    ))
}

/// Follows the stored checkpoints of `followed` projections (name, progress publisher, its
/// readers), for read-your-write waits on a node whose projectors may run elsewhere.
pub fn follow_checkpoints(
    views: &std::sync::Arc<dyn crate::readstore::OfferViewStore>,
    followed: impl IntoIterator<
        Item = (
            &'static str,
            tokio::sync::watch::Sender<issuance_eventlog::LogPosition>,
            crate::projector::ProjectionProgress,
        ),
    >,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    followed
        .into_iter()
        .map(|(name, publisher, progress)| {
            tokio::spawn(crate::projector::follow_checkpoint(
                views.clone(),
                name,
                (publisher, progress),
                shutdown.clone(),
            ))
        })
        .collect()
}
