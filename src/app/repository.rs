//! Loading and changing aggregates through the event store: load the stream, decide,
//! append with optimistic concurrency, retry on conflict. Written once for every
//! [`EventSourced`] aggregate (the Offer, the AuthorizationSession, the status lists, the
//! Issuer), generic over what addresses an instance ([`InstanceId`]: a UUID unless the
//! aggregate names another id, like the Issuer's slug).

use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use issuance_domain::{EventSourced, StoredEvent};
use issuance_eventlog::{EventMetadata, LogPosition, NewEvent, RecordedEvent};
use tracing::Instrument;
use uuid::Uuid;

use crate::app::state_cache::{InstanceId, StateCache};
use crate::clock::Clock;
use crate::store::{EventStore, ExpectedVersion, KeyChange, NonceUse, SideEffects, StoreError};

/// How often a command is re-decided after losing an optimistic-concurrency race (only
/// writers on other nodes can cause one: this node serialises its own, see [`Stripes`]).
const MAX_ATTEMPTS: usize = 16;

/// Number of lock stripes.
const STRIPES: usize = 1024;

/// Striped locks that serialise this process's commands on one aggregate instance: racing
/// writers wait instead of loading, deciding and failing their append over and over.
struct Stripes(Vec<tokio::sync::Mutex<()>>);

impl Stripes {
    fn new() -> Self {
        Stripes((0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    fn of(&self, id: &impl InstanceId) -> &tokio::sync::Mutex<()> {
        let index = (id.spread() % STRIPES as u64) as usize;
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
            // Events of older versions carry one; a holder key is personal data that
            // erasure must reach, so it is recorded only sealed (`CredentialIssued`).
            holder_key_thumbprint: None,
            issuer_id: None,
        }
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError<E: std::error::Error + 'static> {
    /// The aggregate rejected it.
    #[error(transparent)]
    Rejected(E),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event could not be decoded.
    #[error("stream {stream_id} has an undecodable event: {detail}")]
    Corrupt {
        /// The stream.
        stream_id: String,
        /// What failed.
        detail: String,
    },
    /// Too many concurrent writers kept winning the race.
    #[error("{0} is under heavy concurrent modification; retry")]
    Contention(String),
}

/// The result of a command.
#[derive(Debug, Clone)]
pub struct Executed<A: EventSourced<Id>, Id = Uuid> {
    /// The events appended (empty if the command changed nothing).
    pub events: Vec<A::Event>,
    /// The aggregate after them.
    pub state: A,
    /// Global position of the last appended event.
    pub position: Option<LogPosition>,
    /// When the command was decided.
    pub decided_at: DateTime<Utc>,
}

/// Loads and changes the instances of aggregate `A`, addressed by `Id`.
pub struct Repository<A, Id = Uuid> {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    stripes: Arc<Stripes>,
    cache: Arc<StateCache<A, Id>>,
    aggregate: PhantomData<fn() -> A>,
}

/// States cached per aggregate type (a few KB each).
const CACHED_STATES: usize = 8192;

impl<A, Id> Clone for Repository<A, Id> {
    fn clone(&self) -> Self {
        Repository {
            store: self.store.clone(),
            clock: self.clock.clone(),
            stripes: self.stripes.clone(),
            cache: self.cache.clone(),
            aggregate: PhantomData,
        }
    }
}

impl<Id: InstanceId, A: EventSourced<Id>> Repository<A, Id> {
    /// A repository over `store`.
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Repository {
            store,
            clock,
            stripes: Arc::new(Stripes::new()),
            cache: Arc::new(StateCache::new(CACHED_STATES)),
            aggregate: PhantomData,
        }
    }

    /// The instance's current state (`A::default()`, version 0, if it does not exist).
    ///
    /// From the cache when the store has no other writer; otherwise the cached state is
    /// brought up to date with the events after its version (usually none).
    pub async fn load(&self, id: Id) -> Result<A, RepositoryError<A::Error>> {
        // Without the instance's lock an append may land between reading the stream and
        // caching it; an entry evicted meanwhile would then come back outdated. With the
        // embedded store (no catch-up on cache hits) only locked loads may fill the cache.
        let may_cache = !self.store.single_writer();
        self.load_with(id, may_cache).await
    }

    /// The instance's state for a decision that a later append's expected version will
    /// prove: the cached state when it is known current (no other writer) or `accept` holds
    /// on it; otherwise the stored state, so a refusal is only ever given on the stored
    /// state. With `|_| true`, any cached state serves (for facts that never change).
    pub async fn load_accepting(
        &self,
        id: Id,
        accept: impl FnOnce(&A) -> bool,
    ) -> Result<A, RepositoryError<A::Error>> {
        match self.cache.get(&id) {
            Some(state) if self.store.single_writer() || accept(&state) => Ok(state),
            _ => self.load(id).await,
        }
    }

    /// The instance's events as recorded, each with its decoded event, oldest first (empty
    /// if the instance does not exist): its history, for reading, never for deciding.
    pub async fn history(
        &self,
        id: Id,
    ) -> Result<Vec<(RecordedEvent, A::Event)>, RepositoryError<A::Error>> {
        let stream_id = A::stream_id(id);
        let recorded = self.store.read_stream(&stream_id).await?;
        recorded
            .into_iter()
            .map(|event| {
                A::Event::decode(&event.event_type, event.event_version, &event.payload)
                    .map(|decoded| (event, decoded))
                    .map_err(|e| RepositoryError::Corrupt {
                        stream_id: stream_id.clone(),
                        detail: e.to_string(),
                    })
            })
            .collect()
    }

    async fn load_with(&self, id: Id, may_cache: bool) -> Result<A, RepositoryError<A::Error>> {
        let stream_id = A::stream_id(id.clone());
        let cached = self.cache.get(&id);
        if let Some(state) = &cached {
            if self.store.single_writer() {
                return Ok(state.clone());
            }
        }
        let (mut state, recorded) = match cached {
            Some(state) => {
                let newer = self
                    .store
                    .read_stream_after(&stream_id, state.version())
                    .await?;
                (state, newer)
            }
            None => (A::default(), self.store.read_stream(&stream_id).await?),
        };
        let changed = !recorded.is_empty();
        for event in recorded {
            let decoded = A::Event::decode(&event.event_type, event.event_version, &event.payload)
                .map_err(|e| RepositoryError::Corrupt {
                    stream_id: stream_id.clone(),
                    detail: e.to_string(),
                })?;
            state.evolve(decoded);
        }
        if may_cache && changed && state.version() > 0 {
            // Never replaces a newer state an append cached meanwhile.
            self.cache
                .put_newer(id, state.clone(), |old, new| new.version() > old.version());
        }
        Ok(state)
    }

    /// Decides `command` against the current state and appends the result; on a
    /// concurrency conflict reloads and decides again. `command` receives the state and the
    /// current time.
    pub async fn execute(
        &self,
        id: Id,
        meta: &CommandMeta,
        command: impl FnMut(&A, DateTime<Utc>) -> A::Command,
    ) -> Result<Executed<A, Id>, RepositoryError<A::Error>> {
        self.execute_with(id, meta, SideEffects::default(), command)
            .await
    }

    /// [`Repository::execute`] whose append also records `nonces` as used
    /// ([`EventStore::append_with`]): a nonce used before fails the command with
    /// [`StoreError::NonceReused`] and writes nothing. Nonces are spent even by a command
    /// that changes nothing; a rejected command spends none.
    pub async fn execute_consuming(
        &self,
        id: Id,
        meta: &CommandMeta,
        nonces: Vec<NonceUse>,
        command: impl FnMut(&A, DateTime<Utc>) -> A::Command,
    ) -> Result<Executed<A, Id>, RepositoryError<A::Error>> {
        self.execute_with(id, meta, SideEffects::consuming(nonces), command)
            .await
    }

    async fn execute_with(
        &self,
        id: Id,
        meta: &CommandMeta,
        effects: SideEffects,
        mut command: impl FnMut(&A, DateTime<Utc>) -> A::Command,
    ) -> Result<Executed<A, Id>, RepositoryError<A::Error>> {
        let stream_id = A::stream_id(id.clone());
        // The caller's span (a request's) learns which offer it changed.
        if stream_id.starts_with(issuance_domain::offer::STREAM_PREFIX) {
            tracing::Span::current().record("offer_id", tracing::field::display(&id));
        }
        let _serialised = self.stripes.of(&id).lock().await;
        // With other writers a cached state may be behind. Rather than reading the stream
        // tail first, the first attempt decides on the cached state and lets the append's
        // expected version prove it current; a decision on a state that is not proven (a
        // rejection or no events) is dropped and taken again on the stored state, since a
        // newer state could decide otherwise.
        let mut optimistic = true;
        let mut attempt = 0;
        while attempt < MAX_ATTEMPTS {
            if attempt > 0 {
                // Another node won the race; back off a little, with jitter.
                let jitter = rand::random::<u64>() % (1 << attempt.min(6));
                tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
            }
            let (state, unproven) = if optimistic {
                // Not cached: decide as if the instance did not exist yet. A creation then
                // needs no read at all (its append expects no stream); anything else is
                // rejected and decided again on the stored state.
                optimistic = false;
                match self.cache.get(&id) {
                    Some(state) => (state, !self.store.single_writer()),
                    None => (A::default(), true),
                }
            } else {
                // Under the instance's lock: what this load reads is current, so it may be cached.
                (self.load_with(id.clone(), true).await?, false)
            };
            let now = self.clock.now();
            let decided = state.decide(command(&state, now));
            if unproven && !matches!(&decided, Ok(events) if !events.is_empty()) {
                continue;
            }
            attempt += 1;
            let events = decided.map_err(RepositoryError::Rejected)?;
            // Nonces are spent even by a command that changes nothing.
            if events.is_empty() && effects.nonces.is_empty() {
                return Ok(Executed {
                    events,
                    state,
                    position: None,
                    decided_at: now,
                });
            }
            let mut metadata = meta.at(now);
            metadata.issuer_id = state.issuer_of(&events);
            let new_events = events
                .iter()
                .map(|event| NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: event.event_type().to_string(),
                    event_version: event.event_version(),
                    payload: event.payload(),
                    metadata: metadata.clone(),
                })
                .collect();
            let expected = ExpectedVersion::from_version(state.version());
            // A conflict rolls the side effects back with the events: the retry repeats them.
            let appended = self
                .store
                .append_with(&stream_id, expected, new_events, effects.clone())
                .instrument(tracing::debug_span!("append", stream = %stream_id, attempt))
                .await;
            match appended {
                Ok(outcome) => {
                    let mut state = state;
                    for event in &events {
                        state.evolve(event.clone());
                    }
                    // Under the instance's lock: no other command of this process can
                    // interleave between the append and this update.
                    self.cache.put_newer(id.clone(), state.clone(), |old, new| {
                        new.version() > old.version()
                    });
                    let position = (!events.is_empty()).then_some(outcome.last_position);
                    return Ok(Executed {
                        events,
                        state,
                        position,
                        decided_at: now,
                    });
                }
                Err(StoreError::Conflict { .. }) => {
                    // Another writer moved the stream on: never trust the cached state again.
                    self.cache.forget(&id);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(RepositoryError::Contention(stream_id))
    }
}

/// Offers are UUID-addressed: their data keys are keyed by the offer id.
impl<A: EventSourced> Repository<A> {
    /// [`Repository::execute`] whose append also makes `change` to the data key of `id`
    /// ([`EventStore::append_with`]): both happen or neither. A command that changes
    /// nothing changes no key.
    pub async fn execute_changing_key(
        &self,
        id: Uuid,
        meta: &CommandMeta,
        change: KeyChange,
        command: impl FnMut(&A, DateTime<Utc>) -> A::Command,
    ) -> Result<Executed<A>, RepositoryError<A::Error>> {
        self.execute_with(id, meta, SideEffects::changing_key(id, change), command)
            .await
    }
}
