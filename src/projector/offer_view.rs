//! The offer view projection.
//!
//! The view's rows are a pure function of the events ([`OfferView::apply`]) with two
//! additions only the keys allow, made here: plaintext personal data read from version-1
//! events is sealed with the offer's data key before it is applied (dropped when the key
//! is gone), and a new view's subject pseudonym is derived from its opened subject. Both
//! need the key only while it exists, so a replay after erasure yields neither.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use issuance_domain::offer::{offer_id_of_stream, OfferEvent};
use issuance_domain::Digest;
use issuance_eventlog::{LogPosition, RecordedEvent};
use issuance_projections::OfferView;
use uuid::Uuid;

use super::{Projection, ProjectionError};
use crate::app::offers::personal;
use crate::crypto::codes;
use crate::crypto::server_secret::ServerSecret;
use crate::readstore::{OfferViewStore, ReadStoreError, OFFER_VIEW};
use crate::store::{DataKey, SecretStore};

/// Keeps `offer_views` current.
pub struct OfferViewProjection {
    store: Arc<dyn OfferViewStore>,
    secrets: Arc<dyn SecretStore>,
    server_secret: ServerSecret,
}

impl OfferViewProjection {
    /// The projection over `store`, opening personal data with the keys in `secrets`.
    pub fn new(
        store: Arc<dyn OfferViewStore>,
        secrets: Arc<dyn SecretStore>,
        server_secret: ServerSecret,
    ) -> Self {
        OfferViewProjection {
            store,
            secrets,
            server_secret,
        }
    }

    /// Seals the event's version-1 plaintext and returns the subject's pseudonym, using
    /// the offer's data key (fetched once per offer and batch).
    async fn prepare(
        &self,
        offer_id: Uuid,
        event: &mut OfferEvent,
        keys: &mut HashMap<Uuid, Option<DataKey>>,
    ) -> Result<Option<Digest>, ProjectionError> {
        if !personal::needs_key(event) {
            return Ok(None);
        }
        if let Entry::Vacant(vacant) = keys.entry(offer_id) {
            vacant.insert(self.secrets.data_key(offer_id).await.map_err(failed)?);
        }
        let key = keys.get(&offer_id).and_then(Option::as_ref);
        personal::seal_legacy(event, offer_id, key).map_err(failed)?;
        let OfferEvent::OfferCreated(created) = event else {
            return Ok(None);
        };
        Ok(personal::subject(created, key)
            .map(|subject| codes::subject_pseudonym(&self.server_secret, &subject)))
    }
}

fn failed(error: impl std::fmt::Display) -> ProjectionError {
    ProjectionError {
        projection: OFFER_VIEW,
        detail: error.to_string(),
    }
}

impl From<ReadStoreError> for ProjectionError {
    fn from(error: ReadStoreError) -> Self {
        failed(error)
    }
}

#[async_trait]
impl Projection for OfferViewProjection {
    fn name(&self) -> &'static str {
        OFFER_VIEW
    }

    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError> {
        Ok(self.store.checkpoint(OFFER_VIEW).await?)
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let Some(last) = events.last() else {
            return Ok(());
        };
        let mut decoded = Vec::with_capacity(events.len());
        let mut keys = HashMap::new();
        for event in events {
            let Some(offer_id) = offer_id_of_stream(&event.stream_id) else {
                continue;
            };
            let mut offer_event =
                OfferEvent::decode(&event.event_type, event.event_version, &event.payload)
                    .map_err(|e| {
                        failed(format!(
                            "event {} at {:?}: {e}",
                            event.event_id, event.position
                        ))
                    })?;
            let pseudonym = self.prepare(offer_id, &mut offer_event, &mut keys).await?;
            decoded.push((offer_id, offer_event, event, pseudonym));
        }
        let mut ids: Vec<Uuid> = decoded.iter().map(|(id, ..)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut views: HashMap<Uuid, OfferView> = self
            .store
            .offer_views(&ids)
            .await?
            .into_iter()
            .map(|v| (v.offer_id, v))
            .collect();
        for (offer_id, offer_event, event, pseudonym) in decoded {
            let current = views.remove(&offer_id);
            let new = current.is_none();
            if let Some(mut view) =
                OfferView::apply(current, &offer_event, &event.metadata, event.sequence)
            {
                if new {
                    view.subject_pseudonym = pseudonym;
                }
                views.insert(offer_id, view);
            }
        }
        Ok(self
            .store
            .save_offer_views(views.into_values().collect(), last.position)
            .await?)
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Ok(self.store.reset_offer_views().await?)
    }
}
