//! `GET /audit/export`: the audit view (with the listing's filters) streamed as NDJSON, or
//! CSV with `Accept: text/csv`.
//!
//! The response is chunked and produced page by page: one page of [`PAGE`] entries is read
//! from the store only when the previous one has been handed to the connection, so memory
//! stays bounded by a page whatever the range. The export is a snapshot: it ends at the
//! last entry that existed when it started. An error after the first byte can only cut
//! the stream short; the client sees an incomplete chunked body, never a truncated file
//! that looks whole.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::Stream;

use super::format::Format;
use super::AuditParams;
use crate::audit::trail::AuditPages;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;
use crate::readstore::{AuditQuery, ReadStoreError};

/// Entries read from the store per chunk.
pub const PAGE: usize = 1000;

/// Streams the entries.
pub async fn export(
    state: web::Data<ManagementApi>,
    caller: Caller,
    request: HttpRequest,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::AuditRead)?;
    let query = params.query(&caller)?;
    if params.limit == Some(0) {
        return Err(ApiError::invalid_request("limit must be at least 1"));
    }
    let format = Format::negotiate(
        request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    respond(&state, query, params.limit, format).await
}

/// The entries `query` selects as they are now (the export ends at the current tip), at
/// most `most`, streamed in `format` as an attachment: the API's export and the console's.
/// The caller has checked the key's scope and restricted `query` to its issuers.
pub(crate) async fn respond(
    state: &ManagementApi,
    mut query: AuditQuery,
    most: Option<usize>,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    query.until = Some(state.audit.tip_position().await?);
    let stream = entry_stream(state.audit.clone(), query, most, format);
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", format.file_name()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(stream))
}

/// Where an export stands between chunks.
struct Cursor<S> {
    source: S,
    query: AuditQuery,
    remaining: Option<usize>,
    format: Format,
    preamble: bool,
    done: bool,
}

/// The encoded entries matching `query`, one chunk per page, at most `most` entries.
pub fn entry_stream<S: AuditPages>(
    source: S,
    query: AuditQuery,
    most: Option<usize>,
    format: Format,
) -> impl Stream<Item = Result<Bytes, ReadStoreError>> {
    let start = Cursor {
        source,
        query,
        remaining: most,
        format,
        preamble: true,
        done: false,
    };
    futures_util::stream::unfold(start, |mut cursor| async move {
        if cursor.done {
            return None;
        }
        let mut chunk = if cursor.preamble {
            cursor.preamble = false;
            cursor.format.preamble()
        } else {
            Vec::new()
        };
        let limit = cursor.remaining.map_or(PAGE, |r| r.min(PAGE));
        let page = cursor
            .source
            .page(AuditQuery {
                limit,
                ..cursor.query.clone()
            })
            .await;
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(%error, "audit export failed mid-stream");
                cursor.done = true;
                return Some((Err(error), cursor));
            }
        };
        chunk.extend(cursor.format.encode(&page.entries));
        if let Some(remaining) = &mut cursor.remaining {
            *remaining -= page.entries.len().min(*remaining);
        }
        match page.entries.last() {
            Some(last) if page.next_cursor.is_some() && cursor.remaining != Some(0) => {
                cursor.query.after = last.position;
            }
            _ => cursor.done = true,
        }
        Some((Ok(Bytes::from(chunk)), cursor))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use futures_util::StreamExt;
    use issuance_eventlog::{EventMetadata, LogPosition, RecordedEvent};
    use issuance_projections::audit::{audit_entry, ChainTip};
    use issuance_projections::AuditEntry;

    use super::*;
    use crate::readstore::{AuditCursor, AuditHead, AuditPage, AuditRecord, AuditStore};

    /// An in-memory store that records every page it is asked for.
    struct CountingStore {
        entries: Vec<AuditEntry>,
        requests: Mutex<Vec<usize>>,
    }

    impl CountingStore {
        fn with(count: u64) -> Arc<CountingStore> {
            let mut tip = ChainTip::genesis();
            let entries = (1..=count)
                .map(|n| {
                    let event = RecordedEvent {
                        position: LogPosition::at(n),
                        stream_id: "maintenance".into(),
                        sequence: n,
                        event_id: uuid::Uuid::from_u128(n as u128),
                        event_type: "Tick".into(),
                        event_version: 1,
                        payload: std::sync::Arc::new(serde_json::json!({})),
                        metadata: EventMetadata::system(chrono::DateTime::UNIX_EPOCH),
                    };
                    let entry = audit_entry(&event, &tip).unwrap();
                    tip = ChainTip::of(&entry);
                    entry
                })
                .collect();
            Arc::new(CountingStore {
                entries,
                requests: Mutex::new(Vec::new()),
            })
        }
    }

    #[async_trait]
    impl AuditStore for CountingStore {
        async fn audit_head(&self) -> Result<AuditHead, ReadStoreError> {
            Ok(AuditHead {
                tip: self
                    .entries
                    .last()
                    .map_or(ChainTip::genesis(), ChainTip::of),
                tip_log_position: LogPosition::START,
                checkpoint: LogPosition::START,
            })
        }
        async fn append_audit_entries(
            &self,
            _: Vec<AuditRecord>,
            _: LogPosition,
        ) -> Result<(), ReadStoreError> {
            unreachable!("exports only read")
        }
        async fn reset_audit(&self) -> Result<(), ReadStoreError> {
            unreachable!("exports only read")
        }
        async fn audit_entries(&self, query: AuditQuery) -> Result<AuditPage, ReadStoreError> {
            self.requests.lock().unwrap().push(query.limit);
            let mut entries: Vec<AuditEntry> = self
                .entries
                .iter()
                .filter(|e| e.position > query.after)
                .take(query.limit + 1)
                .cloned()
                .collect();
            let next_cursor = (entries.len() > query.limit).then(|| {
                entries.truncate(query.limit);
                AuditCursor(entries[entries.len() - 1].position)
            });
            Ok(AuditPage {
                entries,
                next_cursor,
            })
        }
        async fn audit_entry(&self, _: u64) -> Result<Option<AuditEntry>, ReadStoreError> {
            Ok(None)
        }
        async fn audit_counts_per_minute(
            &self,
            _: AuditQuery,
        ) -> Result<Vec<(i64, u64)>, ReadStoreError> {
            unreachable!("exports do not count")
        }
    }

    #[tokio::test]
    async fn the_export_reads_one_page_per_chunk_on_demand() {
        let store = CountingStore::with(2 * PAGE as u64 + 5);
        let stream = entry_stream(
            store.clone() as Arc<dyn AuditStore>,
            AuditQuery::default(),
            None,
            Format::Ndjson,
        );
        futures_util::pin_mut!(stream);

        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.iter().filter(|b| **b == b'\n').count(), PAGE);
        assert_eq!(
            *store.requests.lock().unwrap(),
            vec![PAGE],
            "nothing beyond the first page is read before it is consumed"
        );

        let rest: Vec<Bytes> = stream.map(|chunk| chunk.unwrap()).collect().await;
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[1].iter().filter(|b| **b == b'\n').count(), 5);
        assert_eq!(*store.requests.lock().unwrap(), vec![PAGE, PAGE, PAGE]);
    }

    #[tokio::test]
    async fn the_export_stops_at_its_limit() {
        let store = CountingStore::with(50);
        let chunks: Vec<Bytes> = entry_stream(
            store.clone() as Arc<dyn AuditStore>,
            AuditQuery::default(),
            Some(7),
            Format::Csv,
        )
        .map(|chunk| chunk.unwrap())
        .collect()
        .await;
        let text: String = chunks
            .iter()
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        assert_eq!(text.lines().count(), 1 + 7, "header and seven rows");
        assert_eq!(*store.requests.lock().unwrap(), vec![7]);
    }
}
