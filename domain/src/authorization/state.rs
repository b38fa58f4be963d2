//! The AuthorizationSession's state: the fold of its events. `apply` only records facts.

use serde::{Deserialize, Serialize};

use super::error::AuthorizationError;
use super::event::*;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionStatus {
    /// Requested (a pushed request waits for `/authorize`).
    #[default]
    Requested,
    /// The browser is at the institution's login page.
    LoginPending,
    /// The institution accepted; an authorization code is out.
    Granted,
    /// The institution rejected, or the user was not the offer's subject. Terminal.
    Denied,
    /// The code was exchanged for an access token. Terminal (replays are recorded).
    Exchanged,
}

/// The AuthorizationSession aggregate's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuthorizationSession {
    /// The request; `None` until `AuthorizationRequested`.
    pub request: Option<AuthorizationRequested>,
    /// Current status.
    pub status: SessionStatus,
    /// Number of events applied (the stream version).
    pub version: u64,
    /// The pending (or completed) login hand-off.
    pub login: Option<LoginStarted>,
    /// The grant, once accepted.
    pub grant: Option<AuthorizationGranted>,
    /// The denial, if denied.
    pub denial: Option<AuthorizationDenied>,
    /// The exchange, once the code was used.
    pub exchange: Option<AuthorizationCodeExchanged>,
    /// How often the code was presented again after its exchange.
    pub replays: u32,
}

impl AuthorizationSession {
    /// Folds events into a state.
    pub fn from_events<'a>(
        events: impl IntoIterator<Item = &'a AuthorizationEvent>,
    ) -> AuthorizationSession {
        let mut session = AuthorizationSession::default();
        for event in events {
            session.apply(event.clone());
        }
        session
    }

    /// Records one event. Infallible and free of decisions.
    pub fn apply(&mut self, event: AuthorizationEvent) {
        self.version += 1;
        match event {
            AuthorizationEvent::AuthorizationRequested(requested) => {
                self.status = SessionStatus::Requested;
                self.request = Some(requested);
            }
            AuthorizationEvent::LoginStarted(login) => {
                self.status = SessionStatus::LoginPending;
                self.login = Some(login);
            }
            AuthorizationEvent::AuthorizationGranted(granted) => {
                self.status = SessionStatus::Granted;
                self.grant = Some(granted);
            }
            AuthorizationEvent::AuthorizationDenied(denied) => {
                self.status = SessionStatus::Denied;
                self.denial = Some(denied);
            }
            AuthorizationEvent::AuthorizationCodeExchanged(exchanged) => {
                self.status = SessionStatus::Exchanged;
                self.exchange = Some(exchanged);
            }
            AuthorizationEvent::AuthorizationCodeReplayed(_) => self.replays += 1,
        }
    }

    /// The request, or `NotFound` for a session that does not exist.
    pub fn request(&self) -> Result<&AuthorizationRequested, AuthorizationError> {
        self.request.as_ref().ok_or(AuthorizationError::NotFound)
    }

    /// Whether the session outlived its lifetime (see `AuthorizationRequested::expires_at`).
    pub fn is_expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.request
            .as_ref()
            .and_then(|r| r.expires_at)
            .is_some_and(|end| now >= end)
    }

    /// The offer the session redeems: the granted one, else the `issuer_state`'s.
    pub fn offer_id(&self) -> Option<uuid::Uuid> {
        self.grant
            .as_ref()
            .map(|g| g.offer_id)
            .or_else(|| self.request.as_ref().and_then(|r| r.offer_id))
    }
}
