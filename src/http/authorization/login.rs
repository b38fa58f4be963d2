//! The institution's side of the login hand-off: find the session a `login_challenge`
//! names, record the institution's decision, and build the URL the browser goes back to
//! the wallet with (`code`, or `error=access_denied`; always `state` and `iss`).
//!
//! The management API's `/authorization-sessions` handlers call these; the offer of a
//! wallet-initiated session is created there, as `POST /offers` creates offers.

use chrono::Duration;
use issuance_domain::authorization::{
    AcceptLogin, AuthorizationCommand, AuthorizationError, AuthorizationEvent,
    AuthorizationSession, DenialReason, GrantedOffer, RejectLogin,
};
use issuance_domain::{Digest, Sealed};
use uuid::Uuid;

use super::handles::{self, Handle};
use super::redirect::{self, Outcome};
use super::SessionError;
use crate::app::repository::{CommandMeta, RepositoryError};
use crate::http::management::error::ApiError;
use crate::http::state::Common;
use crate::http::wallet::errors::ErrorCode;

/// What the wallet is told when the login is denied (the institution's reason stays in
/// the event).
const DENIED: &str = "the user or the credential issuer denied the request";

/// A presented login challenge: its session, loaded, and its digest.
pub struct Challenge {
    /// The session it names.
    pub session_id: Uuid,
    /// The session's state.
    pub session: AuthorizationSession,
    /// SHA-256 of the challenge.
    pub hash: Digest,
}

impl Challenge {
    /// Whether the challenge is the session's (constant-time); a read-only check for
    /// showing the session, the commands check it again.
    pub fn matches(&self) -> bool {
        self.session
            .login
            .as_ref()
            .is_some_and(|login| login.challenge_hash.ct_eq(&self.hash))
    }
}

/// How a login ended.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The session.
    pub session_id: Uuid,
    /// Where the institution sends the browser.
    pub redirect_to: String,
    /// Why it was denied, if it was.
    pub denied: Option<DenialReason>,
    /// The offer the code redeems, if granted.
    pub offer_id: Option<Uuid>,
}

/// The session a login challenge names; 404 if none.
pub async fn challenge(state: &Common, text: &str) -> Result<Challenge, ApiError> {
    let unknown = || ApiError::not_found("no authorization session has this login challenge");
    let session_id = handles::session_of(text).ok_or_else(unknown)?;
    let session = state
        .authorization
        .sessions
        .load(session_id)
        .await
        .map_err(session_error)?;
    session.request.as_ref().ok_or_else(unknown)?;
    Ok(Challenge {
        session_id,
        session,
        hash: handles::hash_of(text),
    })
}

/// Records the acceptance and issues the authorization code (valid `code_ttl` seconds);
/// a user who is not the offer's subject is denied instead. The subject is recorded only
/// as `sealed_subject` (sealed with the data key of the offer the code redeems).
pub async fn accept(
    state: &Common,
    meta: &CommandMeta,
    challenge: &Challenge,
    subject: &str,
    sealed_subject: &Sealed,
    offer: GrantedOffer,
) -> Result<LoginOutcome, ApiError> {
    let code = Handle::new(challenge.session_id);
    let ttl = i64::try_from(state.settings.authorization.code_ttl).unwrap_or(60);
    let executed = state
        .authorization
        .sessions
        .execute(challenge.session_id, meta, |_, now| {
            AuthorizationCommand::Accept(AcceptLogin {
                now,
                challenge_hash: challenge.hash,
                subject: subject.to_string(),
                sealed_subject: sealed_subject.clone(),
                offer: offer.clone(),
                code_hash: code.hash,
                code_expires_at: now + Duration::seconds(ttl),
            })
        })
        .await
        .map_err(session_error)?;
    let outcome = match executed.events.as_slice() {
        [AuthorizationEvent::AuthorizationDenied(denied)] => Err(denied.reason),
        _ => Ok(code.text.as_str()),
    };
    finish(state, challenge.session_id, &executed.state, outcome)
}

/// Records the rejection.
pub async fn reject(
    state: &Common,
    meta: &CommandMeta,
    challenge: &Challenge,
    description: Option<String>,
) -> Result<LoginOutcome, ApiError> {
    let executed = state
        .authorization
        .sessions
        .execute(challenge.session_id, meta, |_, now| {
            AuthorizationCommand::Reject(RejectLogin {
                now,
                challenge_hash: challenge.hash,
                description: description.clone(),
            })
        })
        .await
        .map_err(session_error)?;
    finish(
        state,
        challenge.session_id,
        &executed.state,
        Err(DenialReason::Rejected),
    )
}

/// The answer to the institution: where the browser goes next.
fn finish(
    state: &Common,
    session_id: Uuid,
    session: &AuthorizationSession,
    outcome: Result<&str, DenialReason>,
) -> Result<LoginOutcome, ApiError> {
    let request = session
        .request
        .as_ref()
        .ok_or_else(|| ApiError::internal(&"decided session without request"))?;
    let response = match outcome {
        Ok(code) => Outcome::Code(code),
        Err(_) => Outcome::Error(ErrorCode::AccessDenied, DENIED),
    };
    let redirect_to = redirect::to_wallet(
        &request.redirect_uri,
        &state.issuer_url,
        request.state.as_deref(),
        response,
    )
    .map_err(|e| ApiError::internal(&e))?;
    Ok(LoginOutcome {
        session_id,
        redirect_to,
        denied: outcome.err(),
        offer_id: session.grant.as_ref().map(|g| g.offer_id),
    })
}

/// The management API's answer to a session failure.
pub fn session_error(error: SessionError) -> ApiError {
    match error {
        RepositoryError::Rejected(rejection) => login_rejection(rejection),
        RepositoryError::Store(e) => e.into(),
        RepositoryError::Corrupt { .. } => ApiError::internal(&error),
        RepositoryError::Contention(_) => ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "contention",
            error.to_string(),
        ),
    }
}

/// The management API's answer to a rejected accept or reject.
pub fn login_rejection(error: AuthorizationError) -> ApiError {
    use actix_web::http::StatusCode;
    match error {
        AuthorizationError::NotFound | AuthorizationError::InvalidLoginChallenge => {
            ApiError::not_found("no pending login has this login challenge")
        }
        AuthorizationError::LoginExpired | AuthorizationError::SessionExpired => {
            ApiError::new(StatusCode::GONE, "login_expired", error.to_string())
        }
        AuthorizationError::LoginCompleted => {
            ApiError::conflict("login_completed", error.to_string())
        }
        AuthorizationError::OfferRequired => ApiError::invalid_request(
            "this wallet-initiated request names no offer: supply the claims to issue",
        ),
        AuthorizationError::OfferAlreadyNamed => ApiError::invalid_request(
            "this request redeems an existing offer, whose claims are issued: do not supply claims",
        ),
        AuthorizationError::InvalidRequest(reason) => ApiError::invalid_request(reason),
        other => ApiError::conflict("invalid_state", other.to_string()),
    }
}
