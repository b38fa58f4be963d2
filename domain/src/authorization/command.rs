//! Commands to the AuthorizationSession aggregate. The adapter computes every hash (of the
//! request URI, login challenge, code, PKCE verifier), generates every id and reads the
//! clock; the aggregate compares digests in constant time and decides.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::event::AuthorizationRequested;
use crate::digest::Digest;
use crate::sealed::Sealed;

/// Everything the AuthorizationSession aggregate can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizationCommand {
    /// Record a validated authorization request (PAR, or `/authorize` without PAR).
    Request(RequestAuthorization),
    /// `/authorize`: spend the pushed request and hand the browser to the login page.
    StartLogin(StartLogin),
    /// The institution authenticated the user and accepts.
    Accept(AcceptLogin),
    /// The institution rejects.
    Reject(RejectLogin),
    /// The token endpoint exchanges the authorization code.
    ExchangeCode(ExchangeCode),
}

/// Record an authorization request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestAuthorization {
    /// The current time.
    pub now: DateTime<Utc>,
    /// The validated request.
    pub request: AuthorizationRequested,
}

/// Start the login hand-off.
#[derive(Debug, Clone, PartialEq)]
pub struct StartLogin {
    /// The current time.
    pub now: DateTime<Utc>,
    /// The `client_id` of the `/authorize` request; must be the pushed request's
    /// (RFC 9126 §4).
    pub client_id: String,
    /// SHA-256 of the presented `request_uri`; `None` for a request that was not pushed.
    pub request_uri_hash: Option<Digest>,
    /// SHA-256 of the new login challenge.
    pub challenge_hash: Digest,
    /// When the challenge stops working.
    pub challenge_expires_at: DateTime<Utc>,
}

/// The offer a granted code will redeem.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantedOffer {
    /// The session's own offer (from `issuer_state`), with the subject it was made for, if
    /// any: the authenticated user must be that subject.
    Existing {
        /// The offer's `subject`, opened by the caller with the offer's data key.
        offer_subject: Option<String>,
    },
    /// Wallet-initiated: the offer created from the claims the institution supplied.
    Created {
        /// Its id.
        offer_id: Uuid,
    },
}

/// Accept the login.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptLogin {
    /// The current time.
    pub now: DateTime<Utc>,
    /// SHA-256 of the presented login challenge.
    pub challenge_hash: Digest,
    /// The authenticated user's subject identifier (compared, never recorded in plaintext).
    pub subject: String,
    /// The same, sealed with the data key of the offer the code redeems (recorded).
    pub sealed_subject: Sealed,
    /// The offer the code will redeem.
    pub offer: GrantedOffer,
    /// SHA-256 of the new authorization code.
    pub code_hash: Digest,
    /// When the code stops working.
    pub code_expires_at: DateTime<Utc>,
}

/// Reject the login.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectLogin {
    /// The current time.
    pub now: DateTime<Utc>,
    /// SHA-256 of the presented login challenge.
    pub challenge_hash: Digest,
    /// The institution's explanation (recorded, never sent to the wallet).
    pub description: Option<String>,
}

/// Exchange the authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeCode {
    /// The current time.
    pub now: DateTime<Utc>,
    /// SHA-256 of the presented code.
    pub code_hash: Digest,
    /// The token request's `client_id`.
    pub client_id: String,
    /// The token request's `redirect_uri`.
    pub redirect_uri: String,
    /// SHA-256 of the presented `code_verifier` (the S256 transformation, RFC 7636 §4.2).
    pub code_verifier_hash: Digest,
    /// Thumbprint of the token request's DPoP proof key, if it carried one.
    pub dpop_jkt: Option<String>,
    /// The redemption (access token) to create if the exchange succeeds.
    pub redemption_id: Uuid,
}
