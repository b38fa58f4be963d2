//! Every status list this node knows, folded in memory from the log: each list's shape,
//! its facts (allocations and status changes, with their times, for `?time=`) and its
//! current state; and which offer each credential with a status entry belongs to.
//!
//! Every node keeps its own registry (no lease): it is rebuilt from the log at start and
//! follows the log's tail like a projection ([`RegistryProjection`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use issuance_domain::offer::{offer_id_of_stream, CredentialStatusChanged, StatusEntry};
use issuance_domain::status_list::stream::{list_id_of_stream, StatusListEvent, StatusListOpened};
use issuance_domain::status_list::{
    list_as_of, HistoricalList, StatusChange, StatusFact, StatusListState,
};
use issuance_domain::StoredEvent;
use issuance_eventlog::{LogPosition, RecordedEvent};
use serde::Deserialize;
use tokio::sync::watch;
use uuid::Uuid;

use crate::projector::{Projection, ProjectionError};

/// Name of the in-memory projection (logs).
pub const STATUS_REGISTRY: &str = "status_lists";

/// One list as the log describes it.
#[derive(Debug, Default)]
struct ListRecord {
    /// Its opening and when it was recorded; `None` while only facts were seen.
    opened: Option<(StatusListOpened, DateTime<Utc>)>,
    /// Every fact, in log order.
    facts: Vec<StatusFact>,
    /// The current state (once opened).
    state: Option<StatusListState>,
    /// Bumped on every fact: the signer re-signs when it moved.
    changes: u64,
    /// Blocks reserved so far (for choosing a list to allocate from).
    reserved_blocks: u32,
}

/// What the registry tells about one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    /// The list.
    pub list_id: Uuid,
    /// How it was opened.
    pub opened: StatusListOpened,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// Blocks reserved.
    pub reserved_blocks: u32,
    /// Change counter.
    pub changes: u64,
}

#[derive(Default)]
struct Inner {
    lists: HashMap<Uuid, ListRecord>,
    /// Lists in the order they were opened.
    opened_order: Vec<Uuid>,
    /// Credential id → offer id.
    credentials: HashMap<Uuid, Uuid>,
    position: LogPosition,
}

/// The in-memory status lists of this node.
pub struct StatusRegistry {
    inner: RwLock<Inner>,
    progress: watch::Sender<LogPosition>,
}

impl Default for StatusRegistry {
    fn default() -> Self {
        StatusRegistry {
            inner: RwLock::new(Inner::default()),
            progress: watch::channel(LogPosition::START).0,
        }
    }
}

/// The parts of `CredentialIssued` the registry needs.
#[derive(Deserialize)]
struct IssuedEntry {
    credential_id: Uuid,
    #[serde(default)]
    status: Option<StatusEntry>,
}

impl StatusRegistry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// How far the registry has read the log.
    pub fn position(&self) -> LogPosition {
        self.read().position
    }

    /// A receiver that sees the registry's position move on.
    pub fn subscribe(&self) -> watch::Receiver<LogPosition> {
        self.progress.subscribe()
    }

    /// Waits (bounded) until the registry has read the log up to `target`.
    pub async fn wait_for(&self, target: LogPosition, timeout: std::time::Duration) -> bool {
        let mut receiver = self.progress.subscribe();
        tokio::time::timeout(timeout, receiver.wait_for(|p| *p >= target))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The list, if opened.
    pub fn list(&self, list_id: Uuid) -> Option<ListInfo> {
        let inner = self.read();
        info(list_id, inner.lists.get(&list_id)?)
    }

    /// Every opened list, oldest first.
    pub fn lists(&self) -> Vec<ListInfo> {
        let inner = self.read();
        inner
            .opened_order
            .iter()
            .filter_map(|id| info(*id, inner.lists.get(id)?))
            .collect()
    }

    /// Runs `f` on the current state of an opened list.
    pub fn with_state<T>(&self, list_id: Uuid, f: impl FnOnce(&StatusListState) -> T) -> Option<T> {
        let inner = self.read();
        inner.lists.get(&list_id)?.state.as_ref().map(f)
    }

    /// The list as it was at `at` (`None`: unknown, or not opened yet at `at`).
    pub fn as_of(&self, list_id: Uuid, at: DateTime<Utc>) -> Option<HistoricalList> {
        let inner = self.read();
        let record = inner.lists.get(&list_id)?;
        let (opened, opened_at) = record.opened.as_ref()?;
        list_as_of(opened.bits, opened.size, *opened_at, &record.facts, at)
            .ok()
            .flatten()
    }

    /// The offer a credential was issued from (credentials with a status entry only).
    pub fn offer_of(&self, credential_id: Uuid) -> Option<Uuid> {
        self.read().credentials.get(&credential_id).copied()
    }

    /// Folds a batch of recorded events.
    pub fn apply(&self, events: &[RecordedEvent]) -> Result<(), String> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let mut inner = self.write();
        for event in events {
            inner.apply(event)?;
        }
        inner.position = inner.position.max(last.position);
        let position = inner.position;
        drop(inner);
        crate::store::advance(&self.progress, position);
        Ok(())
    }

    fn reset(&self) {
        *self.write() = Inner::default();
    }
}

fn info(list_id: Uuid, record: &ListRecord) -> Option<ListInfo> {
    let (opened, opened_at) = record.opened.clone()?;
    Some(ListInfo {
        list_id,
        opened,
        opened_at,
        reserved_blocks: record.reserved_blocks,
        changes: record.changes,
    })
}

impl Inner {
    fn apply(&mut self, event: &RecordedEvent) -> Result<(), String> {
        let at = event.metadata.occurred_at;
        let undecodable = |e: &dyn std::fmt::Display| format!("event {}: {e}", event.event_id);
        if let Some(list_id) = list_id_of_stream(&event.stream_id) {
            let decoded =
                StatusListEvent::decode(&event.event_type, event.event_version, &event.payload)
                    .map_err(|e| undecodable(&e))?;
            let record = self.lists.entry(list_id).or_default();
            match decoded {
                StatusListEvent::StatusListOpened(opened) => {
                    let mut state = StatusListState::open(opened.bits, opened.size, at)
                        .map_err(|e| undecodable(&e))?;
                    for fact in &record.facts {
                        state.apply(fact);
                    }
                    record.state = Some(state);
                    record.opened = Some((opened, at));
                    record.changes += 1;
                    self.opened_order.push(list_id);
                }
                StatusListEvent::StatusIndexBlockReserved(reserved) => {
                    record.reserved_blocks = record.reserved_blocks.max(reserved.block + 1);
                }
            }
            return Ok(());
        }
        let Some(offer_id) = offer_id_of_stream(&event.stream_id) else {
            return Ok(());
        };
        let (entry, change) = match event.event_type.as_str() {
            "CredentialIssued" => {
                let issued = IssuedEntry::deserialize(event.payload.as_ref())
                    .map_err(|e| undecodable(&e))?;
                let Some(entry) = issued.status else {
                    return Ok(());
                };
                self.credentials.insert(issued.credential_id, offer_id);
                (entry, StatusChange::Allocated)
            }
            kind @ ("CredentialRevoked" | "CredentialSuspended" | "CredentialReinstated") => {
                let changed = CredentialStatusChanged::deserialize(event.payload.as_ref())
                    .map_err(|e| undecodable(&e))?;
                let change = match kind {
                    "CredentialRevoked" => StatusChange::Revoked,
                    "CredentialSuspended" => StatusChange::Suspended,
                    _ => StatusChange::Reinstated,
                };
                (changed.entry(), change)
            }
            _ => return Ok(()),
        };
        let fact = StatusFact {
            at,
            index: entry.idx,
            change,
        };
        let record = self.lists.entry(entry.list_id).or_default();
        if let Some(state) = &mut record.state {
            state.apply(&fact);
        }
        record.facts.push(fact);
        // An allocation leaves the list's bits as they were (VALID is 0): only changes
        // need a new token.
        if change != StatusChange::Allocated {
            record.changes += 1;
        }
        Ok(())
    }
}

/// The registry as a projection: checkpoint in memory, so it replays from the start of
/// the log at every start.
pub struct RegistryProjection(pub Arc<StatusRegistry>);

#[async_trait]
impl Projection for RegistryProjection {
    fn name(&self) -> &'static str {
        STATUS_REGISTRY
    }

    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError> {
        Ok(self.0.position())
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        self.0.apply(events).map_err(|detail| ProjectionError {
            projection: STATUS_REGISTRY,
            detail,
        })
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        self.0.reset();
        Ok(())
    }
}
