//! What the wallet API prepares once at start-up.

use issuance_credential::{IssuerKeys, SigningKey};
use issuance_domain::catalog::CredentialCatalog;

use super::{metadata, rate_limit, type_metadata};
use crate::config::Settings;
use crate::http::client_addr::TrustedProxies;

/// What the wallet API prepares once: rendered documents, the rate limiter, its routes.
#[derive(Debug)]
pub struct WalletState {
    /// The well-known documents.
    pub documents: metadata::Documents,
    /// SD-JWT VC type metadata documents and every configuration's `vct#integrity`.
    pub type_metadata: type_metadata::TypeMetadata,
    /// Per-client limits of the wallet endpoints.
    pub rate_limiter: rate_limit::RateLimiter,
    /// Who may name the client in forwarding headers.
    pub proxies: TrustedProxies,
    /// The issuer identifier's path (`""` or e.g. `/tenant`): every route lives under it.
    pub path_prefix: String,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Signs mdocs (`issuerAuth`); present when an mdoc configuration is offered.
    pub document_signer: Option<SigningKey>,
}

impl WalletState {
    /// Prepares the wallet API for `issuer_url` (the identifier, no trailing slash).
    pub fn new(
        settings: &Settings,
        catalog: &CredentialCatalog,
        keys: &IssuerKeys,
        issuer_url: &str,
        document_signer: Option<SigningKey>,
    ) -> anyhow::Result<WalletState> {
        let documents = metadata::Documents::render(&metadata::Sources {
            issuer_url,
            display: &settings.issuer.display,
            batch_size: settings.issuer.batch_size,
            catalog,
            keys,
            authorization: &settings.authorization,
            status_lists: settings.status_lists.enabled,
        })?;
        let path_prefix = url::Url::parse(issuer_url)?
            .path()
            .trim_end_matches('/')
            .to_string();
        let type_metadata = type_metadata::TypeMetadata::render(catalog, issuer_url, &path_prefix)?;
        Ok(WalletState {
            documents,
            type_metadata,
            rate_limiter: rate_limit::RateLimiter::new(&settings.limits.rates),
            proxies: TrustedProxies::new(&settings.limits.trusted_proxies),
            path_prefix,
            max_body_bytes: settings.limits.max_body_bytes,
            document_signer,
        })
    }
}
