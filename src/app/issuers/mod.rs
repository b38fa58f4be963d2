//! Issuers managed at runtime (issue 19): the use cases of the management API's `/issuers`
//! routes on the Issuer aggregate ([`Issuers`]): issuers, their credential configurations
//! and their signing keys ([`keys`]); the vault of their private keys ([`vault`]); the
//! index of the issuer ids the log holds ([`index`]). Every change is one command through
//! the [`IssuerRepository`]; reads come from the issuers' own streams.

pub mod index;
pub mod keys;
mod service;
pub mod vault;

use std::sync::Arc;

use issuance_domain::issuer::{Issuer, IssuerError, IssuerId};
use issuance_eventlog::LogPosition;
use tokio::sync::watch;

use crate::app::log_head::LogHead;
use crate::clock::Clock;
use crate::projector::ProjectionProgress;
use crate::store::EventStore;

pub use index::{IssuerIndex, IssuerIndexProjection, ISSUER_INDEX};
pub use keys::{KeyCommandError, KeySource};
pub use service::{Issuers, Publication, PublicationOutcome};
pub use vault::KeyVault;

/// Loads and changes issuers, addressed by their slug.
pub type IssuerRepository = crate::app::repository::Repository<Issuer, IssuerId>;

/// Why an issuer operation failed: the aggregate's typed refusal (`NotFound` for an
/// unknown issuer, whatever the operation), or the store's failure.
pub type IssuerCommandError = crate::app::repository::RepositoryError<IssuerError>;

/// The issuer use cases over `events` (private keys in `vault`), and their index's
/// follower for the node to run.
pub fn start(
    events: Arc<dyn EventStore>,
    vault: KeyVault,
    clock: Arc<dyn Clock>,
    log: LogHead,
) -> (Issuers, IndexFollower) {
    let index = Arc::new(IssuerIndex::default());
    let (progress_tx, progress) = ProjectionProgress::new(LogPosition::START);
    let issuers = Issuers::new(
        IssuerRepository::new(events.clone(), clock.clone()),
        index.clone(),
        progress,
        log,
        vault,
        clock,
    );
    let follower = IndexFollower {
        events,
        index,
        progress: progress_tx,
    };
    (issuers, follower)
}

/// Keeps the [`IssuerIndex`] current: every node runs one (no lease).
pub struct IndexFollower {
    events: Arc<dyn EventStore>,
    index: Arc<IssuerIndex>,
    progress: watch::Sender<LogPosition>,
}

impl IndexFollower {
    /// Reads the whole log, then follows its tail until `shutdown`.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        crate::projector::run(
            self.events,
            Arc::new(IssuerIndexProjection(self.index)),
            self.progress,
            std::time::Duration::from_millis(25),
            shutdown,
        )
        .await;
    }
}
