//! The wallet API (OID4VCI 1.0), default `0.0.0.0:8080`.

use actix_web::web;

/// Registers the wallet routes.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
