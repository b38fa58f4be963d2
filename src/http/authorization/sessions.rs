//! What the authorization-code flow keeps in the application state: session commands and
//! the wallet clients.

use std::sync::Arc;

use issuance_domain::authorization::{AuthorizationError, AuthorizationSession};

use super::clients;
use crate::app::repository::{Repository, RepositoryError};
use crate::clock::Clock;
use crate::config::AuthorizationSettings;
use crate::store::EventStore;

/// Loads and changes authorization sessions.
pub type SessionRepository = Repository<AuthorizationSession>;
/// Why a session command failed.
pub type SessionError = RepositoryError<AuthorizationError>;

/// What the authorization-code flow keeps in the application state.
#[derive(Clone)]
pub struct Authorization {
    /// Session commands.
    pub sessions: SessionRepository,
    /// The wallet clients.
    pub clients: Arc<clients::ClientRegistry>,
}

impl Authorization {
    /// The flow's state over `store`.
    pub fn new(
        settings: &AuthorizationSettings,
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
    ) -> Authorization {
        Authorization {
            sessions: SessionRepository::new(store, clock),
            clients: Arc::new(clients::ClientRegistry::new(settings)),
        }
    }
}
