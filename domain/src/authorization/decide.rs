//! `decide(session, command)`: every rule of the authorization-code flow's session.
//!
//! Lifecycle: `Requested ──/authorize──▶ LoginPending ──accept──▶ Granted ──token──▶
//! Exchanged`, or `LoginPending ──reject / subject mismatch──▶ Denied`. Two rejections are
//! facts worth recording and so return events: a subject mismatch at accept
//! (`AuthorizationDenied`, the wallet gets `access_denied`), and the first second use of an
//! exchanged code (`AuthorizationCodeReplayed`, the caller revokes the token issued from it,
//! RFC 6749 §4.1.2) — the caller then answers the request with an error. Further uses are
//! rejected without events, so a code cannot be used to grow the log.
//!
//! A session that has not completed by its `expires_at` (the request's time plus
//! `authorization.session_ttl`) is over: every command is `SessionExpired`, nothing is
//! recorded. Only the replay of an exchanged code is still recognised, since the token it
//! gave may outlive the session.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::command::*;
use super::error::AuthorizationError;
use super::event::*;
use super::state::{AuthorizationSession, SessionStatus};
use crate::digest::Digest;

/// Decides which events a command produces against the current state.
pub fn decide(
    session: &AuthorizationSession,
    command: AuthorizationCommand,
) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
    match command {
        AuthorizationCommand::Request(c) => request(session, c),
        AuthorizationCommand::StartLogin(c) => start_login(session, c),
        AuthorizationCommand::Accept(c) => accept(session, c),
        AuthorizationCommand::Reject(c) => reject(session, c),
        AuthorizationCommand::ExchangeCode(c) => exchange(session, c),
    }
}

fn request(
    session: &AuthorizationSession,
    command: RequestAuthorization,
) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
    if session.request.is_some() {
        return Err(AuthorizationError::AlreadyExists);
    }
    let request = command.request;
    let invalid = |reason: &str| Err(AuthorizationError::InvalidRequest(reason.into()));
    let ids = &request.credential_configuration_ids;
    if ids.is_empty() {
        return invalid("no credential configuration requested");
    }
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return invalid("credential configurations repeat");
    }
    if request.client_id.is_empty() {
        return invalid("client_id is empty");
    }
    if request.redirect_uri.is_empty() {
        return invalid("redirect_uri is empty");
    }
    if let Some(pushed) = &request.pushed {
        if pushed.expires_at <= command.now {
            return invalid("the request_uri must expire in the future");
        }
    }
    if request.expires_at.is_some_and(|end| end <= command.now) {
        return invalid("the session must expire in the future");
    }
    Ok(vec![AuthorizationEvent::AuthorizationRequested(request)])
}

/// Refuses every command once the session outlived its lifetime.
fn ensure_session_live(
    request: &AuthorizationRequested,
    now: DateTime<Utc>,
) -> Result<(), AuthorizationError> {
    match request.expires_at {
        Some(end) if now >= end => Err(AuthorizationError::SessionExpired),
        _ => Ok(()),
    }
}

fn start_login(
    session: &AuthorizationSession,
    command: StartLogin,
) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
    let request = session.request()?;
    match (&request.pushed, &command.request_uri_hash) {
        (Some(pushed), Some(presented)) => {
            if !pushed.request_uri_hash.ct_eq(presented) {
                return Err(AuthorizationError::InvalidRequestUri);
            }
        }
        (Some(_), None) | (None, Some(_)) => return Err(AuthorizationError::InvalidRequestUri),
        (None, None) => {}
    }
    if request.client_id != command.client_id {
        return Err(AuthorizationError::ClientMismatch);
    }
    if session.status != SessionStatus::Requested {
        // RFC 9126 §4: a request_uri is used once.
        return Err(AuthorizationError::RequestUriUsed);
    }
    if let Some(pushed) = &request.pushed {
        if command.now >= pushed.expires_at {
            return Err(AuthorizationError::RequestUriExpired);
        }
    }
    ensure_session_live(request, command.now)?;
    if command.challenge_expires_at <= command.now {
        return Err(AuthorizationError::InvalidRequest(
            "the login challenge must expire in the future".into(),
        ));
    }
    Ok(vec![AuthorizationEvent::LoginStarted(LoginStarted {
        challenge_hash: command.challenge_hash,
        expires_at: command.challenge_expires_at,
    })])
}

/// Checks a presented login challenge against a pending login.
fn ensure_login_pending(
    session: &AuthorizationSession,
    challenge_hash: &Digest,
    now: DateTime<Utc>,
) -> Result<(), AuthorizationError> {
    let request = session.request()?;
    let login = session
        .login
        .as_ref()
        .ok_or(AuthorizationError::InvalidLoginChallenge)?;
    if !login.challenge_hash.ct_eq(challenge_hash) {
        return Err(AuthorizationError::InvalidLoginChallenge);
    }
    if session.status != SessionStatus::LoginPending {
        return Err(AuthorizationError::LoginCompleted);
    }
    if now >= login.expires_at {
        return Err(AuthorizationError::LoginExpired);
    }
    ensure_session_live(request, now)
}

/// Checks that the login behind `challenge_hash` can be accepted with `offer`, before the
/// adapter creates anything for it (the offer of a wallet-initiated session). [`decide`]
/// applies the same rules to `AcceptLogin`.
pub fn ensure_acceptable(
    session: &AuthorizationSession,
    challenge_hash: &Digest,
    wallet_initiated_offer: bool,
    now: DateTime<Utc>,
) -> Result<(), AuthorizationError> {
    ensure_login_pending(session, challenge_hash, now)?;
    match (session.request()?.offer_id, wallet_initiated_offer) {
        (Some(_), true) => Err(AuthorizationError::OfferAlreadyNamed),
        (None, false) => Err(AuthorizationError::OfferRequired),
        _ => Ok(()),
    }
}

fn accept(
    session: &AuthorizationSession,
    command: AcceptLogin,
) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
    let wallet_initiated = matches!(command.offer, GrantedOffer::Created { .. });
    ensure_acceptable(
        session,
        &command.challenge_hash,
        wallet_initiated,
        command.now,
    )?;
    if command.subject.is_empty() {
        return Err(AuthorizationError::InvalidRequest(
            "the subject is empty".into(),
        ));
    }
    if command.code_expires_at <= command.now {
        return Err(AuthorizationError::InvalidRequest(
            "the authorization code must expire in the future".into(),
        ));
    }
    let offer_id = match (command.offer, session.request()?.offer_id) {
        (GrantedOffer::Created { offer_id }, None) => offer_id,
        (GrantedOffer::Existing { offer_subject }, Some(offer_id)) => {
            if offer_subject.is_some_and(|expected| expected != command.subject) {
                return Ok(vec![AuthorizationEvent::AuthorizationDenied(
                    AuthorizationDenied {
                        reason: DenialReason::SubjectMismatch,
                        description: Some(
                            "the authenticated user is not the offer's subject".into(),
                        ),
                    },
                )]);
            }
            offer_id
        }
        // `ensure_acceptable` refused the other combinations.
        (GrantedOffer::Created { .. }, Some(_)) => {
            return Err(AuthorizationError::OfferAlreadyNamed)
        }
        (GrantedOffer::Existing { .. }, None) => return Err(AuthorizationError::OfferRequired),
    };
    Ok(vec![AuthorizationEvent::AuthorizationGranted(
        AuthorizationGranted {
            sealed_subject: Some(command.sealed_subject),
            offer_id,
            code_hash: command.code_hash,
            code_expires_at: command.code_expires_at,
            legacy_subject: None,
        },
    )])
}

fn reject(
    session: &AuthorizationSession,
    command: RejectLogin,
) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
    ensure_login_pending(session, &command.challenge_hash, command.now)?;
    Ok(vec![AuthorizationEvent::AuthorizationDenied(
        AuthorizationDenied {
            reason: DenialReason::Rejected,
            description: command.description,
        },
    )])
}

fn exchange(
    session: &AuthorizationSession,
    command: ExchangeCode,
) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
    let request = session.request()?;
    let grant = session
        .grant
        .as_ref()
        .ok_or(AuthorizationError::InvalidCode)?;
    if !grant.code_hash.ct_eq(&command.code_hash) {
        return Err(AuthorizationError::InvalidCode);
    }
    if let Some(exchanged) = &session.exchange {
        // RFC 6749 §4.1.2: deny, and revoke the tokens issued from the code — recorded
        // once; later uses are refused without a trace in the log.
        if session.replays > 0 {
            return Err(AuthorizationError::CodeReplayedAgain {
                offer_id: grant.offer_id,
                redemption_id: exchanged.redemption_id,
            });
        }
        return Ok(vec![AuthorizationEvent::AuthorizationCodeReplayed(
            AuthorizationCodeReplayed {
                offer_id: grant.offer_id,
                redemption_id: exchanged.redemption_id,
            },
        )]);
    }
    if command.now >= grant.code_expires_at {
        return Err(AuthorizationError::CodeExpired);
    }
    ensure_session_live(request, command.now)?;
    // RFC 6749 §4.1.3: issued to this client, for this redirect URI (exact match).
    if request.client_id != command.client_id {
        return Err(AuthorizationError::ClientMismatch);
    }
    if request.redirect_uri != command.redirect_uri {
        return Err(AuthorizationError::RedirectUriMismatch);
    }
    // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
    if !request.code_challenge.ct_eq(&command.code_verifier_hash) {
        return Err(AuthorizationError::PkceMismatch);
    }
    if let Some(bound) = &request.dpop_jkt {
        if command.dpop_jkt.as_deref() != Some(bound.as_str()) {
            return Err(AuthorizationError::DpopKeyMismatch);
        }
    }
    Ok(vec![AuthorizationEvent::AuthorizationCodeExchanged(
        AuthorizationCodeExchanged {
            redemption_id: command.redemption_id,
        },
    )])
}
