//! The AuthorizationSession as an [`EventSourced`](crate::aggregate::EventSourced)
//! aggregate (the engine's command path) and a cqrs-es `Aggregate` (the given/when/then
//! tests), both over the pure core.

use super::command::AuthorizationCommand;
use super::decide::decide;
use super::error::AuthorizationError;
use super::event::AuthorizationEvent;
use super::state::AuthorizationSession;

crate::aggregate::event_sourced!(
    AuthorizationSession,
    type_name: "authorization_session",
    command: AuthorizationCommand,
    event: AuthorizationEvent,
    error: AuthorizationError,
    stream_id: super::stream_id,
    decide: decide,
);
