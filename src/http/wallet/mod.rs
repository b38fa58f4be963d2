//! The wallet API (OID4VCI 1.0), default `0.0.0.0:8080`, served under the path of the
//! Credential Issuer Identifier (`public_url`).
//!
//! - [`metadata`]: the three well-known documents, rendered once at start-up.
//! - [`type_metadata`]: SD-JWT VC type metadata at the `vct` URLs under the identifier.
//! - [`offer`]: the credential offer by reference.
//! - [`token`]: the token endpoint's grants; [`access_token`]: the tokens it mints.
//! - `/par` and `/authorize` are the authorization-code flow's (`crate::http::authorization`).
//! - [`nonce`]: `c_nonce` values and the nonce endpoint.
//! - [`credential`]: issuance, with [`credential_request`] and [`proofs`].
//! - [`notification`]: wallet notifications.
//! - [`status_list`]: the Status List Tokens relying parties check credentials against.
//! - [`errors`]: the OAuth/OID4VCI error envelope and the mapping of every rejection;
//!   [`rate_limit`]: per-client limits of the wallet endpoints (wrapped around the whole
//!   wallet listener, see `crate::node::startup`).

pub mod access_token;
pub mod authorization_details;
pub mod credential;
pub mod credential_request;
pub mod errors;
pub mod metadata;
pub mod nonce;
pub mod notification;
pub mod offer;
pub mod proofs;
pub mod rate_limit;
pub mod signer;
pub mod status_list;
pub mod token;
pub mod type_metadata;

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::{web, HttpRequest};
use issuance_credential::{IssuerKeys, SigningKey};
use issuance_domain::credential_config::CredentialCatalog;

use crate::app::offers::CommandMeta;
use crate::config::Settings;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use errors::{ErrorCode, WalletError};

pub use nonce::purge_used_nonces;

/// The actor recorded on every event a wallet causes.
pub const WALLET_ACTOR: &str = "wallet";

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
    pub proxies: crate::http::client_addr::TrustedProxies,
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
            proxies: crate::http::client_addr::TrustedProxies::new(
                &settings.limits.trusted_proxies,
            ),
            path_prefix,
            max_body_bytes: settings.limits.max_body_bytes,
            document_signer,
        })
    }
}

/// Registers the wallet routes under the issuer identifier's path.
pub fn configure(cfg: &mut web::ServiceConfig, wallet: &WalletState) {
    let prefix = wallet.path_prefix.as_str();
    let limit = wallet.max_body_bytes;
    for (name, handler) in [
        ("openid-credential-issuer", WellKnown::CredentialIssuer),
        ("oauth-authorization-server", WellKnown::AuthorizationServer),
        ("jwt-vc-issuer", WellKnown::JwtVcIssuer),
    ] {
        // 1.0 §12.2.2 / RFC 8414 §3: inserted between host and path; draft 13: appended.
        let inserted = format!("/.well-known/{name}{prefix}");
        let appended = format!("{prefix}/.well-known/{name}");
        cfg.route(&inserted, handler.route());
        if appended != inserted {
            cfg.route(&appended, handler.route());
        }
    }
    for path in wallet.type_metadata.paths() {
        cfg.route(path, web::get().to(type_metadata::type_metadata));
    }
    cfg.route(
        &format!("{prefix}/credential-offers/{{reference}}"),
        web::get().to(offer::credential_offer_by_reference),
    )
    .service(
        web::resource(format!("{prefix}/token"))
            .app_data(form_config(limit))
            .route(web::post().to(token::token)),
    )
    .service(
        web::resource(format!("{prefix}/par"))
            .app_data(form_config(limit))
            .route(web::post().to(crate::http::authorization::par::par)),
    )
    .route(
        &format!("{prefix}/authorize"),
        web::get().to(crate::http::authorization::authorize::authorize),
    )
    .route(&format!("{prefix}/nonce"), web::post().to(nonce::nonce))
    .service(
        web::resource(format!("{prefix}/credential"))
            .app_data(json_config(limit, ErrorCode::InvalidCredentialRequest))
            .route(web::post().to(credential::credential)),
    )
    .service(
        web::resource(format!("{prefix}/notification"))
            .app_data(json_config(limit, ErrorCode::InvalidNotificationRequest))
            .route(web::post().to(notification::notification)),
    )
    // Relying parties, not wallets, fetch status lists; answers come from memory with
    // caching headers, so no per-client limit applies.
    .route(
        &format!("{prefix}/status-lists"),
        web::get().to(status_list::aggregation),
    )
    .route(
        &format!("{prefix}/status-lists/{{list_id}}"),
        web::get().to(status_list::status_list),
    )
    .default_service(web::to(not_found));
}

#[derive(Clone, Copy)]
enum WellKnown {
    CredentialIssuer,
    AuthorizationServer,
    JwtVcIssuer,
}

impl WellKnown {
    fn route(self) -> actix_web::Route {
        match self {
            WellKnown::CredentialIssuer => web::get().to(metadata::credential_issuer_metadata),
            WellKnown::AuthorizationServer => {
                web::get().to(metadata::authorization_server_metadata)
            }
            WellKnown::JwtVcIssuer => web::get().to(metadata::jwt_vc_issuer_metadata),
        }
    }
}

/// JSON bodies: every problem (syntax, content type, size) is a 400 with `code`, since
/// OID4VCI 1.0 §8.3.1.2 and §11.3 name their own codes for malformed requests.
fn json_config(limit: usize, code: ErrorCode) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _: &HttpRequest| {
            let reason = match &error {
                JsonPayloadError::ContentType => {
                    "the request body must be application/json".to_string()
                }
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => {
                    format!("the request body exceeds {limit} bytes")
                }
                JsonPayloadError::Deserialize(e) => format!("malformed request body: {e}"),
                other => format!("unreadable request body: {other}"),
            };
            WalletError::new(code, reason).into()
        })
}

/// Token and pushed authorization request bodies: `invalid_request` (RFC 6749 §5.2,
/// RFC 9126 §2.3), including repeated parameters.
fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(move |error, _: &HttpRequest| {
            let reason = match &error {
                UrlencodedError::ContentType => {
                    "the request body must be application/x-www-form-urlencoded".to_string()
                }
                UrlencodedError::Overflow { .. } => {
                    format!("the request body exceeds {limit} bytes")
                }
                UrlencodedError::Parse(e) => format!("malformed request: {e}"),
                other => format!("unreadable request: {other}"),
            };
            WalletError::new(ErrorCode::InvalidRequest, reason).into()
        })
}

async fn not_found() -> Result<actix_web::HttpResponse, WalletError> {
    Err(WalletError::new(ErrorCode::NotFound, "no such endpoint"))
}

/// The metadata of events a wallet request causes: actor `wallet`, the request id and the
/// client IP when configured.
pub fn wallet_command_meta(state: &AppState, context: RequestContext) -> CommandMeta {
    CommandMeta {
        actor: WALLET_ACTOR.into(),
        request_id: Some(context.request_id),
        client_ip: context
            .client_ip
            .filter(|_| state.settings.record_client_ip)
            .map(|ip| ip.to_string()),
    }
}
