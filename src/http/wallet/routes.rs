//! The wallet API's routes, under the issuer identifier's path, and its body extractors.

use std::sync::Arc;

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::{web, HttpRequest};

use super::errors::{ErrorCode, WalletError};
use super::wallet_state::WalletState;
use super::{credential, documents, nonce, notification, offer, served, status_list, token};
use crate::http::authorization::{attestation_challenge, authorize, nonce_headers, par};
use actix_web::middleware::from_fn;

/// Registers the wallet routes: the default issuer's under its identifier's path, then
/// every runtime issuer's under `{path}/{issuer_id}` (see [`served`]).
pub fn configure(cfg: &mut web::ServiceConfig, wallet: &WalletState) {
    let prefix = wallet.path_prefix.as_str();
    let limit = wallet.max_body_bytes;
    let issuer_prefix = format!("{prefix}/{{{}}}", served::ISSUER_SEGMENT);
    // First: actix tries routes in order, the dynamic ones by regular expression, and
    // these are the requests of every flow. No other route shares their first segment.
    endpoints(cfg, prefix, limit);
    for (name, handler) in WellKnown::ALL {
        // 1.0 §12.2.2 / RFC 8414 §3: inserted between host and path; draft 13: appended.
        let inserted = format!("/.well-known/{name}{prefix}");
        let appended = format!("{prefix}/.well-known/{name}");
        cfg.route(&inserted, handler.route());
        if appended != inserted {
            cfg.route(&appended, handler.route());
        }
        cfg.service(
            web::resource(format!("/.well-known/{name}{issuer_prefix}"))
                .wrap(from_fn(served::middleware))
                .route(handler.route()),
        );
    }
    let mut type_metadata = Vec::new();
    for path in wallet.type_metadata.paths() {
        cfg.route(path, web::get().to(documents::type_metadata));
        type_metadata.push(path.to_string());
    }
    // The wallet listener's OpenAPI document, for this issuer path and these documents.
    let openapi = Arc::new(crate::contracts::openapi::wallet::document(
        prefix,
        &type_metadata,
    ));
    cfg.route(
        "/openapi.json",
        web::get().to(move || {
            let document = Arc::clone(&openapi);
            async move { actix_web::HttpResponse::Ok().json(&*document) }
        }),
    );
    // Relying parties, not wallets, fetch status lists; answers come from memory with
    // caching headers, so no per-client limit applies. Every issuer's credentials point
    // here (the lists are the deployment's).
    cfg.route(
        &format!("{prefix}/status-lists"),
        web::get().to(status_list::aggregation),
    )
    .route(
        &format!("{prefix}/status-lists/{{list_id}}"),
        web::get().to(status_list::status_list),
    );
    cfg.service(
        web::scope(&issuer_prefix)
            // Inner: the nonces of the issuer's settings (its profile), not the default's.
            .wrap(from_fn(nonce_headers::middleware))
            .wrap(from_fn(served::middleware))
            .configure(|cfg| {
                for (name, handler) in WellKnown::ALL {
                    cfg.route(&format!("/.well-known/{name}"), handler.route());
                }
                endpoints(cfg, "", limit);
            })
            // The issuer's SD-JWT VC type metadata documents, found by their path.
            .default_service(web::to(documents::type_metadata)),
    )
    .default_service(web::to(not_found));
}

/// The protocol endpoints of one issuer under `prefix`, the static ones first.
fn endpoints(cfg: &mut web::ServiceConfig, prefix: &str, limit: usize) {
    cfg.route(
        &format!("{prefix}/authorize"),
        web::get().to(authorize::authorize),
    )
    .service(
        web::resource(format!("{prefix}/token"))
            .app_data(form_config(limit))
            .route(web::post().to(token::token)),
    )
    .service(
        web::resource(format!("{prefix}/par"))
            .app_data(form_config(limit))
            .route(web::post().to(par::par)),
    )
    .route(&format!("{prefix}/nonce"), web::post().to(nonce::nonce))
    .route(
        &format!("{prefix}/challenge"),
        web::post().to(attestation_challenge::challenge),
    )
    .service(
        web::resource(format!("{prefix}/credential"))
            .app_data(json_config(limit, ErrorCode::InvalidCredentialRequest))
            .app_data(web::PayloadConfig::new(limit))
            // OID4VCI 1.0 §8.2: an encrypted request is a JWE, `application/jwt`.
            .route(
                web::post()
                    .guard(actix_web::guard::Header("content-type", "application/jwt"))
                    .to(credential::encrypted),
            )
            .route(web::post().to(credential::credential)),
    )
    .service(
        web::resource(format!("{prefix}/notification"))
            .app_data(json_config(limit, ErrorCode::InvalidNotificationRequest))
            .route(web::post().to(notification::notification)),
    )
    .route(
        &format!("{prefix}/credential-offers/{{reference}}"),
        web::get().to(offer::credential_offer_by_reference),
    );
}

#[derive(Clone, Copy)]
enum WellKnown {
    CredentialIssuer,
    AuthorizationServer,
    JwtVcIssuer,
}

impl WellKnown {
    const ALL: [(&'static str, WellKnown); 3] = [
        ("openid-credential-issuer", WellKnown::CredentialIssuer),
        ("oauth-authorization-server", WellKnown::AuthorizationServer),
        ("jwt-vc-issuer", WellKnown::JwtVcIssuer),
    ];

    fn route(self) -> actix_web::Route {
        match self {
            WellKnown::CredentialIssuer => web::get().to(documents::credential_issuer_metadata),
            WellKnown::AuthorizationServer => {
                web::get().to(documents::authorization_server_metadata)
            }
            WellKnown::JwtVcIssuer => web::get().to(documents::jwt_vc_issuer_metadata),
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
