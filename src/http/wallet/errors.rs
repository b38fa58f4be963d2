//! The wallet API's error envelope and the one place where failures become OAuth/OID4VCI
//! error responses ([`rejections`](super::rejections) maps the aggregates' refusals).
//!
//! Bodies are `{"error", "error_description"}` (RFC 6749 §5.2, OID4VCI 1.0 §8.3.1.2,
//! §11.3). Access-token problems follow RFC 6750 §3: 401 with a `WWW-Authenticate: Bearer`
//! challenge, which carries no error code when the request had no token at all. Every error
//! is `Cache-Control: no-store`.

use std::fmt;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

use super::metadata::PROOF_SIGNING_ALGS as DPOP_ALGS;
use crate::store::StoreError;

/// Every error code the wallet API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// RFC 6749 §5.2: missing or malformed parameter; OID4VCI 1.0 §6.3: a transaction code
    /// missing where required or present where not expected.
    InvalidRequest,
    /// RFC 6749 §5.2: the grant (pre-authorized code, transaction code) is invalid, expired,
    /// revoked or already used.
    InvalidGrant,
    /// RFC 6749 §5.2.
    UnsupportedGrantType,
    /// RFC 6749 §5.2: unknown client (never redirected, §4.1.2.1).
    InvalidClient,
    /// Attestation-Based Client Authentication draft -07 §6: the wallet attestation or its
    /// proof of possession could not be verified (401).
    InvalidClientAttestation,
    /// Attestation-Based Client Authentication draft -07 §6: the attestation PoP lacks a
    /// current server-provided challenge (401; the response's
    /// `OAuth-Client-Attestation-Challenge` header has one).
    UseAttestationChallenge,
    /// RFC 6749 §4.1.2.1: only `response_type=code` is supported.
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1: no requested scope names a credential configuration.
    InvalidScope,
    /// RFC 6749 §4.1.2.1: the user or the institution denied the request.
    AccessDenied,
    /// RFC 9101 §7 (used by RFC 9126): the `request_uri` is unknown, expired or used.
    InvalidRequestUri,
    /// RFC 9101 §7: request objects (`request`) are not supported.
    RequestNotSupported,
    /// RFC 9449 §5, §7.1: the DPoP proof is missing, malformed or invalid.
    InvalidDpopProof,
    /// RFC 9449 §8, §9: the DPoP proof lacks the server's current nonce (the response's
    /// `DPoP-Nonce` header has one).
    UseDpopNonce,
    /// RFC 9396 §5: `authorization_details` malformed or asking for something not offered.
    InvalidAuthorizationDetails,
    /// RFC 6750 §3.1: the access token is malformed, expired or revoked.
    InvalidToken,
    /// OID4VCI 1.0 §8.3.1.2.
    InvalidCredentialRequest,
    /// OID4VCI 1.0 §8.3.1.2.
    UnknownCredentialConfiguration,
    /// OID4VCI 1.0 §8.3.1.2.
    UnknownCredentialIdentifier,
    /// OID4VCI 1.0 §8.3.1.2: proofs missing or invalid, or a proof without `nonce`.
    InvalidProof,
    /// OID4VCI 1.0 §8.3.1.2: an unknown, expired or already used `c_nonce`.
    InvalidNonce,
    /// OID4VCI 1.0 §8.3.1.2.
    InvalidEncryptionParameters,
    /// OID4VCI 1.0 §8.3.1.2: unrecoverable, the wallet should not retry.
    CredentialRequestDenied,
    /// OID4VCI 1.0 §11.3.
    InvalidNotificationId,
    /// OID4VCI 1.0 §11.3.
    InvalidNotificationRequest,
    /// No such resource (unknown credential offer, unknown path).
    NotFound,
    /// RFC 6749 §5.2 (via §4.1.2.1): overload, rate limit, a failing backing store.
    TemporarilyUnavailable,
    /// An internal failure; details are logged, never returned.
    ServerError,
}

impl ErrorCode {
    /// The protocol name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidClientAttestation => "invalid_client_attestation",
            ErrorCode::UseAttestationChallenge => "use_attestation_challenge",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::InvalidRequestUri => "invalid_request_uri",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::InvalidAuthorizationDetails => "invalid_authorization_details",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidCredentialRequest => "invalid_credential_request",
            ErrorCode::UnknownCredentialConfiguration => "unknown_credential_configuration",
            ErrorCode::UnknownCredentialIdentifier => "unknown_credential_identifier",
            ErrorCode::InvalidProof => "invalid_proof",
            ErrorCode::InvalidNonce => "invalid_nonce",
            ErrorCode::InvalidEncryptionParameters => "invalid_encryption_parameters",
            ErrorCode::CredentialRequestDenied => "credential_request_denied",
            ErrorCode::InvalidNotificationId => "invalid_notification_id",
            ErrorCode::InvalidNotificationRequest => "invalid_notification_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::ServerError => "server_error",
        }
    }

    /// The usual HTTP status of the code (rate limiting overrides it with 429).
    fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidToken
            | ErrorCode::InvalidClientAttestation
            | ErrorCode::UseAttestationChallenge => StatusCode::UNAUTHORIZED,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error answered by the wallet API.
#[derive(Debug, Clone)]
pub struct WalletError {
    /// `None` only for a request without an access token (RFC 6750 §3.1: no error code).
    code: Option<ErrorCode>,
    status: StatusCode,
    description: String,
    /// Seconds for `Retry-After`.
    retry_after: Option<u64>,
    /// Extra body members (a fresh `c_nonce` for draft-13 wallets).
    extra: Map<String, Value>,
    /// The 401 challenge's scheme: `DPoP` when the request used DPoP or the token is
    /// DPoP-bound (RFC 9449 §7.1), else `Bearer`.
    dpop_challenge: bool,
}

impl WalletError {
    /// An error with `code`'s usual status and a description. The description is reduced to
    /// the characters RFC 6749 §5.2 allows, since it may echo wallet input.
    pub fn new(code: ErrorCode, description: impl AsRef<str>) -> Self {
        WalletError {
            code: Some(code),
            status: code.status(),
            description: sanitize(description.as_ref()),
            retry_after: None,
            extra: Map::new(),
            dpop_challenge: false,
        }
    }

    /// A DPoP problem at the credential or notification endpoint: 401 with a `DPoP`
    /// challenge (RFC 9449 §7.1).
    pub fn dpop_resource_error(code: ErrorCode, description: impl AsRef<str>) -> Self {
        let mut error = WalletError::new(code, description);
        error.status = StatusCode::UNAUTHORIZED;
        error.dpop_challenge = true;
        error
    }

    /// The same error under another status (e.g. 405 or 413 for a request the HTTP layer
    /// refused before any handler ran).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Answers a 401 with a `DPoP` challenge instead of a `Bearer` one.
    pub fn in_dpop_scheme(mut self) -> Self {
        self.dpop_challenge = true;
        self
    }

    /// 401 with a bare `Bearer` challenge: the request carried no (bearer) access token.
    pub fn missing_token() -> Self {
        WalletError {
            code: None,
            status: StatusCode::UNAUTHORIZED,
            description: String::new(),
            retry_after: None,
            extra: Map::new(),
            dpop_challenge: false,
        }
    }

    /// 429 `temporarily_unavailable` with `Retry-After`.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        let mut error = WalletError::new(
            ErrorCode::TemporarilyUnavailable,
            "too many requests from this client; retry later",
        );
        error.status = StatusCode::TOO_MANY_REQUESTS;
        error.retry_after = Some(retry_after_seconds.max(1));
        error
    }

    /// 503 for a failing backing service; the cause is logged, not returned.
    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "wallet request failed on a backing service");
        let mut error = WalletError::new(
            ErrorCode::TemporarilyUnavailable,
            "a backing service failed; retry later",
        );
        error.retry_after = Some(1);
        error
    }

    /// 500; the cause is logged, not returned.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "wallet request failed");
        WalletError::new(ErrorCode::ServerError, "an internal error occurred")
    }

    /// Adds a fresh `c_nonce` (and its lifetime) to the body, as draft-13 wallets expect on
    /// `invalid_proof`/`invalid_nonce`; 1.0 wallets ignore it and call the nonce endpoint.
    pub fn with_fresh_nonce(mut self, c_nonce: String, expires_in: u64) -> Self {
        self.extra.insert("c_nonce".into(), Value::String(c_nonce));
        self.extra
            .insert("c_nonce_expires_in".into(), Value::from(expires_in));
        self
    }

    /// The error code (`None` for a missing token).
    pub fn code(&self) -> Option<ErrorCode> {
        self.code
    }

    /// The (sanitised) description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Whether a fresh nonce belongs in the body (proof and nonce errors).
    pub fn wants_fresh_nonce(&self) -> bool {
        matches!(
            self.code,
            Some(ErrorCode::InvalidProof | ErrorCode::InvalidNonce)
        )
    }

    fn challenge(&self) -> HeaderValue {
        let (scheme, parameters) = if self.dpop_challenge {
            // RFC 9449 §7.1: the algorithms DPoP proofs may use.
            ("DPoP", format!(", algs=\"{}\"", DPOP_ALGS.join(" ")))
        } else {
            ("Bearer", String::new())
        };
        match self.code {
            // Descriptions are sanitised: no `"` or `\` can break the quoted string.
            Some(code) => HeaderValue::from_str(&format!(
                "{scheme} error=\"{}\", error_description=\"{}\"{parameters}",
                code.as_str(),
                self.description
            ))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer error=\"invalid_token\"")),
            None => {
                HeaderValue::from_str(&format!("{scheme}{}", parameters.trim_start_matches(',')))
                    .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
            }
        }
    }
}

impl fmt::Display for WalletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "{}: {}", code.as_str(), self.description),
            None => f.write_str("no access token"),
        }
    }
}

impl ResponseError for WalletError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, self.challenge()));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let Some(code) = self.code else {
            return response.finish();
        };
        if self.status.is_client_error() {
            // Codes only: descriptions may echo wallet input, and nothing here is secret.
            tracing::debug!(
                status = self.status.as_u16(),
                error = code.as_str(),
                "wallet request refused"
            );
        }
        let mut body = Map::new();
        body.insert("error".into(), json!(code.as_str()));
        body.insert("error_description".into(), json!(self.description));
        body.extend(self.extra.clone());
        response.json(Value::Object(body))
    }
}

/// Keeps the characters RFC 6749 §5.2 allows in `error_description` (printable ASCII
/// without `"` and `\`), at most 300 of them.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '?',
        })
        .take(300)
        .collect()
}

impl From<StoreError> for WalletError {
    fn from(error: StoreError) -> Self {
        WalletError::unavailable(&error)
    }
}

#[cfg(test)]
mod tests;
