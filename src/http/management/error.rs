//! The management API's error envelope: `{"error", "error_description", "details"}`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{
    error::JsonPayloadError, error::QueryPayloadError, HttpRequest, HttpResponse, ResponseError,
};
use serde::Serialize;
use serde_json::Value;

use crate::app::offers::CommandError;
use crate::readstore::ReadStoreError;
use crate::store::StoreError;

/// An error answered by the management API.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    /// HTTP status.
    #[serde(skip)]
    pub status: StatusCode,
    /// Machine-readable code.
    pub error: &'static str,
    /// Human-readable explanation.
    pub error_description: String,
    /// Per-item problems (e.g. one per invalid claim).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Value>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.error_description)
    }
}

/// Refuses a text filter with a NUL character (`400 invalid_request`): no stored value
/// holds one, and PostgreSQL cannot even compare text with one.
pub fn text_filter(name: &str, value: Option<&str>) -> Result<(), ApiError> {
    match value {
        Some(value) if value.contains('\0') => Err(ApiError::invalid_request(format!(
            "{name} must not contain a NUL character"
        ))),
        _ => Ok(()),
    }
}

impl ApiError {
    /// An error with a status, code and description.
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            error_description: description.into(),
            details: Vec::new(),
        }
    }

    /// 400 with a code.
    pub fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad_request("invalid_request", description)
    }

    /// 404 `not_found`.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 409 with a code.
    pub fn conflict(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, error, description)
    }

    /// 503 for a failing dependency; the cause is logged, not returned.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "dependency failure");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "a backing service failed; retry later",
        )
    }

    /// 500; the cause is logged, not returned.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "an internal error occurred",
        )
    }

    /// Adds detail entries.
    pub fn with_details(mut self, details: Vec<Value>) -> Self {
        self.details = details;
        self
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"management\""),
            ));
        }
        response.json(self)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::unavailable(&error)
    }
}

impl From<crate::app::offers::queries::QueryError> for ApiError {
    fn from(error: crate::app::offers::queries::QueryError) -> Self {
        match error {
            crate::app::offers::queries::QueryError::Store(error) => error.into(),
            crate::app::offers::queries::QueryError::ReadStore(error) => error.into(),
        }
    }
}

impl From<ReadStoreError> for ApiError {
    fn from(error: ReadStoreError) -> Self {
        ApiError::unavailable(&error)
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Rejected(rejection) => {
                ApiError::conflict("invalid_state", rejection.to_string())
            }
            CommandError::Store(e) => e.into(),
            CommandError::Corrupt { .. } => ApiError::internal(&error),
            CommandError::Contention(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "contention",
                error.to_string(),
            ),
        }
    }
}

/// JSON body errors as clear 4xx: 413 oversize, 415 wrong content type, 400 otherwise.
pub fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api_error = match &error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body exceeds the size limit",
            )
        }
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be application/json",
        ),
        JsonPayloadError::Deserialize(e) => {
            ApiError::invalid_request(format!("malformed JSON body: {e}"))
        }
        other => ApiError::invalid_request(format!("unreadable body: {other}")),
    };
    api_error.into()
}

/// Query string errors as 400.
pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid_request(format!("invalid query parameters: {error}")).into()
}

/// Path errors (e.g. an offer id that is not a UUID) as 404.
pub fn path_error(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::not_found("no such resource").into()
}
