//! The default issuer's wallet API, prepared at start-up from the configuration file: its
//! documents, mdoc document signer, encryption and attestation trust anchors.

use std::sync::Arc;

use anyhow::Context;
use issuance_credential::IssuerKeys;
use issuance_domain::catalog::CredentialCatalog;

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::document_signer;
use crate::crypto::server_secret::ServerSecret;
use crate::http::wallet;
use crate::node::bootstrap_keys::trust_anchors;

/// The default issuer's [`wallet::WalletState`] at `issuer_url` (no trailing slash).
pub fn prepare(
    settings: &Settings,
    catalog: &CredentialCatalog,
    keys: &IssuerKeys,
    (issuer_url, server_secret): (&str, &ServerSecret),
    clock: &dyn Clock,
) -> anyhow::Result<Arc<wallet::WalletState>> {
    let document_signer = document_signer::load(
        settings,
        catalog.has_mdoc(),
        issuer_url,
        clock.now().timestamp(),
    )?;
    let encryption =
        wallet::encryption::Encryption::new(settings.issuer.encryption_mode(), server_secret)?;
    let state = wallet::WalletState::new(
        settings,
        wallet::wallet_state::Profile {
            issuer_url,
            display: &settings.issuer.display,
            catalog,
            keys,
            document_signer,
            encryption: encryption.map(Arc::new),
            trust_anchors: trust_anchors(settings)?,
        },
        Arc::new(wallet::rate_limit::RateLimiter::new(&settings.limits.rates)),
    )
    .context("cannot prepare the wallet API")?;
    Ok(Arc::new(state))
}
