//! `GET /schemas`, `GET /schemas/{name}.json`, `GET /asyncapi.json` and `GET /openapi.json`
//! (the management listener's OpenAPI document) on the management listener (no
//! authentication: contracts hold no data). See [`crate::contracts`].

use actix_web::{web, HttpResponse};

use crate::contracts;
use crate::http::management::error::ApiError;

/// Registers the contract routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/schemas", web::get().to(index))
        .route("/schemas/{file}", web::get().to(schema))
        .route("/asyncapi.json", web::get().to(asyncapi))
        .route("/openapi.json", web::get().to(openapi));
}

async fn index() -> HttpResponse {
    HttpResponse::Ok().json(contracts::index())
}

async fn schema(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    file.strip_suffix(".json")
        .and_then(contracts::schema)
        .map(|schema| HttpResponse::Ok().json(schema))
        .ok_or_else(|| ApiError::not_found("no such schema"))
}

async fn asyncapi() -> HttpResponse {
    HttpResponse::Ok().json(contracts::asyncapi::document())
}

async fn openapi() -> HttpResponse {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    HttpResponse::Ok().json(DOCUMENT.get_or_init(contracts::openapi::management::document))
}
