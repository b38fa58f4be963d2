//! `GET /console/audit`: the audit trail (`audit:read`), oldest first, filtered by offer,
//! event type, actor, issuer and day, with cursor paging, and links exporting the filtered
//! entries as NDJSON or CSV (the API's export); a key restricted to issuers sees only
//! their entries, as in `GET /audit`. Keys that see every issuer also see the chain's
//! signed head (as `GET /audit/head`). `POST /console/audit/verify` recomputes the
//! whole chain (keys that see every issuer only, as `GET /audit/verify`) and shows the
//! result: the verified head, or the first broken position and why.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::DateTime;
use issuance_domain::offer::EVENT_TYPES;
use serde::Deserialize;
use uuid::Uuid;

use super::offers::{day, given, query, when, Choice};
use super::signin::{Signed, TokenForm};
use super::{render, ConsoleError, Nav};
use crate::audit::trail::TrailVerifyError;
use crate::http::management::audit::export::respond;
use crate::http::management::audit::format::Format;
use crate::http::management::audit::head::signed_head;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;
use crate::readstore::{AuditCursor, AuditQuery};

/// Entries per page.
const PAGE_SIZE: usize = 50;

/// The filter form's fields (empty ones mean no filter).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    offer_id: String,
    #[serde(default, rename = "type")]
    event_type: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    issuer: String,
    /// On or after this day (UTC).
    #[serde(default)]
    from: String,
    /// On or before this day (UTC).
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// One entry.
struct Row {
    position: u64,
    at: String,
    kind: String,
    actor: String,
    offer_id: Option<String>,
    summary: String,
    request_id: String,
    hash: String,
}

/// The chain's signed head.
struct Head {
    position: u64,
    hash: String,
    signed_at: String,
    jws: String,
}

/// What a verification found.
struct Verified {
    valid: bool,
    entries: u64,
    head_position: u64,
    head_hash: String,
    broken_position: Option<u64>,
    problem: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    csrf: String,
    filters: Filters,
    types: Vec<Choice>,
    rows: Vec<Row>,
    next: Option<String>,
    can_verify: bool,
    verified: Option<Verified>,
    head: Option<Head>,
    exports: [(&'static str, String); 2],
}

/// `GET /console/audit`.
pub async fn list(
    state: web::Data<ManagementApi>,
    signed: Signed,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let filters: Filters = query(&request)?;
    page(&state, &signed, filters, None).await
}

/// The page of entries `filters` select, with a verification's result.
async fn page(
    state: &ManagementApi,
    signed: &Signed,
    filters: Filters,
    verified: Option<Verified>,
) -> Result<HttpResponse, ConsoleError> {
    let caller = signed.caller();
    let query = store_query(&filters, caller, PAGE_SIZE)?;
    let head = match caller.issuers().is_none() && given(&filters.cursor).is_none() {
        true => {
            let (claims, jws) = signed_head(state, caller).await?;
            Some(Head {
                position: claims.position,
                hash: claims.hash,
                signed_at: DateTime::from_timestamp(claims.iat, 0)
                    .map(when)
                    .unwrap_or_default(),
                jws,
            })
        }
        false => None,
    };
    let found = state.audit.entries(query).await.map_err(ApiError::from)?;
    let rows = found
        .entries
        .into_iter()
        .map(|entry| Row {
            position: entry.position,
            at: when(entry.occurred_at),
            kind: entry.event_type,
            actor: entry.actor,
            offer_id: entry.offer_id.map(|id| id.to_string()),
            summary: entry.summary,
            request_id: entry.request_id.unwrap_or_default(),
            hash: entry.hash.chars().take(12).collect(),
        })
        .collect();
    let filtered = filter_query(&filters);
    let next = found.next_cursor.map(|cursor| {
        let cursor = format!("cursor={}", urlencoding::encode(&cursor.encode()));
        format!("/console/audit?{}", join(&[&filtered, &cursor]))
    });
    let exports = [("NDJSON", "ndjson"), ("CSV", "csv")].map(|(name, extension)| {
        let link = format!("/console/audit/export.{extension}");
        match filtered.is_empty() {
            true => (name, link),
            false => (name, format!("{link}?{filtered}")),
        }
    });
    let types = EVENT_TYPES
        .iter()
        .map(|kind| Choice {
            value: kind,
            selected: filters.event_type.trim() == *kind,
        })
        .collect();
    render(&AuditPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        filters,
        types,
        rows,
        next,
        can_verify: caller.issuers().is_none(),
        verified,
        head,
        exports,
    })
}

/// The store query of `filters` (`audit:read`; only `caller`'s issuers), `limit` a page.
fn store_query(
    filters: &Filters,
    caller: &Caller,
    limit: usize,
) -> Result<AuditQuery, ConsoleError> {
    caller.require(Scope::AuditRead)?;
    let event_type = given(&filters.event_type);
    if let Some(kind) = &event_type {
        if !EVENT_TYPES.contains(&kind.as_str()) {
            return Err(ConsoleError::BadRequest(format!(
                "unknown event type `{kind}`"
            )));
        }
    }
    let offer_id = given(&filters.offer_id)
        .map(|id| {
            Uuid::parse_str(&id)
                .map_err(|_| ConsoleError::BadRequest("offer: not an offer id".into()))
        })
        .transpose()?;
    let after = given(&filters.cursor)
        .map(|c| {
            AuditCursor::decode(&c)
                .ok_or_else(|| ConsoleError::BadRequest("the page cursor is not valid".into()))
        })
        .transpose()?
        .map_or(0, |c| c.0);
    Ok(AuditQuery {
        issuers: caller.issuer_filter(given(&filters.issuer)),
        offer_id,
        event_type,
        actor: given(&filters.actor),
        from: day(&filters.from, 0, "from")?,
        to: day(&filters.to, 1, "to")?,
        after,
        until: None,
        limit,
    })
}

/// `GET /console/audit/export.ndjson` and `…/export.csv`: the entries the filters select,
/// every page, through the API's export (`GET /audit/export`).
pub async fn export(
    state: web::Data<ManagementApi>,
    signed: Signed,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let format = match path.as_str() {
        "ndjson" => Format::Ndjson,
        "csv" => Format::Csv,
        _ => return Err(ConsoleError::BadRequest("export as ndjson or csv".into())),
    };
    let filters: Filters = query(&request)?;
    let query = store_query(&filters, signed.caller(), 0)?;
    Ok(respond(&state, query, None, format).await?)
}

/// `POST /console/audit/verify`: verifies the chain and shows the first page with the
/// result.
pub async fn verify(
    state: web::Data<ManagementApi>,
    signed: Signed,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    caller.require(Scope::AuditRead)?;
    caller.require_every_issuer("verifying the audit chain")?;
    let report = state.audit.verify(None, false).await.map_err(|e| match e {
        TrailVerifyError::SignedHead(_) => {
            ApiError::bad_request("invalid_signed_head", e.to_string())
        }
        TrailVerifyError::Verify(e) => ApiError::unavailable(&e),
    })?;
    if let Some(broken) = &report.broken {
        tracing::warn!(
            position = broken.position,
            problem = broken.problem.code(),
            "audit chain verification failed (console)"
        );
    }
    let verified = Verified {
        valid: report.valid(),
        entries: report.entries,
        head_position: report.tip.position,
        head_hash: report.tip.hash.clone(),
        broken_position: report.broken.as_ref().map(|b| b.position),
        problem: report
            .broken
            .as_ref()
            .map(|b| b.problem.describe())
            .unwrap_or_default(),
    };
    page(&state, &signed, Filters::default(), Some(verified)).await
}

/// The filters as query parameters (`a=1&b=2`).
fn filter_query(filters: &Filters) -> String {
    let pairs = [
        ("offer_id", filters.offer_id.as_str()),
        ("type", &filters.event_type),
        ("actor", &filters.actor),
        ("issuer", &filters.issuer),
        ("from", &filters.from),
        ("to", &filters.to),
    ];
    let given: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(name, value)| format!("{name}={}", urlencoding::encode(value.trim())))
        .collect();
    given.join("&")
}

/// The non-empty `parts`, joined by `&`.
fn join(parts: &[&str]) -> String {
    let given: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    given.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_given_filters_only() {
        let filters = Filters {
            event_type: "OfferCreated".into(),
            actor: " some one ".into(),
            ..Filters::default()
        };
        let query = filter_query(&filters);
        assert_eq!(query, "type=OfferCreated&actor=some%20one");
        assert_eq!(join(&[&query, "cursor=x"]), format!("{query}&cursor=x"));
        assert_eq!(join(&["", "cursor=x"]), "cursor=x");
        assert_eq!(filter_query(&Filters::default()), "");
    }
}
