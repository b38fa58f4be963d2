//! One HTTP attempt of a status callback: POST the signed body, classify the answer. The
//! HTTP clients (one per destination, see [`super::destination`]) are built here.

use std::time::Duration;

use std::sync::Arc;

use reqwest::header::{HeaderValue, CONTENT_TYPE, USER_AGENT};

use super::address::AddressPolicy;
use super::resolver::{refusal_in, CheckedResolver};
use super::retry::AttemptOutcome;
use super::signature::{CallbackSecret, DELIVERY_HEADER, SIGNATURE_HEADER};

/// Signs and sends callbacks. Cheap to clone.
#[derive(Clone)]
pub struct CallbackSender {
    secret: CallbackSecret,
}

/// Why an HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the callback HTTP client: {0}")]
pub struct SenderError(String);

/// A client for one destination: a per-attempt `timeout` (connecting included) and up to
/// `pool` idle keep-alive connections. With `checked`, every name is resolved through a
/// [`CheckedResolver`] and no proxy is used (the connection goes to the checked address):
/// the client for offers' own, untrusted URLs.
pub fn build_client(
    timeout: Duration,
    pool: usize,
    checked: Option<&AddressPolicy>,
) -> Result<reqwest::Client, SenderError> {
    let mut builder = reqwest::Client::builder();
    if let Some(policy) = checked {
        builder = builder
            .dns_resolver(Arc::new(CheckedResolver::new(policy.clone())))
            .no_proxy();
    }
    builder
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        // A callback URL is configured by the institution; a redirect is a
        // misconfiguration to surface (dead letter), not something to follow with a
        // signed body.
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .pool_idle_timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| SenderError(e.to_string()))
}

impl CallbackSender {
    /// A sender signing with `secret`.
    pub fn new(secret: CallbackSecret) -> Self {
        CallbackSender { secret }
    }

    /// POSTs `body` to `url` with `client`, signed at `timestamp` (Unix seconds), with the stable
    /// `delivery_id`. Never logs or returns the URL, body or signature.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: Vec<u8>,
        delivery_id: &str,
        timestamp: i64,
    ) -> AttemptOutcome {
        let signature = self.secret.sign(timestamp, &body);
        let Ok(signature) = HeaderValue::from_str(&signature) else {
            return AttemptOutcome::Permanent("unrepresentable signature header".into());
        };
        let Ok(delivery) = HeaderValue::from_str(delivery_id) else {
            return AttemptOutcome::Permanent("unrepresentable delivery id".into());
        };
        let result = client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                USER_AGENT,
                HeaderValue::from_static(concat!("issuance/", env!("CARGO_PKG_VERSION"))),
            )
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, delivery)
            .body(body)
            .send()
            .await;
        match result {
            Ok(response) => AttemptOutcome::from_status(response.status().as_u16()),
            Err(error) => classify(error),
        }
    }
}

/// Transport errors: a bad URL cannot get better; everything else (timeouts, refused or
/// reset connections, TLS hiccups) may.
fn classify(error: reqwest::Error) -> AttemptOutcome {
    let error = error.without_url();
    if let Some(refused) = refusal_in(&error) {
        AttemptOutcome::Permanent(refused.to_string())
    } else if error.is_builder() {
        AttemptOutcome::Permanent(format!("unusable callback URL: {error}"))
    } else if error.is_timeout() {
        AttemptOutcome::Transient("timed out".into())
    } else if error.is_connect() {
        AttemptOutcome::Transient("connection failed".into())
    } else {
        AttemptOutcome::Transient(format!("request failed: {error}"))
    }
}
