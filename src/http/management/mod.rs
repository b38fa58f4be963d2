//! The management API (default `127.0.0.1:8081`): offers, their histories and QR codes,
//! issued credentials and their status (revoke, suspend, reinstate), issuers and their
//! credential configurations managed at runtime,
//! the audit view, credential configurations, the login hand-off of the authorization-code
//! flow. Bearer API keys with scopes; errors as
//! `{"error", "error_description", "details"}`.

pub(crate) mod audit;
pub mod auth;
mod authenticate;
mod authorization_sessions;
pub(crate) mod command_meta;
pub(crate) mod configurations;
mod credentials;
pub(crate) mod dead_letters;
pub mod error;
pub(crate) mod issuers;
pub(crate) mod offers;
pub(crate) mod visible;

use actix_web::web;

/// Registers the management routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    offers::configure(cfg);
    authorization_sessions::configure(cfg);
    audit::configure(cfg);
    dead_letters::configure(cfg);
    credentials::configure(cfg);
    issuers::configure(cfg);
    cfg.route(
        "/credential-configurations",
        web::get().to(configurations::list),
    );
}
