//! The AuthorizationSession aggregate: one authorization-code flow (OID4VCI 1.0 §5, §6;
//! RFC 6749 §4.1; PAR RFC 9126; PKCE RFC 7636; DPoP RFC 9449 §10), from the wallet's
//! authorization request to the exchange of the code. Stream `authz-<uuid>`.
//!
//! ```text
//! Requested ──/authorize──▶ LoginPending ──accept──▶ Granted ──token──▶ Exchanged
//!                                  └──reject / subject mismatch──▶ Denied
//! ```
//!
//! The session never issues anything itself: the granted code names an Offer (the one of
//! the `issuer_state`, or one created from the claims the institution supplies), and the
//! token endpoint redeems that offer once the session has accepted the exchange.
//!
//! - [`command`], [`event`], [`error`]: what is asked, what happened, what was refused.
//! - [`decide`](crate::http::authorization::decide): every rule; [`state`]: the fold.

mod aggregate;
pub mod command;
pub mod decide;
pub mod error;
pub mod event;
pub mod state;

#[cfg(test)]
mod tests;

pub use command::*;
pub use decide::{decide, ensure_acceptable};
pub use error::AuthorizationError;
pub use event::*;
pub use state::{AuthorizationSession, SessionStatus};

/// Prefix of every authorization session stream.
pub const STREAM_PREFIX: &str = "authz-";

/// The stream id of a session: `authz-<uuid>`.
pub fn stream_id(session_id: uuid::Uuid) -> String {
    format!("{STREAM_PREFIX}{session_id}")
}

/// The session id of a session stream id.
pub fn session_id_of_stream(stream_id: &str) -> Option<uuid::Uuid> {
    stream_id
        .strip_prefix(STREAM_PREFIX)
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
}
