//! Issuers and credential configurations. `GET /console/issuers` lists the
//! configuration file's credential configurations (the default issuer's, as
//! `GET /credential-configurations`: `offers:read` or `offers:write`) and the issuers
//! managed at runtime (as `GET /issuers`: `issuers:read`), each section shown to the keys
//! the API would answer. `GET /console/issuers/{id}` shows one runtime issuer as
//! `GET /issuers/{id}` and its routes do: display, status, signing keys (never a private
//! key) and every configuration with its versions. Both render the API's own JSON views.
//! A key with `issuers:write` also gets the forms and links that change them
//! ([`super::issuer_edit`], [`super::issuer_keys`], [`super::issuer_configurations`]).

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::offers::{text_of, when};
use super::signin::Signed;
use super::{render, ConsoleError, Nav};
use crate::http::management::auth::Scope;
use crate::http::management::configurations::default_configurations;
use crate::http::management::issuers::issuer::{one, visible};
use crate::http::management::issuers::view;
use crate::http::state::ManagementApi;

/// A credential configuration as a table row shows it.
struct Configuration {
    id: String,
    /// The id as a URL's path segment or query value.
    path: String,
    format: String,
    kind: String,
    scope: String,
    version: String,
    status: String,
    published: String,
    /// The whole configuration, pretty JSON.
    json: String,
}

/// A runtime issuer as the list shows it.
struct IssuerRow {
    id: String,
    name: String,
    status: String,
    configurations: String,
    active_kid: String,
    created_at: String,
}

/// A signing key.
struct Key {
    kid: String,
    alg: String,
    status: String,
    origin: String,
    added_at: String,
}

#[derive(Template)]
#[template(path = "console/issuers.html")]
struct IssuersPage {
    nav: Option<Nav>,
    /// The creation form's token, for a key with `issuers:write`.
    create: Option<String>,
    /// The creation form's (empty) fields.
    form: super::issuer_edit::NewIssuerForm,
    defaults: Option<Vec<Configuration>>,
    issuers: Option<Vec<IssuerRow>>,
}

#[derive(Template)]
#[template(path = "console/issuer.html")]
struct IssuerPage {
    nav: Option<Nav>,
    /// The forms' token, for a key with `issuers:write` while the issuer is not retired.
    edit: Option<String>,
    issuer: IssuerRow,
    keys: Vec<Key>,
    configurations: Vec<Configuration>,
}

/// A JSON field as text.
fn field(value: &Value, name: &str) -> String {
    text_of(value.get(name))
}

/// A JSON time field as the console shows times (as it is if it is not RFC 3339).
fn time(value: &Value, name: &str) -> String {
    let text = field(value, name);
    DateTime::parse_from_rfc3339(&text)
        .map(|t| when(t.with_timezone(&Utc)))
        .unwrap_or(text)
}

/// A configuration of `GET /credential-configurations`, or a configuration version's
/// `configuration` of `/issuers/{id}/credential-configurations/{id}`.
fn configuration(id: String, body: &Value, version: String, status: String) -> Configuration {
    let kind = match body.get("doctype") {
        Some(doctype) => text_of(Some(doctype)),
        None => field(body, "vct"),
    };
    Configuration {
        path: urlencoding::encode(&id).into_owned(),
        id,
        format: field(body, "format"),
        kind,
        scope: field(body, "scope"),
        version,
        status,
        published: String::new(),
        json: serde_json::to_string_pretty(body).unwrap_or_default(),
    }
}

/// An issuer of `GET /issuers` as a row.
fn issuer_row(issuer: &Value) -> IssuerRow {
    let configurations = issuer["credential_configurations"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| format!("{} v{}", field(c, "id"), field(c, "version")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    IssuerRow {
        id: field(issuer, "id"),
        name: issuer["display"]
            .as_array()
            .and_then(|d| d.first())
            .map(|d| field(d, "name"))
            .unwrap_or_default(),
        status: field(issuer, "status"),
        configurations,
        active_kid: field(issuer, "active_kid"),
        created_at: time(issuer, "created_at"),
    }
}

/// `GET /console/issuers`.
pub async fn list(
    state: web::Data<ManagementApi>,
    signed: Signed,
) -> Result<HttpResponse, ConsoleError> {
    let caller = signed.caller();
    let readable = caller.has(Scope::OffersRead) || caller.has(Scope::OffersWrite);
    let defaults = match readable && caller.sees_issuer(None) {
        true => Some(
            default_configurations(&state, caller)?
                .iter()
                .map(|c| configuration(field(c, "id"), c, String::new(), String::new()))
                .collect(),
        ),
        false => None,
    };
    let issuers = match caller.has(Scope::IssuersRead) {
        true => Some(
            visible(&state, caller)
                .await?
                .iter()
                .map(|issuer| issuer_row(&view::issuer(issuer, &state.settings)))
                .collect(),
        ),
        false => None,
    };
    if defaults.is_none() && issuers.is_none() {
        caller.require(Scope::IssuersRead)?;
    }
    render(&IssuersPage {
        nav: signed.nav(),
        create: caller
            .has(Scope::IssuersWrite)
            .then(|| signed.csrf().to_string()),
        form: Default::default(),
        defaults,
        issuers,
    })
}

/// `GET /console/issuers/{id}`.
pub async fn page(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let issuer = one(&state, signed.caller(), &path).await?;
    let keys = issuer
        .keys
        .values()
        .map(|key| {
            let key = view::key(key);
            Key {
                kid: field(&key, "kid"),
                alg: field(&key, "alg"),
                status: field(&key, "status"),
                origin: field(&key, "origin"),
                added_at: time(&key, "added_at"),
            }
        })
        .collect();
    let configurations = issuer
        .configurations
        .iter()
        .map(|(id, history)| {
            let history = view::history(id, history);
            let latest = history["versions"]
                .as_array()
                .and_then(|v| v.last())
                .cloned()
                .unwrap_or_default();
            Configuration {
                published: format!(
                    "{} by {}",
                    time(&latest, "published_at"),
                    field(&latest, "published_by")
                ),
                ..configuration(
                    id.clone(),
                    &history["configuration"],
                    field(&history, "version"),
                    field(&history, "status"),
                )
            }
        })
        .collect();
    let writable = signed.caller().has(Scope::IssuersWrite) && !issuer.is_retired();
    render(&IssuerPage {
        nav: signed.nav(),
        edit: writable.then(|| signed.csrf().to_string()),
        issuer: issuer_row(&view::issuer(&issuer, &state.settings)),
        keys,
        configurations,
    })
}
