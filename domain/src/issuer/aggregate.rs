//! The Issuer as an [`EventSourced`](crate::aggregate::EventSourced) aggregate addressed by
//! its [`IssuerId`](super::IssuerId) (the engine's command path) and a cqrs-es `Aggregate`
//! (the given/when/then tests), both over the pure core.

use super::command::IssuerCommand;
use super::decide::decide;
use super::error::IssuerError;
use super::event::IssuerEvent;
use super::state::Issuer;

crate::aggregate::event_sourced!(
    Issuer,
    type_name: "issuer",
    command: IssuerCommand,
    event: IssuerEvent,
    error: IssuerError,
    stream_id: super::stream_id,
    id: super::IssuerId,
    decide: decide,
);
