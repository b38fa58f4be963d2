//! The last line of defence for error bodies: every 4xx and 5xx a listener answers carries
//! that listener's JSON error envelope, whoever produced it. Handlers and extractor error
//! handlers already answer with the envelope; this middleware catches what actix-web
//! answers on its own (405 for a method a route does not take, 413 and 400 from extractors
//! without a handler, anything a middleware returns as an error) and refuses request heads
//! larger than [`MAX_HEADER_BYTES`] with a 431 before any handler runs. The admin console's
//! pages ([`crate::http::console`]) are left alone: they answer errors as HTML pages.
//!
//! Heads that HTTP/1.1 itself cannot parse (a non-ASCII request target, a head beyond
//! actix-http's 128 KiB buffer or 96 headers) are answered by actix-http with a bare 400 or
//! 431 before any application code runs; no middleware sees them.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::http::management::error::ApiError;
use crate::http::wallet::errors::{ErrorCode, WalletError};

/// Largest accepted request head (header names and values), bytes. Well below actix-http's
/// own 128 KiB, so an oversized head gets a JSON 431 rather than a bare one.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Longest original error text carried over into `error_description`.
const MAX_CARRIED_TEXT: usize = 200;

/// Middleware of the wallet listener: the OAuth envelope `{"error", "error_description"}`.
pub async fn wallet(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    enforce(Envelope::Wallet, request, next).await
}

/// Middleware of the management listener: `{"error", "error_description", "details"}`.
pub async fn management(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    enforce(Envelope::Management, request, next).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Envelope {
    Wallet,
    Management,
}

async fn enforce(
    envelope: Envelope,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let head_bytes = head_size(request.headers());
    if head_bytes > MAX_HEADER_BYTES {
        let response = envelope.response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &format!("the request headers exceed {MAX_HEADER_BYTES} bytes"),
        );
        return Ok(request.into_response(response));
    }
    let is_head = request.method() == Method::HEAD;
    // An `Err` comes from an inner middleware (our own answer with the envelope already);
    // handler and extractor errors arrive as responses.
    let response = next.call(request).await?.map_into_boxed_body();
    if is_head || !envelope.needs_envelope(&response) {
        return Ok(response);
    }
    let status = response.status();
    let (http_request, original) = response.into_parts();
    let carried = [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE]
        .into_iter()
        .filter_map(|name| Some((name.clone(), original.headers().get(&name)?.clone())))
        .collect::<Vec<_>>();
    let text = body::to_bytes_limited(original.into_body(), MAX_CARRIED_TEXT)
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .filter(|text| !text.trim().is_empty());
    let description = match text {
        Some(text) => text,
        None => default_description(status),
    };
    let mut replaced = envelope.response(status, &description);
    for (name, value) in carried {
        replaced.headers_mut().insert(name, value);
    }
    Ok(ServiceResponse::new(http_request, replaced))
}

impl Envelope {
    fn needs_envelope(self, response: &ServiceResponse<BoxBody>) -> bool {
        let status = response.status();
        if !status.is_client_error() && !status.is_server_error() {
            return false;
        }
        // The console answers its errors with its own HTML pages.
        if self == Envelope::Management && crate::http::console::owns(response.request().path()) {
            return false;
        }
        let headers = response.headers();
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        // RFC 6750 §3.1: a request without a bearer token gets a bare challenge.
        let bare_challenge = self == Envelope::Wallet
            && status == StatusCode::UNAUTHORIZED
            && headers.contains_key(header::WWW_AUTHENTICATE);
        !json && !bare_challenge
    }

    fn response(self, status: StatusCode, description: &str) -> HttpResponse {
        match self {
            Envelope::Wallet => {
                let code = match status {
                    StatusCode::NOT_FOUND => ErrorCode::NotFound,
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                        ErrorCode::TemporarilyUnavailable
                    }
                    s if s.is_server_error() => ErrorCode::ServerError,
                    _ => ErrorCode::InvalidRequest,
                };
                WalletError::new(code, description)
                    .with_status(status)
                    .error_response()
            }
            Envelope::Management => {
                ApiError::new(status, management_code(status), description).error_response()
            }
        }
    }
}

/// The management code of a status nobody gave a code to.
fn management_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        431 => "request_header_fields_too_large",
        503 => "temporarily_unavailable",
        500..=599 => "server_error",
        _ => "invalid_request",
    }
}

fn default_description(status: StatusCode) -> String {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "this endpoint does not take that method".into(),
        StatusCode::NOT_FOUND => "no such endpoint".into(),
        other => other
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_string(),
    }
}

/// Bytes of the request's header section as sent (name, `: `, value, CRLF).
fn head_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_without_a_code_get_a_fitting_one() {
        assert_eq!(
            management_code(StatusCode::METHOD_NOT_ALLOWED),
            "method_not_allowed"
        );
        assert_eq!(management_code(StatusCode::BAD_GATEWAY), "server_error");
        assert_eq!(management_code(StatusCode::IM_A_TEAPOT), "invalid_request");
    }

    #[test]
    fn the_wallet_envelope_keeps_the_status_and_the_oauth_shape() {
        let response = Envelope::Wallet.response(StatusCode::METHOD_NOT_ALLOWED, "nope");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let response = Envelope::Wallet.response(StatusCode::PAYLOAD_TOO_LARGE, "big");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
