//! `GET /console/integration`: how the integration side keeps up. Every signed-in key sees
//! the health that `/health/ready` reports anyway (the broker connection, the relay's and
//! the views' lag, the callback backlog, from [`Readiness::report`]) and the issuance per
//! minute over the last hour ([`chart`]); an `admin` key also sees the dead letters of
//! status callbacks and re-queues one or all of them (CSRF-checked `POST`s, then `303` back
//! with the count), through the same code as `/dead-letters`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::offers::{given, query, when};
use super::signin::{Signed, TokenForm};
use super::{chart, render, see_other, ConsoleError, Nav};
use crate::app::readiness::Readiness;
use crate::http::management::auth::Scope;
use crate::http::management::dead_letters;
use crate::http::state::ManagementApi;
use crate::integration::store::RequeueSelection;

/// Dead letters per page.
const PAGE_SIZE: usize = 50;

/// The page's query: a dead-letter page cursor, the count a re-queue just marked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    cursor: String,
    requeued: Option<u64>,
}

/// One line of the health table.
struct Fact {
    name: &'static str,
    value: String,
    ok: bool,
}

/// One dead letter.
struct Letter {
    id: String,
    offer_id: String,
    status: String,
    attempts: u32,
    reason: String,
    dead_at: String,
    requeue_requested: bool,
}

#[derive(Template)]
#[template(path = "console/integration.html")]
struct IntegrationPage {
    nav: Option<Nav>,
    csrf: String,
    transport: &'static str,
    overall: String,
    facts: Vec<Fact>,
    chart: Option<chart::Chart>,
    admin: bool,
    letters: Vec<Letter>,
    next: Option<String>,
    requeued: Option<u64>,
}

/// `GET /console/integration`.
pub async fn page(
    state: web::Data<ManagementApi>,
    readiness: web::Data<Readiness>,
    signed: Signed,
    request: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let params: Params = query(&request)?;
    let caller = signed.caller();
    let report = readiness.report().await;
    let admin = caller.has(Scope::Admin);
    let (letters, next) = match admin {
        true => {
            dead_letters::page(&state, caller, PAGE_SIZE, given(&params.cursor).as_deref()).await?
        }
        false => (Vec::new(), None),
    };
    let chart = match caller.has(Scope::OffersRead) || caller.has(Scope::AuditRead) {
        true => Some(chart::issuance(&state, caller).await?),
        false => None,
    };
    render(&IntegrationPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        transport: state.integration.transport,
        overall: text(&report.body["status"]),
        facts: facts(&report.body["checks"]),
        chart,
        admin,
        letters: letters
            .into_iter()
            .map(|letter| Letter {
                id: letter.id.to_string(),
                offer_id: letter.offer_id.to_string(),
                status: letter.status.unwrap_or_default(),
                attempts: letter.attempts,
                reason: letter.reason,
                dead_at: when(letter.dead_at),
                requeue_requested: letter.requeue_requested,
            })
            .collect(),
        next: next.map(|c| format!("/console/integration?cursor={}", urlencoding::encode(&c))),
        requeued: params.requeued,
    })
}

/// A JSON value as text (strings without quotes, nothing for `null`).
fn text(value: &Value) -> String {
    super::offers::text_of(Some(value))
}

/// What the console shows of the readiness checks.
fn facts(checks: &Value) -> Vec<Fact> {
    let mut facts = Vec::new();
    for (name, key) in [
        ("Broker", "broker"),
        ("Callback consumer", "callback_consumer"),
    ] {
        if let Some(check) = checks.get(key) {
            facts.push(Fact {
                name,
                value: text(&check["detail"]),
                ok: check["ready"].as_bool().unwrap_or(false),
            });
        }
    }
    for (name, key) in [
        ("Relay lag (events)", "relay"),
        ("Offer view lag (events)", "offer_view"),
        ("Audit view lag", "audit_view"),
    ] {
        if let Some(lag) = checks.get(key).and_then(|c| c["lag"].as_u64()) {
            facts.push(Fact {
                name,
                value: lag.to_string(),
                ok: checks[key]["ready"].as_bool().unwrap_or(true),
            });
        }
    }
    if let Some(callbacks) = checks.get("callbacks") {
        facts.push(Fact {
            name: "Callback backlog",
            value: match callbacks["oldest_age_seconds"].as_f64() {
                Some(age) => format!("{} (oldest {age:.0} s)", text(&callbacks["depth"])),
                None => text(&callbacks["depth"]),
            },
            ok: !callbacks["degraded"].as_bool().unwrap_or(false),
        });
    }
    facts
}

/// `POST /console/integration/dead-letters/{id}/requeue`.
pub async fn requeue_one(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<Uuid>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let selection = RequeueSelection::One(path.into_inner());
    requeued(dead_letters::requeue(&state, signed.caller(), selection).await?)
}

/// `POST /console/integration/dead-letters/requeue`: every dead letter.
pub async fn requeue_all(
    state: web::Data<ManagementApi>,
    signed: Signed,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let selection = RequeueSelection::All;
    requeued(dead_letters::requeue(&state, signed.caller(), selection).await?)
}

fn requeued(count: u64) -> Result<HttpResponse, ConsoleError> {
    Ok(see_other(&format!("/console/integration?requeued={count}")))
}
