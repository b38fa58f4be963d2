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
    issuer_of: issuer_of,
);

/// The offer's issuer: recorded by its creation (`None` for the default issuer).
fn issuer_of(offer: &Offer, events: &[OfferEvent]) -> Option<String> {
    let created = events.iter().find_map(|event| match event {
        OfferEvent::OfferCreated(created) => Some(created),
        _ => None,
    });
    created
        .or(offer.definition.as_ref())
        .and_then(|definition| definition.issuer_id.clone())
}
