//! What each API's handlers get: the wallet listener's [`WalletApi`] (wallet and
//! authorization endpoints) and the management listener's [`ManagementApi`]. Each holds the
//! application services and narrow ports its routes use, never a raw store.

use std::sync::Arc;

use issuance_credential::IssuerKeys;
use issuance_domain::catalog::CredentialCatalog;

use crate::app::issuers::Issuers;
use crate::app::log_head::{LogHead, READ_YOUR_WRITE_TIMEOUT};
use crate::app::nonce_ledger::NonceLedger;
use crate::app::offers::queries::OfferQueries;
use crate::app::offers::{DataKeys, OfferRepository};
use crate::audit::AuditTrail;
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::server_secret::ServerSecret;
use crate::http::authorization::sessions::Authorization;
use crate::http::management::auth::ApiKeys;
use crate::http::wallet::wallet_state::WalletState;
use crate::integration::Integration;
use crate::status::StatusLists;
use crate::store::StoreError;

/// What every API shares: the configuration, the issuer's identity and the offers.
#[derive(Clone)]
pub struct Common {
    /// Settings.
    pub settings: Arc<Settings>,
    /// Credential configurations.
    pub catalog: Arc<CredentialCatalog>,
    /// The Credential Issuer Identifier, without a trailing slash.
    pub issuer_url: String,
    /// The issuer these endpoints serve: `None` for the default issuer (the configuration
    /// file's, at the root identifier), else an issuer managed at runtime.
    pub issuer_id: Option<String>,
    /// MAC key for derived codes and tokens.
    pub server_secret: ServerSecret,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Offer commands.
    pub offers: OfferRepository,
    /// The offers' data keys.
    pub data_keys: DataKeys,
    /// The issuer's signing keys (active key signs; all are published).
    pub issuer_keys: Arc<IssuerKeys>,
    /// Credential status: status lists, index allocation, signed tokens.
    pub status_lists: Arc<StatusLists>,
    /// The authorization-code flow: session commands and wallet clients.
    pub authorization: Authorization,
    /// The log's head (read-your-write waits).
    pub log: LogHead,
    /// Issuers, their credential configurations and keys, as this node serves them.
    pub issuers: Issuers,
}

impl Common {
    /// Waits (bounded) until the status list registry has read every write that completed
    /// before this call (see [`LogHead::written_head`]).
    pub async fn await_status_registry_head(&self) -> Result<bool, StoreError> {
        let head = self.log.written_head().await?;
        Ok(self
            .status_lists
            .registry
            .wait_for(head, READ_YOUR_WRITE_TIMEOUT)
            .await)
    }

    /// This API's issuer as the registry holds it (the default issuer's configuration
    /// versions; a runtime issuer's whole snapshot).
    pub fn served_issuer(&self) -> Option<std::sync::Arc<crate::app::issuers::ServedIssuer>> {
        let id = self.issuer_id.as_deref();
        self.issuers
            .served(id.unwrap_or(crate::app::issuers::DEFAULT_ISSUER))
    }

    /// The Credential Issuer Identifier of `issuer_id` (`None`: the default issuer), from
    /// the default issuer's API (runtime issuers live under its identifier).
    pub fn issuer_url_of(&self, issuer_id: Option<&str>) -> String {
        match issuer_id {
            None => self.issuer_url.clone(),
            Some(id) => format!("{}/{id}", self.issuer_url),
        }
    }

    /// The URL a wallet resolves `offer` from, at its issuer: it carries the offer's
    /// unguessable reference, never the (public) offer id.
    pub fn credential_offer_url(&self, offer: &issuance_domain::offer::OfferCreated) -> String {
        let reference = crate::crypto::codes::offer_reference(&self.server_secret, offer.offer_id);
        let issuer_url = self.issuer_url_of(offer.issuer_id.as_deref());
        format!("{issuer_url}/credential-offers/{reference}")
    }
}

/// The wallet listener's state: the wallet API and the authorization endpoints.
pub struct WalletApi {
    /// What every API shares.
    pub common: Common,
    /// The wallet API's prepared documents and rate limiter.
    pub wallet: Arc<WalletState>,
    /// Spent DPoP proof ids.
    pub nonces: NonceLedger,
}

impl std::ops::Deref for WalletApi {
    type Target = Common;

    fn deref(&self) -> &Common {
        &self.common
    }
}

/// The management listener's state.
pub struct ManagementApi {
    /// What every API shares.
    pub common: Common,
    /// Management API keys.
    pub api_keys: ApiKeys,
    /// Reads of the offer view.
    pub queries: OfferQueries,
    /// The audit trail.
    pub audit: AuditTrail,
    /// Dead letters and the integration side's progress.
    pub integration: Integration,
}

impl std::ops::Deref for ManagementApi {
    type Target = Common;

    fn deref(&self) -> &Common {
        &self.common
    }
}
