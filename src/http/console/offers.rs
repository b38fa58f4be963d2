//! `GET /console/offers`: the offers a key sees (`offers:read`), newest first, with the
//! API's filters (status, configuration, subject, created between, issuer) and cursor
//! paging, through the same query port as `GET /offers`; above them, how many offers the
//! key sees in each status right now (of the issuer filtered on, if any), each a link to
//! them.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Utc};
use issuance_domain::offer::OfferStatus;
use serde::Deserialize;

use super::signin::Signed;
use super::{render, ConsoleError, Nav};
use crate::http::management::auth::Scope;
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;
use crate::readstore::{OfferCursor, OfferQuery};

/// Offers per page.
const PAGE_SIZE: usize = 50;

/// Every status, in lifecycle order.
const STATUSES: [OfferStatus; 7] = [
    OfferStatus::Created,
    OfferStatus::Redeemed,
    OfferStatus::Issuing,
    OfferStatus::Completed,
    OfferStatus::Expired,
    OfferStatus::Failed,
    OfferStatus::Revoked,
];

/// The filter form's fields (empty ones mean no filter).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    configuration: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    issuer: String,
    /// Created on or after this day (UTC, `YYYY-MM-DD`).
    #[serde(default)]
    created_from: String,
    /// Created on or before this day (UTC, `YYYY-MM-DD`).
    #[serde(default)]
    created_to: String,
    #[serde(default)]
    cursor: String,
}

/// A choice of a select box.
pub struct Choice {
    /// Its value.
    pub value: &'static str,
    /// Whether it is the current one.
    pub selected: bool,
}

/// A status and how many offers the key sees in it, linking to them.
struct Count {
    status: &'static str,
    count: u64,
    current: bool,
}

/// One row of the table.
struct Row {
    id: String,
    status: &'static str,
    configurations: String,
    subject: String,
    issuer: String,
    created_at: String,
}

#[derive(Template)]
#[template(path = "console/offers.html")]
struct OffersPage {
    nav: Option<Nav>,
    filters: Filters,
    statuses: Vec<Choice>,
    counts: Vec<Count>,
    total: u64,
    rows: Vec<Row>,
    next: Option<String>,
}

/// `Some(text)` unless blank.
pub(super) fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The start of day `text` (`YYYY-MM-DD`, UTC), `days` later.
pub(super) fn day(
    text: &str,
    days: u64,
    field: &str,
) -> Result<Option<DateTime<Utc>>, ConsoleError> {
    let Some(text) = given(text) else {
        return Ok(None);
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.checked_add_days(Days::new(days)))
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| Some(time.and_utc()))
        .ok_or_else(|| ConsoleError::BadRequest(format!("{field}: not a date (YYYY-MM-DD)")))
}

/// A time as the console shows it.
pub(super) fn when(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A JSON value as text: strings as they are, anything else as JSON.
pub(super) fn text_of(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Reads query parameters without the API's JSON error handler.
pub(super) fn query<T: serde::de::DeserializeOwned>(
    request: &HttpRequest,
) -> Result<T, ConsoleError> {
    web::Query::<T>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ConsoleError::BadRequest(format!("the filters are not valid: {e}")))
}

/// `GET /console/offers`.
pub async fn list(
    state: web::Data<ManagementApi>,
    signed: Signed,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let caller = signed.caller();
    caller.require(Scope::OffersRead)?;
    let filters: Filters = query(&request)?;
    let status = given(&filters.status)
        .map(|s| {
            OfferStatus::parse(&s)
                .ok_or_else(|| ConsoleError::BadRequest(format!("unknown status `{s}`")))
        })
        .transpose()?;
    let cursor = given(&filters.cursor)
        .map(|c| {
            OfferCursor::decode(&c)
                .ok_or_else(|| ConsoleError::BadRequest("the page cursor is not valid".into()))
        })
        .transpose()?;
    let issuers = caller.issuer_filter(given(&filters.issuer));
    let counted = state
        .queries
        .counts_by_status(issuers.clone())
        .await
        .map_err(ApiError::from)?;
    let counts: Vec<Count> = STATUSES
        .iter()
        .map(|s| Count {
            status: s.as_str(),
            count: counted
                .iter()
                .find(|(counted, _)| counted == s)
                .map_or(0, |(_, n)| *n),
            current: status == Some(*s),
        })
        .collect();
    let query = OfferQuery {
        issuers,
        status,
        credential_configuration_id: given(&filters.configuration),
        subject_pseudonym: None,
        created_after: day(&filters.created_from, 0, "created from")?,
        created_before: day(&filters.created_to, 1, "created to")?,
        limit: PAGE_SIZE,
        cursor,
    };
    let subject = given(&filters.subject);
    let page = state
        .queries
        .list(query, subject.as_deref())
        .await
        .map_err(ApiError::from)?;
    let rows = page
        .items
        .iter()
        .map(|view| Row {
            id: view.offer_id.to_string(),
            status: view.status.as_str(),
            configurations: view.credential_configuration_ids.join(", "),
            subject: text_of(view.subject.as_ref()),
            issuer: view.issuer_id.clone(),
            created_at: when(view.created_at),
        })
        .collect();
    let next = page.next_cursor.map(|cursor| next_link(&filters, &cursor));
    let statuses = STATUSES
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            selected: filters.status.trim() == s.as_str(),
        })
        .collect();
    render(&OffersPage {
        nav: signed.nav(),
        filters,
        statuses,
        total: counts.iter().map(|c| c.count).sum(),
        counts,
        rows,
        next,
    })
}

/// The link to the page after `cursor`, with the same filters.
fn next_link(filters: &Filters, cursor: &OfferCursor) -> String {
    let pairs = [
        ("status", filters.status.as_str()),
        ("configuration", &filters.configuration),
        ("subject", &filters.subject),
        ("issuer", &filters.issuer),
        ("created_from", &filters.created_from),
        ("created_to", &filters.created_to),
    ];
    let mut link = String::from("/console/offers?");
    for (name, value) in pairs.iter().filter(|(_, v)| !v.trim().is_empty()) {
        link.push_str(&format!("{name}={}&", urlencoding::encode(value.trim())));
    }
    link.push_str(&format!("cursor={}", urlencoding::encode(&cursor.encode())));
    link
}
