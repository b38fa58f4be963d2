//! The authorization-code flow (OID4VCI 1.0 §5, §6; RFC 6749 §4.1) on the wallet API, and
//! the login hand-off to the institution.
//!
//! ```text
//! wallet ──POST /par──────────▶ AuthorizationRequested            (par, request)
//! browser ─GET /authorize─────▶ LoginStarted ──302──▶ institution's login_url?login_challenge=…
//! institution ─PUT /authorization-sessions/{challenge}/accept|reject (management API)
//!                             ▶ AuthorizationGranted | AuthorizationDenied
//!                             ◀ {"redirect_to": "<redirect_uri>?code=…&state=…&iss=…"}
//! wallet ──POST /token (authorization_code, PKCE)──▶ AuthorizationCodeExchanged, then
//!                                                     OfferRedeemed on the offer's stream
//! ```
//!
//! - [`request`]: validation of authorization request parameters (PAR and direct);
//!   [`clients`]: the wallet clients; [`handles`]: request URIs, login challenges, codes.
//! - [`par`], [`authorize`]: the two endpoints; [`redirect`]: responses to the wallet.
//! - [`login`]: accepting or rejecting a login (the management API's handlers call it).
//! - [`sessions`]: the flow's session commands and clients, as the application state holds them.
//! - [`token_exchange`]: the `authorization_code` grant; [`dpop`]: DPoP proofs (RFC 9449);
//!   [`client_attestation`]: wallet attestations as client authentication (PAR, token),
//!   with [`attestation_challenge`]s; [`nonce_headers`]: the server nonces on every answer.

pub mod attestation_challenge;
pub mod authorize;
pub mod client_attestation;
pub mod clients;
pub mod dpop;
pub mod handles;
pub mod login;
pub mod nonce_headers;
pub mod par;
pub mod redirect;
pub mod request;
pub mod sessions;
pub mod token_exchange;

pub use sessions::{Authorization, SessionError, SessionRepository};

use issuance_domain::authorization::AuthorizationError;

use crate::config::AuthorizationSettings;
use crate::http::wallet::errors::{ErrorCode, WalletError};

/// The endpoints exist only when a login URL is configured.
fn ensure_enabled(settings: &AuthorizationSettings) -> Result<&str, WalletError> {
    settings
        .login_url
        .as_deref()
        .ok_or_else(|| WalletError::new(ErrorCode::NotFound, "no such endpoint"))
}

/// A session rejection where no endpoint-specific answer applies.
pub(crate) fn session_rejection(error: AuthorizationError) -> WalletError {
    match error {
        AuthorizationError::InvalidRequest(reason) => {
            WalletError::new(ErrorCode::InvalidRequest, reason)
        }
        AuthorizationError::AlreadyExists => WalletError::internal(&error),
        other => WalletError::new(ErrorCode::InvalidRequest, other.to_string()),
    }
}
