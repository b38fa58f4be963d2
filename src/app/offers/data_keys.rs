//! The offers' data keys as the application uses them: read one, or destroy one that an
//! erasure left behind. Creating keys and destroying them with an event happens inside the
//! repository's atomic append; nonces are not reachable from here.

use std::sync::Arc;

use uuid::Uuid;

use crate::store::{DataKey, SecretStore, StoreError};

/// Reads (and, for erasure, destroys) offers' data keys.
#[derive(Clone)]
pub struct DataKeys {
    secrets: Arc<dyn SecretStore>,
}

impl DataKeys {
    /// The data keys of `secrets`.
    pub fn new(secrets: Arc<dyn SecretStore>) -> DataKeys {
        DataKeys { secrets }
    }

    /// The offer's data key; `None` once its claims were erased.
    pub async fn get(&self, offer_id: Uuid) -> Result<Option<DataKey>, StoreError> {
        self.secrets.data_key(offer_id).await
    }

    /// Stores `key` for the offer unless one exists; returns the key in force (retries of
    /// one idempotent creation agree on a key this way).
    pub async fn get_or_insert(&self, offer_id: Uuid, key: DataKey) -> Result<DataKey, StoreError> {
        self.secrets.data_key_get_or_insert(offer_id, key).await
    }

    /// Destroys the offer's data key (a no-op when it is gone); `true` if one existed.
    pub async fn destroy(&self, offer_id: Uuid) -> Result<bool, StoreError> {
        self.secrets.destroy_data_key(offer_id).await
    }
}
