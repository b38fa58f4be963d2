//! What every aggregate of the engine shares: a pure `decide`, an infallible `evolve`, one
//! stream per instance, and events stored as `(event_type, event_version, payload)`.
//!
//! The service's command path (`src/app/repository.rs`) is written once against
//! [`EventSourced`] and serves the Offer and the AuthorizationSession alike. Instances are
//! addressed by a UUID unless the aggregate names another id type (the Issuer's is a
//! slug: `EventSourced<IssuerId>`), so code written for `A: EventSourced` keeps meaning
//! UUID-addressed aggregates.

use serde_json::Value;
use uuid::Uuid;

/// An event-sourced aggregate: state folded from events, commands decided against it;
/// `Id` addresses an instance (a UUID unless the aggregate says otherwise).
pub trait EventSourced<Id = Uuid>: Default + Clone + Send + Sync + 'static {
    /// What callers ask for; every input a rule needs is a field.
    type Command: Send;
    /// What happened.
    type Event: StoredEvent + Clone + Send + Sync + 'static;
    /// Why a command was rejected (nothing is written then).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The stream of the instance with this id, e.g. `offer-<uuid>`.
    fn stream_id(id: Id) -> String;

    /// The events `command` produces against the current state, or a typed rejection.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Records one event: infallible, no decisions.
    fn evolve(&mut self, event: Self::Event);

    /// Number of events applied (0 = the instance does not exist).
    fn version(&self) -> u64;

    /// The issuer the instance belongs to, once `events` (just decided) are applied: the
    /// events' metadata records it, so that consumers of any event know it. `None` for
    /// aggregates that belong to no issuer, and for the default issuer.
    fn issuer_of(&self, _events: &[Self::Event]) -> Option<String> {
        None
    }
}

/// An event as the event store keeps it: a stable type name, a schema version and the
/// variant's struct serialised on its own (not externally tagged), so that a variant can be
/// renamed in code without breaking stored rows.
pub trait StoredEvent: Sized {
    /// The stable type name stored with the event.
    fn event_type(&self) -> &'static str;

    /// The schema version written for new events.
    fn event_version(&self) -> u32;

    /// The payload as stored.
    fn payload(&self) -> Value;

    /// Decodes a stored event; the upcasting point for older versions.
    fn decode(event_type: &str, version: u32, payload: &Value) -> Result<Self, DecodeError>;
}

/// Why a stored event could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The type name is not an event of this aggregate.
    #[error("unknown event type {0}")]
    UnknownType(String),
    /// A version newer than this code understands.
    #[error("unsupported version {version} of {event_type}")]
    UnsupportedVersion {
        /// The type.
        event_type: String,
        /// The stored version.
        version: u32,
    },
    /// The payload does not match the schema.
    #[error("malformed {event_type} payload: {source}")]
    Malformed {
        /// The type.
        event_type: String,
        /// The serde error.
        source: serde_json::Error,
    },
}

/// Refuses versions this code does not know (0, or newer than `current`).
pub fn check_version(event_type: &str, version: u32, current: u32) -> Result<(), DecodeError> {
    if version > current || version == 0 {
        return Err(DecodeError::UnsupportedVersion {
            event_type: event_type.to_string(),
            version,
        });
    }
    Ok(())
}

/// Deserialises one event payload, naming the type on failure.
pub fn parse_payload<T: serde::de::DeserializeOwned>(
    event_type: &str,
    payload: &Value,
) -> Result<T, DecodeError> {
    T::deserialize(payload).map_err(|source| DecodeError::Malformed {
        event_type: event_type.to_string(),
        source,
    })
}

/// Serialises one event payload. Plain data structs with string keys always serialise; the
/// fallback only satisfies the type.
pub fn to_payload<T: serde::Serialize>(event: &T) -> Value {
    serde_json::to_value(event).unwrap_or(Value::Null)
}

/// Implements [`EventSourced`] (the engine's command path) and cqrs-es's `Aggregate` (its
/// given/when/then `TestFramework`) for an aggregate over its pure core: a `decide`
/// function, an inherent infallible `apply` and a `version` field. Instances are addressed
/// by UUID unless `id: <type>` follows `stream_id`.
macro_rules! event_sourced {
    (
        $aggregate:ty,
        type_name: $type_name:literal,
        command: $command:ty,
        event: $event:ty,
        error: $error:ty,
        stream_id: $stream_id:path,
        decide: $decide:path
        $(, issuer_of: $issuer_of:path)? $(,)?
    ) => {
        $crate::aggregate::event_sourced!(
            $aggregate,
            type_name: $type_name,
            command: $command,
            event: $event,
            error: $error,
            stream_id: $stream_id,
            id: uuid::Uuid,
            decide: $decide
            $(, issuer_of: $issuer_of)?
        );
    };
    (
        $aggregate:ty,
        type_name: $type_name:literal,
        command: $command:ty,
        event: $event:ty,
        error: $error:ty,
        stream_id: $stream_id:path,
        id: $id:ty,
        decide: $decide:path
        $(, issuer_of: $issuer_of:path)? $(,)?
    ) => {
        impl $crate::aggregate::EventSourced<$id> for $aggregate {
            type Command = $command;
            type Event = $event;
            type Error = $error;

            fn stream_id(id: $id) -> String {
                $stream_id(id)
            }

            fn decide(&self, command: $command) -> Result<Vec<$event>, $error> {
                $decide(self, command)
            }

            fn evolve(&mut self, event: $event) {
                <$aggregate>::apply(self, event);
            }

            fn version(&self) -> u64 {
                self.version
            }

            $(
                fn issuer_of(&self, events: &[$event]) -> Option<String> {
                    $issuer_of(self, events)
                }
            )?
        }

        // cqrs-es is the test framework's: its traits are implemented for the tests only.
        #[cfg(test)]
        impl cqrs_es::Aggregate for $aggregate {
            const TYPE: &'static str = $type_name;
            type Command = $command;
            type Event = $event;
            type Error = $error;
            type Services = ();

            async fn handle(
                &mut self,
                command: Self::Command,
                _services: &Self::Services,
                sink: &cqrs_es::event_sink::EventSink<Self>,
            ) -> Result<(), Self::Error> {
                for event in $decide(self, command)? {
                    sink.write(event, self).await;
                }
                Ok(())
            }

            fn apply(&mut self, event: Self::Event) {
                <$aggregate>::apply(self, event);
            }
        }
    };
}

pub(crate) use event_sourced;
