//! Issuers managed at runtime (issue 19): the use cases of the management API's `/issuers`
//! routes on the Issuer aggregate ([`Issuers`]): issuers, their credential configurations
//! and their signing keys ([`keys`]); the vault of their private keys ([`vault`]); the
//! [`registry`] of the issuers this node serves, followed from the log. Every change is one
//! command through the [`IssuerRepository`]; reads come from the issuers' own streams.

pub mod keys;
pub mod registry;
mod service;
pub mod vault;

use std::sync::Arc;

use issuance_domain::issuer::{Issuer, IssuerError, IssuerId, IssuerProfile};
use issuance_eventlog::LogPosition;
use tokio::sync::watch;

use crate::app::log_head::LogHead;
use crate::clock::Clock;
use crate::projector::ProjectionProgress;
use crate::store::EventStore;

pub use keys::{KeyCommandError, KeySource};
pub use registry::{IssuerRegistry, IssuerRegistryProjection, ServedIssuer, ISSUER_REGISTRY};
pub use service::{Issuers, Publication, PublicationOutcome};
pub use vault::KeyVault;

/// The id of the issuer the configuration file describes (served at the root identifier;
/// its offers record no issuer id).
pub const DEFAULT_ISSUER: &str = issuance_domain::issuer::DEFAULT_ISSUER_ID;

/// Loads and changes issuers, addressed by their slug.
pub type IssuerRepository = crate::app::repository::Repository<Issuer, IssuerId>;

/// Why an issuer operation failed: the aggregate's typed refusal (`NotFound` for an
/// unknown issuer, whatever the operation), or the store's failure.
pub type IssuerCommandError = crate::app::repository::RepositoryError<IssuerError>;

/// The issuer use cases over `events` (private keys in `vault`), and the follower of
/// their registry for the node to run; `deployment_profile` is the floor of every
/// issuer's served profile.
pub fn start(
    events: Arc<dyn EventStore>,
    vault: KeyVault,
    clock: Arc<dyn Clock>,
    log: LogHead,
    deployment_profile: IssuerProfile,
) -> (Issuers, RegistryFollower) {
    let registry = Arc::new(IssuerRegistry::new(
        vault.clone(),
        clock.clone(),
        deployment_profile,
    ));
    let (progress_tx, progress) = ProjectionProgress::new(LogPosition::START);
    let issuers = Issuers::new(
        IssuerRepository::new(events.clone(), clock.clone()),
        registry.clone(),
        progress,
        log,
        vault,
        clock,
    );
    let follower = RegistryFollower {
        events,
        registry,
        progress: progress_tx,
    };
    (issuers, follower)
}

/// Keeps the [`IssuerRegistry`] current: every node runs one (no lease).
pub struct RegistryFollower {
    events: Arc<dyn EventStore>,
    registry: Arc<IssuerRegistry>,
    progress: watch::Sender<LogPosition>,
}

impl RegistryFollower {
    /// Reads the whole log, then follows its tail until `shutdown`.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        crate::projector::run(
            self.events,
            Arc::new(IssuerRegistryProjection(self.registry)),
            self.progress,
            crate::projector::Pacing::lingering(std::time::Duration::from_millis(25)),
            shutdown,
        )
        .await;
    }
}
