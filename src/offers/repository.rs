//! Loading and changing offers through the event store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use issuance_domain::offer::{decide, stream_id, Offer, OfferCommand, OfferError, OfferEvent};
use issuance_domain::{EventMetadata, LogPosition, NewEvent};
use uuid::Uuid;

use crate::clock::Clock;
use crate::store::{EventStore, ExpectedVersion, StoreError};

/// How often a command is re-decided after losing an optimistic-concurrency race (only
/// writers on other nodes can cause one: this node serialises its own, see [`Stripes`]).
const MAX_ATTEMPTS: usize = 16;

/// Number of lock stripes.
const STRIPES: usize = 1024;

/// Striped locks that serialise this process's commands on one offer: racing writers wait
/// instead of loading, deciding and failing their append over and over.
struct Stripes(Vec<tokio::sync::Mutex<()>>);

impl Stripes {
    fn new() -> Self {
        Stripes((0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    fn of(&self, offer_id: Uuid) -> &tokio::sync::Mutex<()> {
        let index = (offer_id.as_u128() % STRIPES as u128) as usize;
        &self.0[index]
    }
}

/// Who issues a command, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct CommandMeta {
    /// API key name, `wallet` or `system`.
    pub actor: String,
    /// The HTTP request id.
    pub request_id: Option<String>,
    /// The client IP, when recording it is enabled.
    pub client_ip: Option<String>,
    /// The wallet's holder key thumbprint, when known.
    pub holder_key_thumbprint: Option<String>,
}

impl CommandMeta {
    /// Metadata for the engine's own decisions.
    pub fn system() -> Self {
        CommandMeta {
            actor: "system".into(),
            ..Default::default()
        }
    }

    fn at(&self, occurred_at: DateTime<Utc>) -> EventMetadata {
        EventMetadata {
            actor: self.actor.clone(),
            request_id: self.request_id.clone(),
            occurred_at,
            client_ip: self.client_ip.clone(),
            holder_key_thumbprint: self.holder_key_thumbprint.clone(),
        }
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The aggregate rejected it.
    #[error(transparent)]
    Rejected(#[from] OfferError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event could not be decoded.
    #[error("offer {offer_id} has an undecodable event: {detail}")]
    Corrupt {
        /// The offer.
        offer_id: Uuid,
        /// What failed.
        detail: String,
    },
    /// Too many concurrent writers kept winning the race.
    #[error("offer {0} is under heavy concurrent modification; retry")]
    Contention(Uuid),
}

/// The result of a command.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The events appended (empty if the command changed nothing).
    pub events: Vec<OfferEvent>,
    /// The offer after them.
    pub state: Offer,
    /// Global position of the last appended event.
    pub position: Option<LogPosition>,
    /// When the command was decided.
    pub decided_at: DateTime<Utc>,
}

/// Loads and changes offers.
#[derive(Clone)]
pub struct OfferRepository {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    stripes: Arc<Stripes>,
}

impl OfferRepository {
    /// A repository over `store`.
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        OfferRepository {
            store,
            clock,
            stripes: Arc::new(Stripes::new()),
        }
    }

    /// The offer's current state (`Offer::default()` with version 0 if it does not exist).
    pub async fn load(&self, offer_id: Uuid) -> Result<Offer, CommandError> {
        let recorded = self.store.read_stream(&stream_id(offer_id)).await?;
        let mut offer = Offer::default();
        for event in recorded {
            let decoded =
                OfferEvent::decode(&event.event_type, event.event_version, &event.payload)
                    .map_err(|e| CommandError::Corrupt {
                        offer_id,
                        detail: e.to_string(),
                    })?;
            offer.apply(decoded);
        }
        Ok(offer)
    }

    /// Decides `command` against the current state and appends the result; on a
    /// concurrency conflict reloads and decides again. `command` receives the state and the
    /// current time.
    pub async fn execute(
        &self,
        offer_id: Uuid,
        meta: &CommandMeta,
        mut command: impl FnMut(&Offer, DateTime<Utc>) -> OfferCommand,
    ) -> Result<Executed, CommandError> {
        let _serialised = self.stripes.of(offer_id).lock().await;
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                // Another node won the race; back off a little, with jitter.
                let jitter = rand::random::<u64>() % (1 << attempt.min(6));
                tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
            }
            let offer = self.load(offer_id).await?;
            let now = self.clock.now();
            let events = decide(&offer, command(&offer, now))?;
            if events.is_empty() {
                return Ok(Executed {
                    events,
                    state: offer,
                    position: None,
                    decided_at: now,
                });
            }
            let metadata = meta.at(now);
            let new_events = events
                .iter()
                .map(|event| NewEvent {
                    event_id: Uuid::new_v4(),
                    event_type: event.event_type().to_string(),
                    event_version: event.event_version(),
                    payload: event.payload(),
                    metadata: metadata.clone(),
                })
                .collect();
            let expected = ExpectedVersion::from_version(offer.version);
            match self
                .store
                .append(&stream_id(offer_id), expected, new_events)
                .await
            {
                Ok(outcome) => {
                    let mut state = offer;
                    for event in &events {
                        state.apply(event.clone());
                    }
                    return Ok(Executed {
                        events,
                        state,
                        position: Some(outcome.last_position),
                        decided_at: now,
                    });
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CommandError::Contention(offer_id))
    }
}
