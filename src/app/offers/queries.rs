//! Reading offers for the management API: the offer view, once it reflects every write that
//! completed before the read began, with its personal data opened by the offer's data key.

use std::sync::Arc;

use issuance_domain::offer::OfferStatus;
use issuance_projections::OfferView;
use serde_json::Value;
use uuid::Uuid;

use super::{personal, DataKeys};
use crate::app::log_head::LogHead;
use crate::crypto::codes;
use crate::crypto::server_secret::ServerSecret;
use crate::projector::ProjectionProgress;
use crate::readstore::{OfferCursor, OfferQuery, OfferViewStore, ReadStoreError};
use crate::store::StoreError;

/// Why an offer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The event log or the secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The read store failed.
    #[error(transparent)]
    ReadStore(#[from] ReadStoreError),
}

/// One page of opened offer views, newest first.
pub struct OpenedPage {
    /// The offers.
    pub items: Vec<OfferView<Value>>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<OfferCursor>,
}

/// Reads the offer view.
#[derive(Clone)]
pub struct OfferQueries {
    views: Arc<dyn OfferViewStore>,
    data_keys: DataKeys,
    log: LogHead,
    progress: ProjectionProgress,
    server_secret: ServerSecret,
}

impl OfferQueries {
    /// Queries over `views`, whose projection reports `progress`.
    pub fn new(
        views: Arc<dyn OfferViewStore>,
        data_keys: DataKeys,
        log: LogHead,
        progress: ProjectionProgress,
        server_secret: ServerSecret,
    ) -> OfferQueries {
        OfferQueries {
            views,
            data_keys,
            log,
            progress,
            server_secret,
        }
    }

    /// One offer, opened; `None` if unknown.
    pub async fn get(&self, offer_id: Uuid) -> Result<Option<OfferView<Value>>, QueryError> {
        self.log.await_written(&self.progress).await?;
        match self.views.offer_view(offer_id).await? {
            Some(view) => Ok(Some(self.opened(view).await?)),
            None => Ok(None),
        }
    }

    /// A filtered page; `subject` (plaintext) filters by the subject's keyed pseudonym.
    pub async fn list(
        &self,
        mut query: OfferQuery,
        subject: Option<&str>,
    ) -> Result<OpenedPage, QueryError> {
        query.subject_pseudonym =
            subject.map(|subject| codes::subject_pseudonym(&self.server_secret, subject));
        self.log.await_written(&self.progress).await?;
        let page = self.views.list_offer_views(query).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for view in page.items {
            items.push(self.opened(view).await?);
        }
        Ok(OpenedPage {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// How many offers of `issuers` (`None`: every issuer) are in each status, once the
    /// view reflects every completed write.
    pub async fn counts_by_status(
        &self,
        issuers: Option<Vec<String>>,
    ) -> Result<Vec<(OfferStatus, u64)>, QueryError> {
        self.log.await_written(&self.progress).await?;
        Ok(self.views.count_offers_by_status(issuers).await?)
    }

    /// The view with its personal data opened with the offer's data key (`null` once
    /// erased).
    async fn opened(&self, view: OfferView) -> Result<OfferView<Value>, StoreError> {
        let sealed = view.subject.is_some()
            || view.correlation.is_some()
            || view
                .issued
                .iter()
                .any(|i| i.holder_key_thumbprint.is_some());
        let key = match sealed {
            true => self.data_keys.get(view.offer_id).await?,
            false => None,
        };
        Ok(personal::present(view, key.as_ref()))
    }
}
