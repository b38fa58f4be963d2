//! The wallet listener's rate-limit middleware: the request's client and endpoint, checked
//! against the [`RateLimiter`](super::rate_limit::RateLimiter) before the body is read.

use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};

use super::errors::WalletError;
use super::rate_limit::Endpoint;
use super::served::ServedWallets;
use crate::http::request_context::RequestContext;

/// Middleware of the wallet listener: answers 429 before the body is read when the
/// client has spent the budget of the endpoint it asks.
pub async fn middleware<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some(wait) = limited(&request) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let response = WalletError::rate_limited(seconds).error_response();
        return Ok(request.into_response(response).map_into_right_body());
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// How long the request's client must wait, if it must.
fn limited(request: &ServiceRequest) -> Option<Duration> {
    // The root's state (what every issuer shares) is the same for every request, so it
    // stays in the CPU's caches, where a runtime issuer's own copy may not.
    let wallet = request.app_data::<web::Data<ServedWallets>>()?.root();
    let path = request.path().strip_prefix(wallet.path_prefix.as_str())?;
    // The default issuer's endpoints, or a runtime issuer's under `/{issuer_id}`.
    let endpoint = Endpoint::of_path(path).or_else(|| {
        let rest = path.strip_prefix('/')?;
        Endpoint::of_path(&rest[rest.find('/')?..])
    })?;
    let client = match request.extensions().get::<RequestContext>() {
        Some(context) => context.client_ip,
        None => wallet
            .proxies
            .client_of_request(request.peer_addr(), request.headers()),
    }?;
    wallet
        .rate_limiter
        .acquire(endpoint, client, Instant::now())
        .err()
}
