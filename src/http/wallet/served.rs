//! The wallet API of each issuer managed at runtime, served under
//! `{public_url}/{issuer_id}`: built from the issuer's snapshot in the
//! [`IssuerRegistry`](crate::app::issuers::IssuerRegistry) the first time it is asked for,
//! and again whenever the snapshot changes (a new configuration version, a key activated,
//! a key leaving the JWKS), so every node reflects a change as soon as its registry has
//! read it, without a restart.
//!
//! The handlers are the default issuer's: a middleware on the issuer routes puts the
//! issuer's [`WalletApi`] in front of the default one for the request, so every handler
//! reads its issuer's catalogue, keys, identifier, documents and settings. A `haip` issuer
//! (its own profile, or the deployment's) gets the settings of
//! [`Settings::for_issuer`](crate::config::Settings::for_issuer) and required encryption;
//! its catalogue already carries the `{}` key attestation default (see the registry).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, RwLock};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use issuance_domain::credential_config::Display;
use issuance_domain::issuer::IssuerProfile;

use super::encryption::Encryption;
use super::errors::{ErrorCode, WalletError};
use super::rate_limit::RateLimiter;
use super::wallet_state::{Profile, WalletState};
use crate::app::issuers::{Issuers, ServedIssuer, DEFAULT_ISSUER};
use crate::config::EncryptionMode;
use crate::http::state::WalletApi;

/// The path segment that names the issuer in its routes.
pub const ISSUER_SEGMENT: &str = "issuer_id";

struct Built {
    revision: (u64, usize),
    api: web::Data<WalletApi>,
}

/// Every runtime issuer's wallet API, built on demand from the registry.
pub struct ServedWallets {
    issuers: Issuers,
    default: web::Data<WalletApi>,
    rate_limiter: Arc<RateLimiter>,
    built: RwLock<HashMap<String, Built>>,
}

impl ServedWallets {
    /// The wallet APIs of `issuers`, derived from the default issuer's `default` (its
    /// settings, stores and rate limiter are shared).
    pub fn new(issuers: Issuers, default: web::Data<WalletApi>) -> Self {
        ServedWallets {
            rate_limiter: default.wallet.rate_limiter.clone(),
            issuers,
            default,
            built: RwLock::new(HashMap::new()),
        }
    }

    /// Issuer `id`'s wallet API now; `None` for an unknown issuer, the default one (served
    /// at the root), an issuer without an active signing key, and a `haip` one (its own
    /// profile or the deployment's) whose active key has no certificate chain or whose
    /// deployment has no attestation trust anchors.
    pub fn wallet(&self, id: &str) -> Option<web::Data<WalletApi>> {
        if id == DEFAULT_ISSUER {
            return None;
        }
        let served = self.issuers.served(id)?;
        let revision = served.revision(self.default.clock.now());
        if let Some(built) = self.built.read().ok()?.get(id) {
            if built.revision == revision {
                return Some(built.api.clone());
            }
        }
        let api = match self.build(&served) {
            Ok(api) => api?,
            Err(error) => {
                tracing::error!(issuer = id, %error, "cannot prepare the issuer's wallet API");
                return None;
            }
        };
        if let Ok(mut built) = self.built.write() {
            built.insert(
                id.to_string(),
                Built {
                    revision,
                    api: api.clone(),
                },
            );
        }
        Some(api)
    }

    fn build(&self, served: &ServedIssuer) -> anyhow::Result<Option<web::Data<WalletApi>>> {
        let Some(keys) = served.keys.clone() else {
            return Ok(None);
        };
        let default = &self.default;
        let haip = served.profile == IssuerProfile::Haip;
        if let Some(missing) = haip.then(|| haip_lacks(default, &keys)).flatten() {
            tracing::warn!(
                issuer = %served.id,
                "profile haip: {missing}; the issuer's wallet API is not served"
            );
            return Ok(None);
        }
        let settings = default.settings.for_issuer(served.profile);
        let encryption = match haip {
            true => {
                Encryption::new(EncryptionMode::Required, &default.server_secret)?.map(Arc::new)
            }
            false => default.wallet.encryption.clone(),
        };
        let issuer_url = format!("{}/{}", default.issuer_url, served.id);
        let display: Vec<Display> = served
            .state
            .display
            .iter()
            .map(|d| Display {
                name: d.name.clone(),
                locale: d.locale.clone(),
                logo: d.logo.clone(),
                ..Display::default()
            })
            .collect();
        let wallet = WalletState::new(
            &settings,
            Profile {
                issuer_url: &issuer_url,
                display: &display,
                catalog: &served.catalog,
                keys: &keys,
                // mdocs carry no issuer identifier: the deployment's document signer.
                document_signer: default.wallet.document_signer.clone(),
                encryption,
                trust_anchors: default.wallet.trust_anchors.clone(),
            },
            self.rate_limiter.clone(),
        )?;
        let mut common = default.common.clone();
        common.settings = Arc::new(settings);
        common.catalog = served.catalog.clone();
        common.issuer_keys = keys;
        common.issuer_url = issuer_url;
        common.issuer_id = Some(served.id.to_string());
        Ok(Some(web::Data::new(WalletApi {
            common,
            wallet: Arc::new(wallet),
            nonces: default.nonces.clone(),
        })))
    }
}

/// What a `haip` issuer needs and lacks, if anything: HAIP §6.1 puts the issuer's `x5c`
/// in every credential (the deployment's own key must have a chain to start, a runtime
/// issuer's active key to be served), and wallet attestations need trust anchors.
fn haip_lacks(default: &WalletApi, keys: &issuance_credential::IssuerKeys) -> Option<&'static str> {
    if keys.active().x5c().is_none() {
        return Some("the issuer's active signing key has no certificate chain (x5c)");
    }
    if default.wallet.trust_anchors.is_none() {
        return Some("the deployment has no attestation.trust_anchors");
    }
    None
}

thread_local! {
    /// Per worker thread, each issuer's data container as last built: the request path
    /// reuses it (an `Rc`, so it cannot live in the shared map) until the issuer's
    /// `WalletApi` is replaced.
    static CONTAINERS: RefCell<HashMap<String, (usize, Rc<Extensions>)>> =
        RefCell::new(HashMap::new());
}

/// The data container holding `api`, reused while `api` is the issuer's current one.
fn container_of(api: web::Data<WalletApi>) -> Rc<Extensions> {
    let identity = &**api as *const WalletApi as usize;
    CONTAINERS.with(|containers| {
        let mut containers = containers.borrow_mut();
        let id = api.issuer_id.as_deref().unwrap_or_default();
        if let Some((built_for, container)) = containers.get(id) {
            if *built_for == identity {
                return container.clone();
            }
        }
        let id = id.to_string();
        let mut data = Extensions::new();
        data.insert(api);
        let container = Rc::new(data);
        containers.insert(id, (identity, container.clone()));
        container
    })
}

/// Middleware of the issuer routes: the issuer named by the path serves the request (404
/// `not_found` for an unknown issuer, or one not ready to issue).
pub async fn middleware<B: MessageBody + 'static>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let api = request
        .app_data::<web::Data<ServedWallets>>()
        .zip(request.match_info().get(ISSUER_SEGMENT))
        .and_then(|(served, id)| served.wallet(id));
    let Some(api) = api else {
        let response = WalletError::new(ErrorCode::NotFound, "no such endpoint").error_response();
        return Ok(request.into_response(response).map_into_right_body());
    };
    request.add_data_container(container_of(api));
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}
