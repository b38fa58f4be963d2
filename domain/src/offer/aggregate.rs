//! The Offer as an [`EventSourced`](crate::aggregate::EventSourced) aggregate for the
//! engine's command path, and as a cqrs-es `Aggregate`, so that cqrs-es's given/when/then
//! `TestFramework` drives the unit tests. Both wrap the pure core.
//!
//! The engine's own command path calls [`decide`](super::decide) through `EventSourced` (it
//! needs the global log position and group commit, which cqrs-es 0.5's stores do not
//! offer).

use super::command::OfferCommand;
use super::decide::decide;
use super::error::OfferError;
use super::event::OfferEvent;
use super::state::Offer;

crate::aggregate::event_sourced!(
    Offer,
    type_name: "offer",
    command: OfferCommand,
    event: OfferEvent,
    error: OfferError,
    stream_id: super::stream_id,
    decide: decide,
);
