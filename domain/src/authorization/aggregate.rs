//! The cqrs-es `Aggregate` wrapper (for the given/when/then tests) and the engine's own
//! [`EventSourced`] implementation (for the command path), both over the pure core.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;

use super::command::AuthorizationCommand;
use super::decide::decide;
use super::error::AuthorizationError;
use super::event::AuthorizationEvent;
use super::state::AuthorizationSession;
use crate::aggregate::EventSourced;

impl Aggregate for AuthorizationSession {
    const TYPE: &'static str = "authorization_session";
    type Command = AuthorizationCommand;
    type Event = AuthorizationEvent;
    type Error = AuthorizationError;
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
        AuthorizationSession::apply(self, event);
    }
}

impl EventSourced for AuthorizationSession {
    type Command = AuthorizationCommand;
    type Event = AuthorizationEvent;
    type Error = AuthorizationError;

    fn stream_id(id: uuid::Uuid) -> String {
        super::stream_id(id)
    }

    fn decide(
        &self,
        command: AuthorizationCommand,
    ) -> Result<Vec<AuthorizationEvent>, AuthorizationError> {
        decide(self, command)
    }

    fn evolve(&mut self, event: AuthorizationEvent) {
        self.apply(event);
    }

    fn version(&self) -> u64 {
        self.version
    }
}
