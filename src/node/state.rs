//! What a running node is made of: the stores and services that the APIs and the
//! background tasks are given parts of (tests inspect it through
//! [`crate::node::startup::Application::state`]).

use std::sync::Arc;

use issuance_credential::IssuerKeys;

use crate::app::log_head::LogHead;
use crate::app::offers::{DataKeys, OfferRepository};
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::server_secret::ServerSecret;
use crate::metrics::Metrics;
use crate::projector::ProjectionProgress;
use crate::readstore::{AuditStore, OfferViewStore};
use crate::status::StatusLists;
use crate::store::{EventStore, SecretStore, StoreError};

/// The node's stores and services.
pub struct NodeState {
    /// Settings.
    pub settings: Arc<Settings>,
    /// The event log.
    pub events: Arc<dyn EventStore>,
    /// Data keys and nonces.
    pub secrets: Arc<dyn SecretStore>,
    /// The offer view.
    pub views: Arc<dyn OfferViewStore>,
    /// The audit view.
    pub audit: Arc<dyn AuditStore>,
    /// Offer commands.
    pub offers: OfferRepository,
    /// The offers' data keys.
    pub data_keys: DataKeys,
    /// The issuer's signing keys.
    pub issuer_keys: Arc<IssuerKeys>,
    /// MAC key for derived codes and tokens.
    pub server_secret: ServerSecret,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Progress of the offer view projection.
    pub offer_view_progress: ProjectionProgress,
    /// Progress of the audit view projection.
    pub audit_progress: ProjectionProgress,
    /// Credential status lists.
    pub status_lists: Arc<StatusLists>,
    /// Metrics.
    pub metrics: Metrics,
    /// The log's head.
    pub log: LogHead,
    /// Issuers managed at runtime, as this node serves them.
    pub issuers: crate::app::issuers::Issuers,
}

impl NodeState {
    /// Waits (bounded) until the offer view reflects the whole log as it is now.
    pub async fn await_offer_view_head(&self) -> Result<bool, StoreError> {
        self.log.await_written(&self.offer_view_progress).await
    }
}
