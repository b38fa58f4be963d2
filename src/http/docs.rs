//! `GET /docs` on the management listener: Swagger UI over the management API's OpenAPI
//! document (`/openapi.json`), from assets vendored in `assets/swagger-ui/` and compiled into
//! the binary. No authentication, like the document itself; the page sends API keys only
//! when the user enters one. A strict Content-Security-Policy: scripts from this origin
//! only (the UI's start-up is a file, not an inline script); Swagger UI sets inline styles.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const BUNDLE: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLESHEET: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
const INIT: &[u8] = include_bytes!("../../assets/swagger-ui/init.js");

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Issuance engine: management API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#;

/// The page's policy: everything from this origin, inline styles for Swagger UI, images
/// also as data URLs (its icons), no framing.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Registers `/docs` and its assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/docs", web::get().to(page))
        .route("/docs/swagger-ui-bundle.js", web::get().to(bundle))
        .route("/docs/swagger-ui.css", web::get().to(stylesheet))
        .route("/docs/init.js", web::get().to(init));
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(PAGE)
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes)
}

async fn bundle() -> HttpResponse {
    asset("text/javascript; charset=utf-8", BUNDLE)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn init() -> HttpResponse {
    asset("text/javascript; charset=utf-8", INIT)
}
