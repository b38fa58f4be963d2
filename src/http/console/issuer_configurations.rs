//! An issuer's credential configurations from the console (`issuers:write`), through the
//! API's own code: `GET /console/issuers/{id}/publish[?configuration=…]` is a form with a
//! configuration as `PUT /issuers/{id}/credential-configurations/{configuration_id}` takes
//! it (JSON, prefilled with the current version of an existing one), the `POST` publishes
//! it (a new configuration or a new version; the API's `details` are listed per field on a
//! refusal), and `GET …/configurations/{configuration_id}/retire` confirms what the `POST`
//! does.

use actix_web::{web, HttpResponse};
use askama::Template;
use issuance_domain::issuer::IssuerError;
use serde::Deserialize;
use serde_json::Value;

use super::editing::{problem, render_status, writable, ConfirmPage, Problem};
use super::offers::when;
use super::signin::{Signed, TokenForm};
use super::{render, see_other, ConsoleError, Nav};
use crate::http::management::error::ApiError;
use crate::http::management::issuers::configurations::{publish, retire_configuration};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// What a new configuration's form starts with.
const SKELETON: &str = r#"{
  "format": "dc+sd-jwt",
  "vct": "https://example.com/credentials/…",
  "validity_days": 365,
  "display": [{"name": "…", "locale": "en-US"}],
  "claims": [{"path": "given_name", "mandatory": true}]
}"#;

/// The publication form.
#[derive(Template)]
#[template(path = "console/configuration_form.html")]
struct PublishPage {
    nav: Option<Nav>,
    csrf: String,
    issuer: String,
    /// The configuration's id (fixed when editing an existing one).
    configuration_id: String,
    /// Whether it exists (a new version is published).
    existing: bool,
    /// Its current version, 0 for a new one.
    version: u32,
    json: String,
    problem: Option<Problem>,
}

/// Which configuration the form edits.
#[derive(Deserialize)]
pub struct Which {
    #[serde(default)]
    configuration: Option<String>,
}

/// `GET /console/issuers/{id}/publish[?configuration=…]`: the form, for a new
/// configuration or a new version of an existing one (prefilled with its current version).
pub async fn form(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<String>,
    query: web::Query<Which>,
) -> Result<HttpResponse, ConsoleError> {
    let issuer = writable(&state, signed.caller(), &path).await?;
    let (configuration_id, version, json) = match query.into_inner().configuration {
        Some(configuration_id) => {
            let current = issuer
                .current_configuration(&configuration_id)
                .ok_or_else(|| {
                    ApiError::from(IssuerError::UnknownConfiguration(configuration_id.clone()))
                })?;
            let json = serde_json::to_string_pretty(&current.configuration).unwrap_or_default();
            (configuration_id, current.version, json)
        }
        None => (String::new(), 0, SKELETON.to_string()),
    };
    render(&PublishPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        issuer: path.into_inner(),
        existing: version > 0,
        configuration_id,
        version,
        json,
        problem: None,
    })
}

/// The publication form's fields.
#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    configuration_id: String,
    #[serde(default)]
    version: u32,
    #[serde(default)]
    configuration: String,
}

/// `POST /console/issuers/{id}/publish`: publishes the configuration, then `303` to the
/// issuer; a refusal shows the form again with the API's description and details.
pub async fn submit(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<String>,
    form: web::Form<PublishForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    let id = path.into_inner();
    let configuration_id = form.configuration_id.trim().to_string();
    let outcome = match serde_json::from_str::<Value>(&form.configuration) {
        Ok(configuration) => publish(
            &state,
            caller,
            context,
            &id,
            &configuration_id,
            configuration,
        )
        .await
        .map_err(problem),
        Err(e) => Err(Ok(Problem::bad_request(format!(
            "the configuration is not JSON: {e}"
        )))),
    };
    let problem = match outcome {
        Ok(publication) => {
            tracing::info!(
                key = %caller.name, issuer = %id, configuration = %configuration_id,
                version = publication.current.version, "configuration published from the console"
            );
            return Ok(see_other(&format!("/console/issuers/{id}")));
        }
        Err(problem) => problem?,
    };
    render_status(
        problem.status,
        &PublishPage {
            nav: signed.nav(),
            csrf: signed.csrf().to_string(),
            issuer: id,
            existing: form.version > 0,
            configuration_id,
            version: form.version,
            json: form.configuration,
            problem: Some(problem),
        },
    )
}

/// `GET /console/issuers/{id}/configurations/{configuration_id}/retire`: what retiring the
/// configuration does, and the form.
pub async fn retire_form(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, configuration_id) = path.into_inner();
    let issuer = writable(&state, signed.caller(), &id).await?;
    let history = issuer
        .configurations
        .get(&configuration_id)
        .ok_or_else(|| {
            ApiError::from(IssuerError::UnknownConfiguration(configuration_id.clone()))
        })?;
    let latest = history.latest();
    let refusal = if history.is_retired() {
        Some("The configuration is already retired.".to_string())
    } else if issuer.is_retired() {
        Some("The issuer is retired: its configurations change no more.".to_string())
    } else {
        None
    };
    render(&ConfirmPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        title: format!("Retire configuration {configuration_id} of {id}"),
        facts: vec![
            ("Configuration".into(), configuration_id.clone()),
            (
                "Current version".into(),
                latest.map(|v| v.version.to_string()).unwrap_or_default(),
            ),
            (
                "Published".into(),
                latest.map(|v| when(v.published_at)).unwrap_or_default(),
            ),
        ],
        refusal,
        consequences: vec![
            "Retiring is for good: no new offer can name the configuration and no new \
             version of it can be published."
                .into(),
            "Its versions stay readable for the offers made from them; credentials already \
             issued are not affected."
                .into(),
        ],
        action: format!("/console/issuers/{id}/configurations/{configuration_id}/retire"),
        button: "Retire the configuration".into(),
        issuer: id,
    })
}

/// `POST /console/issuers/{id}/configurations/{configuration_id}/retire`: retires it, then
/// `303` to the issuer.
pub async fn retire(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<(String, String)>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    let (id, configuration_id) = path.into_inner();
    retire_configuration(&state, caller, context, &id, &configuration_id).await?;
    tracing::info!(
        key = %caller.name, issuer = %id, configuration = %configuration_id,
        "configuration retired from the console"
    );
    Ok(see_other(&format!("/console/issuers/{id}")))
}
