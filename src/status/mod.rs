//! Credential status (ADR 8): index allocation for issuance, the in-memory registry of
//! every status list, and their signed tokens.
//!
//! - [`registry`]: the lists and their facts, folded from the log on every node.
//! - [`allocator`]: per-node index blocks and the keyed permutation of positions.
//! - [`tokens`]: signed JWT/CWT Status List Tokens, cached and re-signed on change.

pub mod allocator;
pub mod registry;
pub mod tokens;

use std::sync::Arc;

use issuance_credential::IssuerKeys;
use issuance_domain::status_list::stream::StatusListStream;

pub use allocator::{Allocated, AllocationError, StatusAllocator};
pub use registry::{RegistryProjection, StatusRegistry, STATUS_REGISTRY};
pub use tokens::{SignedList, StatusTokens};

use crate::app::repository::Repository;
use crate::clock::Clock;
use crate::config::StatusListSettings;
use crate::crypto::server_secret::ServerSecret;
use crate::store::EventStore;

/// Domain separation of the index permutation key derived from the server secret.
const INDEX_KEY_LABEL: &str = "status-list-index";

/// Everything credential status needs at run time.
pub struct StatusLists {
    /// The settings.
    pub settings: StatusListSettings,
    /// Every list, from the log.
    pub registry: Arc<StatusRegistry>,
    /// Index allocation for issuance.
    pub allocator: StatusAllocator,
    /// Signed tokens.
    pub tokens: Arc<StatusTokens>,
}

impl StatusLists {
    /// Status lists for the issuer at `issuer_url`.
    pub fn new(
        settings: &StatusListSettings,
        issuer_url: &str,
        server_secret: &ServerSecret,
        keys: Arc<IssuerKeys>,
        events: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
    ) -> StatusLists {
        let registry = Arc::new(StatusRegistry::default());
        let allocator = StatusAllocator::new(
            settings.clone(),
            issuer_url,
            server_secret.mac(INDEX_KEY_LABEL, &[]),
            Repository::<StatusListStream>::new(events.clone(), clock.clone()),
            events,
            registry.clone(),
        );
        let tokens = Arc::new(StatusTokens::new(
            settings.clone(),
            issuer_url,
            keys,
            registry.clone(),
            clock,
        ));
        StatusLists {
            settings: settings.clone(),
            registry,
            allocator,
            tokens,
        }
    }
}
