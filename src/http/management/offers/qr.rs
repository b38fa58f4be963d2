//! `GET /offers/{id}/qr.png` and `GET /offers/{id}/qr` (PNG, or a data URI as JSON).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use serde_json::json;
use uuid::Uuid;

use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::management::visible::offer_qr_png;
use crate::http::state::ManagementApi;

/// The QR code as PNG.
pub async fn png(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let bytes = offer_qr_png(&state, &caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// The QR code as PNG, or `{"data_uri": "data:image/png;base64,…"}` for `Accept: application/json`.
pub async fn negotiated(
    state: web::Data<ManagementApi>,
    caller: Caller,
    request: HttpRequest,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let bytes = offer_qr_png(&state, &caller, path.into_inner()).await?;
    let wants_json = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        let data_uri = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({"data_uri": data_uri})))
    } else {
        Ok(HttpResponse::Ok()
            .content_type("image/png")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(bytes))
    }
}
