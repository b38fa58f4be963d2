//! The offer view projection.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use issuance_domain::offer::{offer_id_of_stream, OfferEvent};
use issuance_domain::{LogPosition, RecordedEvent};
use issuance_projections::OfferView;
use uuid::Uuid;

use super::{Projection, ProjectionError};
use crate::readstore::{OfferViewStore, ReadStoreError, OFFER_VIEW};

/// Keeps `offer_views` current.
pub struct OfferViewProjection {
    store: Arc<dyn OfferViewStore>,
}

impl OfferViewProjection {
    /// The projection over `store`.
    pub fn new(store: Arc<dyn OfferViewStore>) -> Self {
        OfferViewProjection { store }
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
        for event in events {
            let Some(offer_id) = offer_id_of_stream(&event.stream_id) else {
                continue;
            };
            let offer_event =
                OfferEvent::decode(&event.event_type, event.event_version, &event.payload)
                    .map_err(|e| {
                        failed(format!(
                            "event {} at {:?}: {e}",
                            event.event_id, event.position
                        ))
                    })?;
            decoded.push((offer_id, offer_event, event));
        }
        let mut ids: Vec<Uuid> = decoded.iter().map(|(id, _, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut views: HashMap<Uuid, OfferView> = self
            .store
            .offer_views(&ids)
            .await?
            .into_iter()
            .map(|v| (v.offer_id, v))
            .collect();
        for (offer_id, offer_event, event) in decoded {
            let current = views.remove(&offer_id);
            if let Some(view) =
                OfferView::apply(current, &offer_event, &event.metadata, event.sequence)
            {
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
