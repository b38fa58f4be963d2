//! The two HTTP listeners: the wallet API (public) and the management API (internal), each
//! with its own state, middleware and error envelope.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::app::readiness::Readiness;
use crate::component_health::HealthRegistry;
use crate::config::Settings;
use crate::http::client_addr::TrustedProxies;
use crate::http::console::{self, ConsoleSessions};
use crate::http::management::error as management_error;
use crate::http::metrics::ApiName;
use crate::http::state::{ManagementApi, WalletApi};
use crate::http::wallet::served::ServedWallets;
use crate::http::{error_envelope, health, metrics, request_context};
use crate::http::{management, wallet};
use crate::metrics::Metrics;
use crate::node::shutdown;

/// What both listeners' middleware reads.
pub struct Shared<'a> {
    /// Settings.
    pub settings: &'a Settings,
    /// Who may name the client in forwarding headers.
    pub proxies: web::Data<TrustedProxies>,
    /// Whether shutdown has begun (responses then close their connections).
    pub health: web::Data<HealthRegistry>,
    /// Request metrics.
    pub metrics: web::Data<Metrics>,
}

/// What both listeners register as app data.
type CommonData = (
    web::Data<TrustedProxies>,
    web::Data<HealthRegistry>,
    web::Data<Metrics>,
);

impl Shared<'_> {
    fn app_data(&self) -> CommonData {
        (
            self.proxies.clone(),
            self.health.clone(),
            self.metrics.clone(),
        )
    }

    fn workers(&self) -> usize {
        self.settings
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// Serves the wallet API (and the authorization endpoints) of the default issuer and of
/// every issuer managed at runtime (`served`) on `listener`.
pub fn wallet(
    shared: &Shared,
    (state, served): (web::Data<WalletApi>, web::Data<ServedWallets>),
    listener: TcpListener,
) -> std::io::Result<Server> {
    let body_limit = shared.settings.limits.max_body_bytes;
    let common = shared.app_data();
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(served.clone())
            .app_data(common.0.clone())
            .app_data(common.1.clone())
            .app_data(common.2.clone())
            .app_data(ApiName("wallet"))
            .app_data(web::PayloadConfig::new(body_limit))
            .wrap(actix_web::middleware::from_fn(
                crate::http::authorization::nonce_headers::middleware,
            ))
            .wrap(actix_web::middleware::from_fn(
                wallet::rate_limit_middleware::middleware,
            ))
            // Outside the two above: they read the issuer's `WalletApi` it puts in front.
            .wrap(actix_web::middleware::from_fn(wallet::served::shortcut))
            .wrap(actix_web::middleware::from_fn(error_envelope::wallet))
            .wrap(actix_web::middleware::from_fn(shutdown::close_connections))
            .wrap(actix_web::middleware::from_fn(metrics::middleware))
            .wrap(actix_web::middleware::from_fn(request_context::middleware))
            .configure(|cfg| wallet::configure(cfg, &state.wallet))
    })
    .workers(shared.workers())
    .shutdown_timeout(shared.settings.shutdown.drain_timeout)
    .listen(listener)?
    .disable_signals()
    .run())
}

/// Serves the management API, health and metrics, the published contracts and the admin
/// console (its sessions live as long as the listener) on `listener`.
pub fn management(
    shared: &Shared,
    state: web::Data<ManagementApi>,
    readiness: web::Data<Readiness>,
    listener: TcpListener,
) -> std::io::Result<Server> {
    let body_limit = shared.settings.limits.max_body_bytes;
    let common = shared.app_data();
    let console = web::Data::new(ConsoleSessions::new(
        console::session::IDLE_TIMEOUT,
        console::session::MAX_SESSIONS,
        shared.settings.public_url.starts_with("https://"),
    ));
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(common.0.clone())
            .app_data(common.1.clone())
            .app_data(common.2.clone())
            .app_data(readiness.clone())
            .app_data(console.clone())
            .app_data(ApiName("management"))
            .app_data(
                web::JsonConfig::default()
                    .limit(body_limit)
                    .error_handler(management_error::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(management_error::query_error))
            .app_data(web::PathConfig::default().error_handler(management_error::path_error))
            .wrap(actix_web::middleware::from_fn(error_envelope::management))
            .wrap(actix_web::middleware::from_fn(shutdown::close_connections))
            .wrap(actix_web::middleware::from_fn(metrics::middleware))
            .wrap(actix_web::middleware::from_fn(request_context::middleware))
            .configure(health::configure)
            .configure(crate::http::contracts::configure)
            .configure(crate::http::docs::configure)
            .configure(management::configure)
            .configure(console::configure)
            .default_service(web::to(not_found))
    })
    .workers(shared.workers().min(2))
    .shutdown_timeout(shared.settings.shutdown.drain_timeout)
    .listen(listener)?
    .disable_signals()
    .run())
}

async fn not_found() -> Result<actix_web::HttpResponse, management_error::ApiError> {
    Err(management_error::ApiError::not_found("no such endpoint"))
}
