//! `/issuers` routes (issue 19): issuers, their credential configurations and signing keys,
//! managed at runtime as events of the Issuer aggregate. `issuers:read` reads, `issuers:write`
//! changes (`admin` implies both). A key restricted to issuers lists only those, and any
//! other issuer's routes answer it the very 404 of an unknown issuer. Handlers extract, call
//! [`crate::app::issuers::Issuers`] and map its typed refusals ([`refusal`]).

pub(crate) mod configurations;
pub(crate) mod issuer;
pub(crate) mod keys;
mod profile;
mod refusal;
pub(crate) mod view;

use actix_web::web;

/// Registers the issuer routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/issuers", web::post().to(issuer::create))
        .route("/issuers", web::get().to(issuer::list))
        .route("/issuers/{issuer_id}", web::get().to(issuer::get))
        .route("/issuers/{issuer_id}", web::patch().to(issuer::change))
        .route("/issuers/{issuer_id}", web::delete().to(issuer::retire))
        .route("/issuers/{issuer_id}/profile", web::put().to(profile::put))
        .route(
            "/issuers/{issuer_id}/credential-configurations",
            web::get().to(configurations::list),
        )
        .route(
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            web::put().to(configurations::put),
        )
        .route(
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            web::get().to(configurations::get),
        )
        .route(
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            web::delete().to(configurations::retire),
        )
        .route("/issuers/{issuer_id}/keys", web::post().to(keys::add))
        .route("/issuers/{issuer_id}/keys", web::get().to(keys::list))
        .route(
            "/issuers/{issuer_id}/keys/{kid}/activate",
            web::post().to(keys::activate),
        )
        .route(
            "/issuers/{issuer_id}/keys/{kid}",
            web::delete().to(keys::retire),
        )
        .route("/issuers/{issuer_id}/jwks", web::get().to(keys::jwks));
}
