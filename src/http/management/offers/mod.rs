//! `/offers` routes.

pub(super) mod create;
pub(crate) mod erase;
pub(super) mod history;
mod qr;
pub(super) mod read;
pub(crate) mod revoke;
mod validate;

use actix_web::web;

/// Registers the offer routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/offers", web::post().to(create::create))
        .route(
            "/issuers/{issuer_id}/offers",
            web::post().to(create::create_for_issuer),
        )
        .route("/offers", web::get().to(read::list))
        .route("/offers/{offer_id}", web::get().to(read::get))
        .route("/offers/{offer_id}", web::delete().to(revoke::revoke))
        .route("/offers/{offer_id}/events", web::get().to(history::events))
        .route("/offers/{offer_id}/erase", web::post().to(erase::erase))
        .route("/offers/{offer_id}/qr.png", web::get().to(qr::png))
        .route("/offers/{offer_id}/qr", web::get().to(qr::negotiated));
}
