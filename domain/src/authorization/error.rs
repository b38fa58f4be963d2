//! Typed rejections of AuthorizationSession commands. A rejected command writes nothing.

/// Why the AuthorizationSession aggregate rejected a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    /// The session does not exist.
    #[error("authorization session not found")]
    NotFound,
    /// `RequestAuthorization` on an existing session.
    #[error("authorization session already exists")]
    AlreadyExists,
    /// The session outlived `authorization.session_ttl` without completing.
    #[error("the authorization session has expired")]
    SessionExpired,
    /// The request breaks an invariant.
    #[error("invalid authorization request: {0}")]
    InvalidRequest(String),
    /// The presented `request_uri` is not this session's.
    #[error("the request_uri is not valid")]
    InvalidRequestUri,
    /// The pushed request's `request_uri` expired.
    #[error("the request_uri has expired")]
    RequestUriExpired,
    /// The pushed request's `request_uri` was already used (or login already started).
    #[error("the request_uri was already used")]
    RequestUriUsed,
    /// The `client_id` is not the one the request was made by.
    #[error("the client_id does not match the authorization request")]
    ClientMismatch,
    /// The login challenge is not this session's, or no login is pending.
    #[error("the login challenge is not valid")]
    InvalidLoginChallenge,
    /// The login challenge expired.
    #[error("the login challenge has expired")]
    LoginExpired,
    /// The login was already accepted or rejected.
    #[error("the login was already completed")]
    LoginCompleted,
    /// A wallet-initiated session can only be accepted with the claims of a new offer.
    #[error("this authorization request names no offer: supply the claims")]
    OfferRequired,
    /// A session started from an offer cannot be accepted with another offer.
    #[error("this authorization request is for an existing offer: claims cannot be supplied")]
    OfferAlreadyNamed,
    /// The presented authorization code is not this session's, or none was granted.
    #[error("the authorization code is not valid")]
    InvalidCode,
    /// The authorization code expired.
    #[error("the authorization code has expired")]
    CodeExpired,
    /// The token request's `redirect_uri` differs from the authorization request's.
    #[error("the redirect_uri does not match the authorization request")]
    RedirectUriMismatch,
    /// The `code_verifier` does not match the `code_challenge` (RFC 7636 §4.6).
    #[error("the code_verifier does not match the code_challenge")]
    PkceMismatch,
    /// The code is DPoP-bound and the token request's proof used another key, or none
    /// (RFC 9449 §10).
    #[error("the token request's DPoP key is not the one the authorization code is bound to")]
    DpopKeyMismatch,
    /// The code was presented again after a replay was already recorded: nothing more is
    /// recorded; the caller makes sure the token issued from it stays revoked.
    #[error("the authorization code was already used")]
    CodeReplayedAgain {
        /// The offer of the revoked token.
        offer_id: uuid::Uuid,
        /// The revoked redemption.
        redemption_id: uuid::Uuid,
    },
}
