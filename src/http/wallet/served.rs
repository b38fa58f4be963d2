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
use std::time::{Duration, Instant};

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
use crate::http::route_label::{self, RouteLabel};
use crate::http::state::WalletApi;
use issuance_domain::issuer::decide::RESERVED_IDS;

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
    /// The default issuer's wallet state, whose path prefix, trusted proxies and rate
    /// limiter every issuer's shares.
    pub fn root(&self) -> &WalletState {
        &self.default.wallet
    }

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
        common.settings = settings;
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

/// How long a worker thread serves an issuer from its cached container without asking
/// the registry, while no snapshot changed: a retired key leaves the JWKS by time alone,
/// so the revision is re-read at least this often.
const RECHECK: Duration = Duration::from_millis(250);

/// One issuer's data container as a worker thread last built it.
struct Cached {
    /// The registry generation read before the container's `WalletApi` was looked up.
    generation: u64,
    /// When the `WalletApi` was last looked up.
    checked: Instant,
    /// The `WalletApi` the container holds (its address).
    identity: usize,
    container: Rc<Extensions>,
}

thread_local! {
    /// Per worker thread, each issuer's data container: the request path reuses it (an
    /// `Rc`, so it cannot live in the shared map) while the registry's generation is the
    /// same, looking nothing else up; after a change, or [`RECHECK`], it asks
    /// [`ServedWallets::wallet`] and rebuilds the container only if the `WalletApi` changed.
    static CONTAINERS: RefCell<HashMap<String, Cached>> = RefCell::new(HashMap::new());
}

/// The data container of issuer `id`'s wallet API; `None` when it is not served.
fn container(served: &ServedWallets, id: &str) -> Option<Rc<Extensions>> {
    let generation = served.issuers.generation();
    let now = Instant::now();
    let hit = CONTAINERS.with(|containers| {
        containers
            .borrow()
            .get(id)
            .filter(|c| c.generation == generation && now.duration_since(c.checked) < RECHECK)
            .map(|c| c.container.clone())
    });
    if hit.is_some() {
        return hit;
    }
    let api = served.wallet(id)?;
    let identity = &**api as *const WalletApi as usize;
    Some(CONTAINERS.with(|containers| {
        let mut containers = containers.borrow_mut();
        if let Some(cached) = containers.get_mut(id) {
            if cached.identity == identity {
                cached.generation = generation;
                cached.checked = now;
                return cached.container.clone();
            }
        }
        let mut data = Extensions::new();
        data.insert(api);
        let container = Rc::new(data);
        let cached = Cached {
            generation,
            checked: now,
            identity,
            container: container.clone(),
        };
        containers.insert(id.to_string(), cached);
        container
    }))
}

/// Middleware of the whole wallet listener, before routing: at a root identifier, a
/// request under a served runtime issuer's path (`/{issuer_id}/token`, ...) is routed by
/// the default issuer's routes with that issuer's `WalletApi` in front, as if the scope
/// below had matched: one cached lookup instead of a second route tree matched by regular
/// expressions on every request. `request.path()` stays the full path (the rate limiter
/// and DPoP read the issuer's endpoint from it). Everything else (an identifier with a
/// path, an unknown issuer, paths that are not protocol endpoints, a path of the default
/// issuer's own type metadata) goes through the issuer scope as before.
pub async fn shortcut<B: MessageBody + 'static>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if let Some((container, skip)) = shortcut_of(&request) {
        let endpoint = &request.path()[usize::from(skip)..];
        if let Some(label) = issuer_route_label(endpoint) {
            // The pattern of the issuer scope's route, which matching the full path finds.
            debug_assert_eq!(request.match_pattern().as_deref(), Some(label));
            route_label::set(request.request(), RouteLabel::known(label));
        }
        request.add_data_container(container);
        request.match_info_mut().skip(skip);
    }
    next.call(request).await
}

/// The protocol endpoints with a fixed path, and their route's pattern under the issuer
/// scope (what matching the full path finds).
const EXACT_ENDPOINTS: [(&str, &str); 10] = [
    ("/token", "/{issuer_id}/token"),
    ("/nonce", "/{issuer_id}/nonce"),
    ("/credential", "/{issuer_id}/credential"),
    ("/notification", "/{issuer_id}/notification"),
    ("/par", "/{issuer_id}/par"),
    ("/authorize", "/{issuer_id}/authorize"),
    ("/challenge", "/{issuer_id}/challenge"),
    (
        "/.well-known/openid-credential-issuer",
        "/{issuer_id}/.well-known/openid-credential-issuer",
    ),
    (
        "/.well-known/oauth-authorization-server",
        "/{issuer_id}/.well-known/oauth-authorization-server",
    ),
    (
        "/.well-known/jwt-vc-issuer",
        "/{issuer_id}/.well-known/jwt-vc-issuer",
    ),
];

/// The route pattern of a protocol endpoint under `/{issuer_id}`, for the metrics and the
/// request span, or `None` when matching must tell.
fn issuer_route_label(endpoint: &str) -> Option<&'static str> {
    if let Some((_, label)) = EXACT_ENDPOINTS.iter().find(|(path, _)| *path == endpoint) {
        return Some(label);
    }
    let reference = endpoint.strip_prefix("/credential-offers/")?;
    (!reference.is_empty() && !reference.contains('/'))
        .then_some("/{issuer_id}/credential-offers/{reference}")
}

/// The issuer's container and the length of `/{issuer_id}`, when the shortcut applies.
fn shortcut_of(request: &ServiceRequest) -> Option<(Rc<Extensions>, u16)> {
    let path = request.path();
    let rest = path.strip_prefix('/')?;
    let end = rest.find('/')?;
    let (id, endpoint) = rest.split_at(end);
    if id.starts_with('.') || RESERVED_IDS.contains(&id) || !is_protocol_endpoint(endpoint) {
        return None;
    }
    let served = request.app_data::<web::Data<ServedWallets>>()?;
    let default = &served.default.wallet;
    if !default.path_prefix.is_empty() || default.type_metadata.serves(path) {
        return None;
    }
    let skip = u16::try_from(end + 1).ok()?;
    Some((container(served, id)?, skip))
}

/// Whether `endpoint` (the path after `/{issuer_id}`) is one of the protocol endpoints
/// both route trees serve alike; anything else (type metadata, unknown paths) takes the
/// issuer scope, where an unmatched path is the issuer's, not another issuer's.
fn is_protocol_endpoint(endpoint: &str) -> bool {
    EXACT_ENDPOINTS.iter().any(|(path, _)| *path == endpoint)
        || endpoint.starts_with("/credential-offers/")
        || endpoint.starts_with("/.well-known/")
}

/// Middleware of the issuer routes: the issuer named by the path serves the request (404
/// `not_found` for an unknown issuer, or one not ready to issue).
pub async fn middleware<B: MessageBody + 'static>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let served = request
        .app_data::<web::Data<ServedWallets>>()
        .zip(request.match_info().get(ISSUER_SEGMENT))
        .and_then(|(served, id)| container(served, id));
    let Some(served) = served else {
        let response = WalletError::new(ErrorCode::NotFound, "no such endpoint").error_response();
        return Ok(request.into_response(response).map_into_right_body());
    };
    request.add_data_container(served);
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}
