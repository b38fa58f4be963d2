//! The EventStoreDB / KurrentDB event store (`eventstore` 4.0 gRPC client).
//!
//! - One EventStoreDB stream per offer stream; our 1-based sequence is the stream
//!   revision plus one, and [`ExpectedVersion`] maps to `ExpectedRevision` (`NoStream`, or
//!   `Exact` of the last revision), so `WrongExpectedVersion` becomes
//!   [`StoreError::Conflict`].
//! - The global log is `$all`, read forwards from a stored `(commit, prepare)` position.
//!   EventStoreDB writes `$all` in commit order on its leader, so a reader that resumes
//!   after the last position it saw never skips an event. System records (`$`-prefixed
//!   streams and types) are skipped; other applications' streams pass through and are
//!   ignored by the projections, which only know `offer-` streams.
//! - A live subscription to `$all` wakes the projector for appends made by other nodes
//!   ([`wake`]).
//! - Secrets and read models do not live here: they go to the read store (SQLite or
//!   PostgreSQL).
//!
//! URL: `esdb://[user:password@]host:2113?tls=false` (or `esdb+discover://` for a cluster).

mod convert;
mod wake;

use async_trait::async_trait;
use eventstore::{
    AppendToStreamOptions, Client, ClientSettings, CurrentRevision, ExpectedRevision,
    ReadAllOptions, ReadStreamOptions, StreamPosition,
};
use issuance_eventlog::{LogPosition, NewEvent, RecordedEvent};
use tokio::sync::{oneshot, watch};

use super::{advance, AppendOutcome, EventStore, ExpectedVersion, SideEffects, StoreError};

/// Records requested per `$all` read when filling a page (system records are skipped, so a
/// page may need more than one read).
const READ_CHUNK: usize = 512;

/// The EventStoreDB event store.
pub struct EsdbEventStore {
    client: Client,
    appended_tx: watch::Sender<LogPosition>,
    appended: watch::Receiver<LogPosition>,
    /// Dropped with the store: ends the `$all` subscription.
    _following: oneshot::Sender<()>,
}

fn esdb_error(error: eventstore::Error) -> StoreError {
    StoreError::Backend {
        backend: "eventstoredb",
        source: crate::cause::cause(error),
    }
}

impl EsdbEventStore {
    /// Whether `url` names an EventStoreDB server.
    pub fn accepts(url: &str) -> bool {
        url.starts_with("esdb://") || url.starts_with("esdb+discover://")
    }

    /// Creates the client (connections are made lazily, on first use) and reads the head.
    pub async fn open(url: &str) -> Result<EsdbEventStore, StoreError> {
        let settings: ClientSettings = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("invalid EventStoreDB URL: {e}")))?;
        let client = Client::new(settings).map_err(|e| {
            StoreError::Unavailable(format!("cannot create the EventStoreDB client: {e}"))
        })?;
        let (appended_tx, appended) = watch::channel(LogPosition::START);
        let (following, closed) = oneshot::channel();
        let store = EsdbEventStore {
            client: client.clone(),
            appended_tx: appended_tx.clone(),
            appended,
            _following: following,
        };
        let head = store.head().await?;
        advance(&store.appended_tx, head);
        tokio::spawn(wake::follow(client, appended_tx, closed));
        Ok(store)
    }

    async fn last_revision(&self, stream_id: &str) -> Result<Option<u64>, StoreError> {
        let options = ReadStreamOptions::default()
            .backwards()
            .position(StreamPosition::End)
            .max_count(1);
        let mut stream = self
            .client
            .read_stream(stream_id, &options)
            .await
            .map_err(esdb_error)?;
        match stream.next().await {
            Ok(Some(event)) => Ok(convert::record(&event).map(|r| r.revision)),
            Ok(None) | Err(eventstore::Error::ResourceNotFound) => Ok(None),
            Err(e) => Err(esdb_error(e)),
        }
    }
}

#[async_trait]
impl EventStore for EsdbEventStore {
    /// EventStoreDB has no transactions beside the log: `effects` must be empty. The
    /// service pairs it with a secret store through
    /// [`SeparateSecrets`](crate::store::separate_secrets::SeparateSecrets).
    async fn append_with(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        effects: SideEffects,
    ) -> Result<AppendOutcome, StoreError> {
        if !effects.is_empty() {
            return Err(StoreError::Unavailable(
                "EventStoreDB cannot make side effects with an append".into(),
            ));
        }
        if events.is_empty() {
            let actual = self.last_revision(stream_id).await?.map_or(0, |r| r + 1);
            return expected.check_empty_append(stream_id, actual);
        }
        let revision = match expected {
            ExpectedVersion::NoStream => ExpectedRevision::NoStream,
            ExpectedVersion::Exact(version) => ExpectedRevision::Exact(version - 1),
        };
        let data = events
            .iter()
            .map(convert::to_event_data)
            .collect::<Result<Vec<_>, _>>()?;
        let options = AppendToStreamOptions::default().expected_revision(revision);
        match self
            .client
            .append_to_stream(stream_id, &options, data)
            .await
        {
            Ok(written) => {
                let last_position = convert::position(written.position);
                advance(&self.appended_tx, last_position);
                Ok(AppendOutcome {
                    new_version: written.next_expected_version + 1,
                    last_position,
                })
            }
            Err(eventstore::Error::WrongExpectedVersion { current, .. }) => {
                Err(StoreError::Conflict {
                    stream_id: stream_id.to_string(),
                    expected: expected.version(),
                    actual: match current {
                        CurrentRevision::Current(revision) => revision + 1,
                        CurrentRevision::NoStream => 0,
                    },
                })
            }
            Err(e) => Err(esdb_error(e)),
        }
    }

    async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, StoreError> {
        let options = ReadStreamOptions::default()
            .forwards()
            .position(StreamPosition::Start);
        let mut stream = match self.client.read_stream(stream_id, &options).await {
            Ok(stream) => stream,
            Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(esdb_error(e)),
        };
        let mut events = Vec::new();
        loop {
            match stream.next().await {
                Ok(Some(resolved)) => {
                    if let Some(record) = convert::record(&resolved) {
                        events.push(convert::decode(record)?);
                    }
                }
                Ok(None) => return Ok(events),
                // A missing stream is reported by the first `next`, not as an empty read.
                Err(eventstore::Error::ResourceNotFound) => return Ok(Vec::new()),
                Err(e) => return Err(esdb_error(e)),
            }
        }
    }

    async fn read_all(
        &self,
        after: LogPosition,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::new();
        let mut from = after;
        loop {
            let start = if from == LogPosition::START {
                StreamPosition::Start
            } else {
                StreamPosition::Position(convert::esdb_position(from))
            };
            let options = ReadAllOptions::default()
                .forwards()
                .position(start)
                .max_count(READ_CHUNK);
            let mut stream = self.client.read_all(&options).await.map_err(esdb_error)?;
            let mut read = 0;
            while let Some(resolved) = stream.next().await.map_err(esdb_error)? {
                read += 1;
                let Some(record) = convert::record(&resolved) else {
                    continue;
                };
                let position = convert::position(record.position);
                // `$all` reads include the start position itself.
                if position <= from {
                    continue;
                }
                from = position;
                if convert::is_ours(record) {
                    events.push(convert::decode(record)?);
                    if events.len() == limit {
                        return Ok(events);
                    }
                }
            }
            if read < READ_CHUNK {
                return Ok(events);
            }
        }
    }

    async fn head(&self) -> Result<LogPosition, StoreError> {
        let mut from = StreamPosition::End;
        loop {
            let options = ReadAllOptions::default()
                .backwards()
                .position(from)
                .max_count(READ_CHUNK);
            let mut stream = self.client.read_all(&options).await.map_err(esdb_error)?;
            let mut read = 0;
            let mut oldest = None;
            while let Some(resolved) = stream.next().await.map_err(esdb_error)? {
                read += 1;
                let Some(record) = convert::record(&resolved) else {
                    continue;
                };
                if convert::is_ours(record) {
                    return Ok(convert::position(record.position));
                }
                oldest = Some(record.position);
            }
            match oldest {
                Some(position) if read == READ_CHUNK => from = StreamPosition::Position(position),
                _ => return Ok(LogPosition::START),
            }
        }
    }

    fn appended(&self) -> watch::Receiver<LogPosition> {
        self.appended.clone()
    }

    fn backend(&self) -> &'static str {
        "esdb"
    }
}
