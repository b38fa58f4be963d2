//! Index allocation for issuance (ADR 8): positions come from a block this node reserved
//! on the list's stream (one append per block, with the expected version), and the index
//! written into a credential is the keyed permutation of its position, so indexes are
//! unique, never reused and unrelated between consecutive issuances.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use issuance_credential::status_list::{IndexPermutation, StatusReference};
use issuance_domain::offer::StatusEntry;
use issuance_domain::status_list::stream::{
    StatusListCommand, StatusListEvent, StatusListOpened, StatusListStream, StatusListStreamError,
};
use issuance_domain::status_list::{IndexBlocks, StatusError};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::registry::{ListInfo, StatusRegistry};
use crate::app::repository::{CommandMeta, Repository, RepositoryError};
use crate::config::StatusListSettings;
use crate::store::EventStore;

/// How long the first allocation waits for the registry to read the log (to find a list
/// to continue rather than opening a new one).
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no index could be allocated.
#[derive(Debug, thiserror::Error)]
pub enum AllocationError {
    /// The list stream could not be changed.
    #[error(transparent)]
    Store(#[from] RepositoryError<StatusListStreamError>),
    /// The permutation could not be built (a list shape the engine refuses).
    #[error("status list index permutation: {0}")]
    Permutation(String),
    /// Opened lists kept filling up or refusing this node.
    #[error("no status list accepted a block reservation")]
    NoList,
}

/// The list this node allocates from.
struct ActiveList {
    list_id: Uuid,
    uri: String,
    permutation: IndexPermutation,
    blocks: IndexBlocks,
}

#[derive(Default)]
struct Current {
    list: Option<ActiveList>,
    /// Positions left in the reserved block.
    positions: Range<u32>,
    /// Whether the registry was consulted for a list to continue.
    looked_up: bool,
}

/// Hands out status list indexes to issued credentials.
pub struct StatusAllocator {
    settings: StatusListSettings,
    issuer_url: String,
    /// Key of the index permutations (derived from the server secret).
    index_key: [u8; 32],
    node: String,
    lists: Repository<StatusListStream>,
    events: Arc<dyn EventStore>,
    registry: Arc<StatusRegistry>,
    current: Mutex<Current>,
}

/// One allocated entry: the event's record and the credential's claim.
pub type Allocated = (StatusEntry, StatusReference);

impl StatusAllocator {
    /// An allocator for lists shaped by `settings`, under `issuer_url`.
    pub fn new(
        settings: StatusListSettings,
        issuer_url: &str,
        index_key: [u8; 32],
        lists: Repository<StatusListStream>,
        events: Arc<dyn EventStore>,
        registry: Arc<StatusRegistry>,
    ) -> StatusAllocator {
        StatusAllocator {
            settings,
            issuer_url: issuer_url.to_string(),
            index_key,
            node: format!("node-{}", &Uuid::new_v4().simple().to_string()[..8]),
            lists,
            events,
            registry,
            current: Mutex::new(Current::default()),
        }
    }

    /// The URI of list `list_id`.
    pub fn uri(issuer_url: &str, list_id: Uuid) -> String {
        format!("{issuer_url}/status-lists/{list_id}")
    }

    /// `count` distinct entries (a batch's copies get one each).
    pub async fn allocate(&self, count: usize) -> Result<Vec<Allocated>, AllocationError> {
        let mut current = self.current.lock().await;
        if !current.looked_up {
            current.looked_up = true;
            current.list = self.continue_list().await?;
        }
        let mut allocated = Vec::with_capacity(count);
        while allocated.len() < count {
            let Some(position) = current.positions.next() else {
                self.reserve(&mut current).await?;
                continue;
            };
            let Some(list) = &current.list else {
                continue;
            };
            if let Some(idx) = list.permutation.index(position) {
                allocated.push((
                    StatusEntry {
                        list_id: list.list_id,
                        idx,
                    },
                    StatusReference {
                        idx,
                        uri: list.uri.clone(),
                    },
                ));
            }
        }
        Ok(allocated)
    }

    /// The newest known list this node may continue (same shape, URI and index key).
    async fn continue_list(&self) -> Result<Option<ActiveList>, AllocationError> {
        let head = self
            .events
            .head()
            .await
            .map_err(|e| AllocationError::Store(e.into()))?;
        if !self.registry.wait_for(head, CATCH_UP_TIMEOUT).await {
            tracing::warn!("status registry behind the log; opening a new status list");
            return Ok(None);
        }
        for info in self.registry.lists().into_iter().rev() {
            let list = self.active(info.list_id, &info.opened)?;
            if self.fits(&info, &list) {
                return Ok(Some(list));
            }
        }
        Ok(None)
    }

    fn fits(&self, info: &ListInfo, list: &ActiveList) -> bool {
        let opened = &info.opened;
        opened.bits == self.settings.status_bits()
            && opened.size == self.settings.size
            && opened.block_len == self.settings.block_len
            && opened.uri == list.uri
            && opened.key_fingerprint == list.permutation.key_fingerprint()
            && info.reserved_blocks < list.blocks.block_count()
    }

    fn active(
        &self,
        list_id: Uuid,
        opened: &StatusListOpened,
    ) -> Result<ActiveList, AllocationError> {
        let permutation = IndexPermutation::new(&self.index_key, &list_id.to_string(), opened.size)
            .map_err(|e| AllocationError::Permutation(e.to_string()))?;
        let blocks = IndexBlocks::new(opened.size, opened.block_len)
            .map_err(|e| AllocationError::Permutation(e.to_string()))?;
        Ok(ActiveList {
            list_id,
            uri: Self::uri(&self.issuer_url, list_id),
            permutation,
            blocks,
        })
    }

    /// Reserves the next block of the current list, opening a new list when there is none
    /// or it is full (or was opened under another key).
    async fn reserve(&self, current: &mut Current) -> Result<(), AllocationError> {
        let meta = CommandMeta::system();
        for _ in 0..3 {
            let list = match current.list.take() {
                Some(list) => list,
                None => self.open().await?,
            };
            let fingerprint = list.permutation.key_fingerprint();
            let reserved = self
                .lists
                .execute(list.list_id, &meta, |_, _| {
                    StatusListCommand::ReserveBlock {
                        node: self.node.clone(),
                        key_fingerprint: fingerprint.clone(),
                    }
                })
                .await;
            match reserved {
                Ok(executed) => {
                    let block = executed.events.iter().find_map(|event| match event {
                        StatusListEvent::StatusIndexBlockReserved(reserved) => Some(reserved.block),
                        StatusListEvent::StatusListOpened(_) => None,
                    });
                    current.positions = block.map_or(0..0, |block| list.blocks.positions(block));
                    current.list = Some(list);
                    return Ok(());
                }
                Err(RepositoryError::Rejected(
                    StatusListStreamError::Status(StatusError::ListFull)
                    | StatusListStreamError::KeyMismatch
                    | StatusListStreamError::NotFound,
                )) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(AllocationError::NoList)
    }

    /// Opens a new list shaped by the settings.
    async fn open(&self) -> Result<ActiveList, AllocationError> {
        let list_id = Uuid::new_v4();
        let opened = StatusListOpened {
            bits: self.settings.status_bits(),
            size: self.settings.size,
            block_len: self.settings.block_len,
            uri: Self::uri(&self.issuer_url, list_id),
            key_fingerprint: String::new(),
        };
        let list = self.active(list_id, &opened)?;
        let opened = StatusListOpened {
            key_fingerprint: list.permutation.key_fingerprint(),
            ..opened
        };
        self.lists
            .execute(list_id, &CommandMeta::system(), |_, _| {
                StatusListCommand::Open(opened.clone())
            })
            .await?;
        tracing::info!(%list_id, "opened a status list");
        Ok(list)
    }
}
