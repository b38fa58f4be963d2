//! The management API (default `127.0.0.1:8081`): offers, their histories and QR codes,
//! credential configurations. Bearer API keys with scopes; errors as
//! `{"error", "error_description", "details"}`.

pub mod auth;
mod configurations;
mod dead_letters;
pub mod error;
mod offers;

use actix_web::web;

/// Registers the management routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    offers::configure(cfg);
    dead_letters::configure(cfg);
    cfg.route(
        "/credential-configurations",
        web::get().to(configurations::list),
    );
}
