//! The status list as an [`EventSourced`](crate::aggregate::EventSourced) aggregate (the
//! engine's command path) and a cqrs-es `Aggregate` (the given/when/then tests).

use super::{decide, StatusListCommand, StatusListEvent, StatusListStream, StatusListStreamError};

crate::aggregate::event_sourced!(
    StatusListStream,
    type_name: "status_list",
    command: StatusListCommand,
    event: StatusListEvent,
    error: StatusListStreamError,
    stream_id: super::stream_id,
    decide: decide,
);
