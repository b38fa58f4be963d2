//! Creating an issuer, changing its display and retiring it (`issuers:write`), through the
//! API's own code (`POST /issuers`, `PATCH` and `DELETE /issuers/{id}`). The list page holds
//! the creation form (`POST /console/issuers`); `GET`/`POST /console/issuers/{id}/display`
//! edits the display as the API's JSON list; `GET /console/issuers/{id}/retire` confirms
//! what the `POST` does. The API's 400 and 409 are shown in the form again.

use actix_web::{web, HttpResponse};
use askama::Template;
use issuance_domain::issuer::IssuerDisplay;
use serde::Deserialize;

use super::editing::{problem, render_status, writable, ConfirmPage, Problem};
use super::offers::given;
use super::signin::{Signed, TokenForm};
use super::{render, see_other, ConsoleError, Nav};
use crate::http::management::issuers::issuer::{change_display, create_issuer, retire_issuer};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// The creation form's fields.
#[derive(Deserialize, Default)]
pub struct NewIssuerForm {
    #[serde(default)]
    csrf: String,
    /// The issuer's id.
    #[serde(default)]
    pub id: String,
    /// Its display name.
    #[serde(default)]
    pub name: String,
    /// The name's locale.
    #[serde(default)]
    pub locale: String,
}

/// The creation form again, with the API's refusal.
#[derive(Template)]
#[template(path = "console/issuer_new.html")]
struct NewIssuerPage {
    nav: Option<Nav>,
    csrf: String,
    form: NewIssuerForm,
    problem: Option<Problem>,
}

/// `POST /console/issuers`: creates the issuer (its display: the name in the locale, if
/// a name is given), then `303` to it.
pub async fn create(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    form: web::Form<NewIssuerForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    let id = form.id.trim().to_string();
    let display = match given(&form.name) {
        Some(name) => vec![IssuerDisplay {
            name,
            locale: given(&form.locale),
            logo: None,
        }],
        None => Vec::new(),
    };
    match create_issuer(&state, caller, context, &id, display).await {
        Ok(_) => {
            tracing::info!(key = %caller.name, issuer = %id, "issuer created from the console");
            Ok(see_other(&format!("/console/issuers/{id}")))
        }
        Err(error) => {
            let problem = problem(error)?;
            render_status(
                problem.status,
                &NewIssuerPage {
                    nav: signed.nav(),
                    csrf: signed.csrf().to_string(),
                    form,
                    problem: Some(problem),
                },
            )
        }
    }
}

/// The display form.
#[derive(Template)]
#[template(path = "console/issuer_display.html")]
struct DisplayPage {
    nav: Option<Nav>,
    csrf: String,
    issuer: String,
    display: String,
    problem: Option<Problem>,
}

/// `GET /console/issuers/{id}/display`: the display as JSON, to edit.
pub async fn display_form(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let issuer = writable(&state, signed.caller(), &path).await?;
    render(&DisplayPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        issuer: path.into_inner(),
        display: serde_json::to_string_pretty(&issuer.display).unwrap_or_default(),
        problem: None,
    })
}

/// The display form's fields.
#[derive(Deserialize)]
pub struct DisplayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display: String,
}

/// `POST /console/issuers/{id}/display`: replaces the display, then `303` to the issuer.
pub async fn change(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<String>,
    form: web::Form<DisplayForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = form.into_inner();
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    let id = path.into_inner();
    let outcome = match serde_json::from_str::<Vec<IssuerDisplay>>(&form.display) {
        Ok(display) => change_display(&state, caller, context, &id, display)
            .await
            .map_err(problem),
        Err(e) => Err(Ok(Problem::bad_request(format!(
            "the display is not a JSON list of {{\"name\", \"locale\", \"logo\"}}: {e}"
        )))),
    };
    let problem = match outcome {
        Ok(_) => return Ok(see_other(&format!("/console/issuers/{id}"))),
        Err(problem) => problem?,
    };
    render_status(
        problem.status,
        &DisplayPage {
            nav: signed.nav(),
            csrf: signed.csrf().to_string(),
            issuer: id,
            display: form.display,
            problem: Some(problem),
        },
    )
}

/// `GET /console/issuers/{id}/retire`: what retiring the issuer does, and the form.
pub async fn retire_form(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let issuer = writable(&state, signed.caller(), &path).await?;
    let id = path.into_inner();
    let current = issuer.current_configurations().count();
    render(&ConfirmPage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        title: format!("Retire issuer {id}"),
        facts: vec![
            ("Keys".into(), issuer.keys.len().to_string()),
            ("Current configurations".into(), current.to_string()),
        ],
        refusal: issuer
            .is_retired()
            .then(|| "The issuer is already retired.".to_string()),
        consequences: vec![
            "Retiring is for good: the issuer takes no new offer and no change any more \
             (offers already made can still be redeemed), and its id stays taken."
                .into(),
            "Nothing is deleted: its keys, configurations and their versions stay readable \
             here and through the API."
                .into(),
        ],
        action: format!("/console/issuers/{id}/retire"),
        button: "Retire the issuer".into(),
        issuer: id,
    })
}

/// `POST /console/issuers/{id}/retire`: retires the issuer, then `303` to it.
pub async fn retire(
    state: web::Data<ManagementApi>,
    signed: Signed,
    context: RequestContext,
    path: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    signed.check_csrf(&form.csrf)?;
    let caller = signed.caller();
    retire_issuer(&state, caller, context, &path).await?;
    tracing::info!(key = %caller.name, issuer = %path, "issuer retired from the console");
    Ok(see_other(&format!("/console/issuers/{path}")))
}
