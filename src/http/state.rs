//! The state shared by every request handler and background task.

use std::sync::Arc;
use std::time::Duration;

use issuance_credential::IssuerKeys;
use issuance_domain::catalog::CredentialCatalog;
use issuance_eventlog::LogPosition;

use crate::app::offers::OfferRepository;
use crate::clock::Clock;
use crate::component_health::HealthRegistry;
use crate::config::Settings;
use crate::crypto::server_secret::ServerSecret;
use crate::http::management::auth::ApiKeys;
use crate::integration::Integration;
use crate::metrics::Metrics;
use crate::projector::ProjectionProgress;
use crate::readstore::{AuditStore, OfferViewStore};
use crate::store::lease::Leases;
use crate::store::{EventStore, SecretStore};

/// How long a management write waits for its own change to reach the offer view.
pub const READ_YOUR_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Shared application state (behind `web::Data`, i.e. an `Arc`).
pub struct AppState {
    /// Settings.
    pub settings: Arc<Settings>,
    /// Credential configurations.
    pub catalog: Arc<CredentialCatalog>,
    /// The Credential Issuer Identifier, without a trailing slash.
    pub issuer_url: String,
    /// The event log.
    pub events: Arc<dyn EventStore>,
    /// Data keys and nonces.
    pub secrets: Arc<dyn SecretStore>,
    /// The offer view.
    pub views: Arc<dyn OfferViewStore>,
    /// Offer commands.
    pub offers: OfferRepository,
    /// The issuer's signing keys (active key signs; all are published).
    pub issuer_keys: Arc<IssuerKeys>,
    /// MAC key for derived codes and tokens.
    pub server_secret: ServerSecret,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Management API keys.
    pub api_keys: ApiKeys,
    /// Progress of the offer view projection.
    pub offer_view_progress: ProjectionProgress,
    /// The audit view.
    pub audit: Arc<dyn AuditStore>,
    /// Progress of the audit view projection.
    pub audit_progress: ProjectionProgress,
    /// Metrics.
    pub metrics: Metrics,
    /// Component health for `/health/ready`.
    pub health: HealthRegistry,
    /// The wallet API's prepared documents and rate limiter.
    pub wallet: Arc<crate::http::wallet::wallet_state::WalletState>,
    /// The authorization-code flow: session commands and wallet clients.
    pub authorization: crate::http::authorization::sessions::Authorization,
    /// Dead letters and the integration store.
    pub integration: Integration,
    /// The leases this node competes for (singleton tasks of a cluster).
    pub leases: Leases,
    /// Credential status: status lists, index allocation, signed tokens.
    pub status_lists: Arc<crate::status::StatusLists>,
}

impl AppState {
    /// Waits (bounded) until the offer view reflects the whole log as it is now, so a read
    /// sees every write that completed before it began, wherever it was made. Writes do
    /// not wait for the projection; reads, which are rare, do.
    pub async fn await_offer_view_head(&self) -> Result<bool, crate::store::StoreError> {
        let head = self.written_head().await?;
        Ok(self
            .offer_view_progress
            .wait_for(head, READ_YOUR_WRITE_TIMEOUT)
            .await)
    }

    /// The log's head, or this process's own last append if that is newer: on PostgreSQL
    /// the head stops short of a commit while an older transaction is still open.
    pub async fn written_head(&self) -> Result<LogPosition, crate::store::StoreError> {
        let local = *self.events.appended().borrow();
        Ok(self.events.head().await?.max(local))
    }

    /// Waits (bounded) until the status list registry has read every write that completed
    /// before this call (see [`AppState::written_head`]).
    pub async fn await_status_registry_head(&self) -> Result<bool, crate::store::StoreError> {
        let head = self.written_head().await?;
        Ok(self
            .status_lists
            .registry
            .wait_for(head, READ_YOUR_WRITE_TIMEOUT)
            .await)
    }

    /// The URL a wallet resolves the offer from: it carries the offer's unguessable
    /// reference, never the (public) offer id.
    pub fn credential_offer_url(&self, offer_id: uuid::Uuid) -> String {
        let reference = crate::crypto::codes::offer_reference(&self.server_secret, offer_id);
        format!("{}/credential-offers/{reference}", self.issuer_url)
    }
}
