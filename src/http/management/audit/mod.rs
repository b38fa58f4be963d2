//! `/audit` routes: the hash-chained audit view across all offers (`audit:read`).
//!
//! - `GET /audit`: filtered pages, oldest first ([`list`]).
//! - `GET /audit/export`: the same entries streamed as NDJSON or CSV ([`export`]).
//! - `GET /audit/verify`: recompute the chain, name the first broken entry ([`verify`]).
//! - `GET /audit/head`: the latest position and hash, signed with the issuer key ([`head`]).
//!
//! A key restricted to issuers lists and exports only the entries filed under its issuers
//! (their offers' and their own streams'; [`issuance_projections::audit::audit_issuer`]);
//! the head and the verification span every issuer's entries, so they need a key that sees
//! every issuer (403 otherwise, whatever exists).

pub(crate) mod export;
pub(crate) mod format;
pub(crate) mod head;
mod list;
mod verify;

use actix_web::web;
use chrono::{DateTime, Utc};
use issuance_domain::offer::EVENT_TYPES;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::management::auth::Caller;
use crate::http::management::error::{text_filter, ApiError};
use crate::readstore::{AuditCursor, AuditQuery};

/// Registers the audit routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list::list))
        .route("/audit/export", web::get().to(export::export))
        .route("/audit/verify", web::get().to(verify::verify))
        .route("/audit/head", web::get().to(head::head));
}

/// Filters shared by the listing and the export.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Only this issuer's entries (`default`: the default issuer).
    issuer_id: Option<String>,
    /// Only this offer.
    offer_id: Option<Uuid>,
    /// Only this event type.
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// Only this actor.
    actor: Option<String>,
    /// Occurred at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// Page size (listing) or most entries (export).
    limit: Option<usize>,
    /// Continue after this cursor.
    cursor: Option<String>,
}

impl AuditParams {
    /// The store query these parameters ask for of `caller`'s issuers, validated; `limit`
    /// is left to the caller.
    fn query(&self, caller: &Caller) -> Result<AuditQuery, ApiError> {
        text_filter("actor", self.actor.as_deref())?;
        text_filter("issuer_id", self.issuer_id.as_deref())?;
        if let Some(event_type) = &self.event_type {
            if !EVENT_TYPES.contains(&event_type.as_str()) {
                return Err(ApiError::invalid_request(format!(
                    "unknown event type `{event_type}`; known types: {}",
                    EVENT_TYPES.join(", ")
                )));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from >= to {
                return Err(ApiError::invalid_request("`from` must be before `to`"));
            }
        }
        let after = self
            .cursor
            .as_deref()
            .map(|c| {
                AuditCursor::decode(c)
                    .ok_or_else(|| ApiError::invalid_request("cursor is not valid"))
            })
            .transpose()?
            .map_or(0, |c| c.0);
        Ok(AuditQuery {
            issuers: caller.issuer_filter(self.issuer_id.clone()),
            offer_id: self.offer_id,
            event_type: self.event_type.clone(),
            actor: self.actor.clone(),
            from: self.from,
            to: self.to,
            after,
            until: None,
            limit: 0,
        })
    }
}
