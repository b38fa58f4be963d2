//! Request ids (`X-Request-Id`, taken from the request when well-formed, else generated,
//! always echoed) and the client address (the peer, or what a trusted proxy forwards, see
//! [`client_addr`](super::client_addr)), as a per-request context.

use std::future::{ready, Ready};
use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use tracing::Instrument;
use uuid::Uuid;

use crate::http::client_addr::TrustedProxies;
use crate::http::route_label;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Who is asking and under which request id.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id.
    pub request_id: String,
    /// The client address (recorded in events only when configured; the rate limits'
    /// key).
    pub client_ip: Option<IpAddr>,
}

/// Accepts a caller's request id if it is short and printable, so it is safe in logs.
fn acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
}

/// Middleware: attaches a [`RequestContext`], runs the request in a `request` span (request
/// id, method, route, status, and the offer id once a command names one) and echoes the
/// request id.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_string)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let client_ip = match request.app_data::<web::Data<TrustedProxies>>() {
        Some(proxies) => proxies.client_of_request(request.peer_addr(), request.headers()),
        None => request.peer_addr().map(|a| a.ip()),
    };
    request.extensions_mut().insert(RequestContext {
        request_id: request_id.clone(),
        client_ip,
    });
    // One span per request. Never the raw path: wallet paths carry offer references.
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        offer_id = tracing::field::Empty,
    );
    let mut response = next.call(request).instrument(span.clone()).await?;
    let route = route_label::of(response.request());
    if route.as_str() != route_label::UNMATCHED {
        span.record("route", route.as_str());
    }
    span.record("status", response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

impl FromRequest for RequestContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let context = request
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext {
                request_id: Uuid::new_v4().to_string(),
                client_ip: request.peer_addr().map(|a| a.ip()),
            });
        ready(Ok(context))
    }
}
