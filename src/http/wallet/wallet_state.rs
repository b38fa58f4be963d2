//! What the wallet API prepares for one issuer: its rendered documents and routes.

use std::sync::Arc;

use issuance_credential::{IssuerKeys, SigningKey, TrustAnchors};
use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::credential_config::Display;

use super::encryption::Encryption;
use super::{metadata, rate_limit, type_metadata};
use crate::config::Settings;
use crate::http::client_addr::TrustedProxies;

/// What the wallet API prepares once per issuer (at start-up for the default issuer, at
/// each change for an issuer managed at runtime): rendered documents, its routes' prefix.
#[derive(Debug)]
pub struct WalletState {
    /// The well-known documents.
    pub documents: metadata::Documents,
    /// SD-JWT VC type metadata documents and every configuration's `vct#integrity`.
    pub type_metadata: type_metadata::TypeMetadata,
    /// Per-client limits of the wallet endpoints (one limiter for every issuer).
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
    /// Who may name the client in forwarding headers.
    pub proxies: TrustedProxies,
    /// The issuer identifier's path (`""` or e.g. `/tenant`): every route lives under it.
    pub path_prefix: String,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// Signs mdocs (`issuerAuth`); present when an mdoc configuration is offered.
    pub document_signer: Option<SigningKey>,
    /// Credential request and response encryption, when offered.
    pub encryption: Option<Arc<Encryption>>,
    /// The wallet and key storage providers' trust anchors (`attestation.trust_anchors`),
    /// when attestations are verified.
    pub trust_anchors: Option<Arc<TrustAnchors>>,
}

/// One issuer as the wallet API presents it.
pub struct Profile<'a> {
    /// The Credential Issuer Identifier, without a trailing slash.
    pub issuer_url: &'a str,
    /// Its display.
    pub display: &'a [Display],
    /// Its configurations.
    pub catalog: &'a CredentialCatalog,
    /// Its keys.
    pub keys: &'a IssuerKeys,
    /// Its mdoc document signer, if it offers mdocs.
    pub document_signer: Option<SigningKey>,
    /// Credential request and response encryption, when offered.
    pub encryption: Option<Arc<Encryption>>,
    /// Attestation trust anchors, when configured.
    pub trust_anchors: Option<Arc<TrustAnchors>>,
}

impl WalletState {
    /// Prepares the wallet API of `profile`, limited by `rate_limiter`.
    pub fn new(
        settings: &Settings,
        profile: Profile,
        rate_limiter: Arc<rate_limit::RateLimiter>,
    ) -> anyhow::Result<WalletState> {
        let issuer_url = profile.issuer_url;
        let documents = metadata::Documents::render(&metadata::Sources {
            issuer_url,
            display: profile.display,
            batch_size: settings.issuer.batch_size,
            catalog: profile.catalog,
            keys: profile.keys,
            authorization: &settings.authorization,
            status_lists: settings.status_lists.enabled,
            encryption: profile.encryption.as_deref().map(Encryption::metadata),
            attestation: &settings.attestation,
        })?;
        let path_prefix = url::Url::parse(issuer_url)?
            .path()
            .trim_end_matches('/')
            .to_string();
        let type_metadata =
            type_metadata::TypeMetadata::render(profile.catalog, issuer_url, &path_prefix)?;
        Ok(WalletState {
            documents,
            type_metadata,
            rate_limiter,
            proxies: TrustedProxies::new(&settings.limits.trusted_proxies),
            path_prefix,
            max_body_bytes: settings.limits.max_body_bytes,
            document_signer: profile.document_signer,
            encryption: profile.encryption,
            trust_anchors: profile.trust_anchors,
        })
    }
}
