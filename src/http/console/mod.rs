//! The admin console under `/console` on the management listener: server-rendered pages
//! (askama templates compiled into the binary, a stylesheet from `assets/console/`), no
//! JavaScript. A browser signs in with an API key ([`signin`]) and holds only a session
//! cookie ([`session`]); every page checks the key's scopes and issuers exactly as the
//! management API does, through the same application ports. Pages: offers ([`offers`]),
//! one offer with its timeline, QR code and revocation ([`offer`]), the audit trail
//! ([`audit`]), the integration side's health, issuance chart and dead letters
//! ([`integration`]), issuers and their credential configurations ([`issuers`]), changed
//! through forms for keys with `issuers:write` ([`issuer_edit`], [`issuer_keys`],
//! [`issuer_configurations`]).
//!
//! Every console response carries a strict policy ([`POLICY`]: no inline script or style,
//! no framing, forms only to this origin), `X-Frame-Options: DENY`,
//! `Cache-Control: no-store` and `Referrer-Policy: no-referrer`; errors are HTML pages, not
//! the API's JSON envelope. The console is not part of the management API's OpenAPI
//! document.

mod audit;
mod chart;
mod confirm;
mod editing;
mod error;
mod integration;
mod issuer_configurations;
mod issuer_edit;
mod issuer_keys;
mod issuers;
mod offer;
mod offers;
pub mod session;
mod signin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};
use askama::Template;

pub use error::ConsoleError;
use error::ErrorPage;
pub use session::ConsoleSessions;

/// Where the console lives.
pub const PREFIX: &str = "/console";

/// The console's Content-Security-Policy.
pub const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                          frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

const STYLESHEET: &[u8] = include_bytes!("../../../assets/console/console.css");

/// Whether `path` is the console's (its responses are HTML, not the API's envelope).
pub fn owns(path: &str) -> bool {
    path == PREFIX || path.starts_with("/console/")
}

/// Registers the console's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .wrap(from_fn(guard))
            .route("", web::get().to(home))
            .route("/", web::get().to(home))
            .route("/assets/console.css", web::get().to(stylesheet))
            .route("/login", web::get().to(signin::form))
            .route("/login", web::post().to(signin::sign_in))
            .route("/logout", web::post().to(signin::sign_out))
            .route("/offers", web::get().to(offers::list))
            .route("/offers/{offer_id}", web::get().to(offer::page))
            .route("/offers/{offer_id}/qr.png", web::get().to(offer::qr))
            .route("/offers/{offer_id}/revoke", web::get().to(confirm::revoke))
            .route("/offers/{offer_id}/revoke", web::post().to(offer::revoke))
            .route("/offers/{offer_id}/erase", web::get().to(confirm::erase))
            .route("/offers/{offer_id}/erase", web::post().to(offer::erase))
            .route("/audit", web::get().to(audit::list))
            .route("/audit/verify", web::post().to(audit::verify))
            .route("/audit/export.{format}", web::get().to(audit::export))
            .route("/integration", web::get().to(integration::page))
            .route("/issuers", web::get().to(issuers::list))
            .route("/issuers", web::post().to(issuer_edit::create))
            .route("/issuers/{issuer_id}", web::get().to(issuers::page))
            .configure(issuer_routes)
            .route(
                "/integration/dead-letters/requeue",
                web::post().to(integration::requeue_all),
            )
            .route(
                "/integration/dead-letters/{id}/requeue",
                web::post().to(integration::requeue_one),
            )
            .default_service(web::to(not_found)),
    );
}

/// The routes that change an issuer (`issuers:write`).
fn issuer_routes(cfg: &mut web::ServiceConfig) {
    const ONE: &str = "/issuers/{issuer_id}";
    cfg.route(
        &format!("{ONE}/display"),
        web::get().to(issuer_edit::display_form),
    )
    .route(
        &format!("{ONE}/display"),
        web::post().to(issuer_edit::change),
    )
    .route(
        &format!("{ONE}/retire"),
        web::get().to(issuer_edit::retire_form),
    )
    .route(
        &format!("{ONE}/retire"),
        web::post().to(issuer_edit::retire),
    )
    .route(
        &format!("{ONE}/keys"),
        web::post().to(issuer_keys::generate),
    )
    .route(
        &format!("{ONE}/keys/{{kid}}/activate"),
        web::post().to(issuer_keys::activate),
    )
    .route(
        &format!("{ONE}/keys/{{kid}}/retire"),
        web::get().to(issuer_keys::retire_form),
    )
    .route(
        &format!("{ONE}/keys/{{kid}}/retire"),
        web::post().to(issuer_keys::retire),
    )
    .route(
        &format!("{ONE}/publish"),
        web::get().to(issuer_configurations::form),
    )
    .route(
        &format!("{ONE}/publish"),
        web::post().to(issuer_configurations::submit),
    )
    .route(
        &format!("{ONE}/configurations/{{configuration_id}}/retire"),
        web::get().to(issuer_configurations::retire_form),
    )
    .route(
        &format!("{ONE}/configurations/{{configuration_id}}/retire"),
        web::post().to(issuer_configurations::retire),
    );
}

/// The signed-in key as the navigation shows it, with the sign-out form's token.
pub struct Nav {
    /// The key's name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// Renders `page` as a 200 HTML response.
fn render(page: &impl Template) -> Result<HttpResponse, ConsoleError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// A `303 See Other` to `location`.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn home() -> HttpResponse {
    see_other("/console/offers")
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(STYLESHEET)
}

async fn not_found() -> HttpResponse {
    ErrorPage::response(StatusCode::NOT_FOUND, "no such page")
}

/// The console's middleware: errors that are not HTML yet (an extractor's, actix-web's 405)
/// become an error page, and every response gets the security headers.
async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if (status.is_client_error() || status.is_server_error()) && !html {
        let (request, _) = response.into_parts();
        let description = match status {
            StatusCode::METHOD_NOT_ALLOWED => "this page does not take that method",
            StatusCode::NOT_FOUND => "no such page",
            s if s.is_server_error() => "the console could not answer",
            _ => "the request was refused",
        };
        response = ServiceResponse::new(request, ErrorPage::response(status, description));
    }
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}
