//! The cqrs-es `Aggregate` wrapper around the pure core, so the Offer can be driven by a
//! `CqrsFramework` and tested with cqrs-es's given/when/then `TestFramework`.
//!
//! The engine's own command path calls [`decide`](super::decide) directly (it needs the
//! global log position and group commit, which cqrs-es 0.5's stores do not offer).

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;

use super::command::OfferCommand;
use super::decide::decide;
use super::error::OfferError;
use super::event::OfferEvent;
use super::state::Offer;

impl Aggregate for Offer {
    const TYPE: &'static str = "offer";
    type Command = OfferCommand;
    type Event = OfferEvent;
    type Error = OfferError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in decide(self, command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        Offer::apply(self, event);
    }
}
