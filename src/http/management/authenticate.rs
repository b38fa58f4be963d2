//! The [`Caller`] of a management request, from its bearer API key.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};

use super::auth::Caller;
use super::error::ApiError;
use crate::http::state::ManagementApi;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let unauthorized =
            |text: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", text);
        let Some(state) = request.app_data::<web::Data<ManagementApi>>() else {
            return ready(Err(ApiError::internal(&"application state missing")));
        };
        let presented = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let result = match presented {
            None => Err(unauthorized(
                "an API key is required: Authorization: Bearer <key>",
            )),
            Some(key) => match state.api_keys.authenticate(key.trim()) {
                Some(key) => Ok(Caller::from(key)),
                None => Err(unauthorized("the API key is not valid")),
            },
        };
        ready(result)
    }
}
