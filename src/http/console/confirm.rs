//! The confirmation steps of an offer's irreversible actions: `GET
//! /console/offers/{id}/revoke` (`offers:write`) and `GET /console/offers/{id}/erase`
//! (`admin`) show the offer and what the action will do, with the CSRF-protected form that
//! does it ([`super::offer`] handles the `POST`s). A key without the action's scope gets
//! 403 here as on the `POST`.

use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

use super::offer::visible_view;
use super::offers::text_of;
use super::signin::Signed;
use super::{render, ConsoleError, Nav};
use crate::http::management::auth::Scope;
use crate::http::state::ManagementApi;

/// The offer as a confirmation page describes it.
pub struct Summary {
    /// Its id.
    pub id: String,
    /// Its status.
    pub status: &'static str,
    /// Its subject (empty: none, or erased).
    pub subject: String,
    /// Its credential configurations.
    pub configurations: String,
    /// How many credentials were issued from it.
    pub issued: usize,
    /// Whether it is still live.
    pub live: bool,
    /// Whether its claims were erased.
    pub erased: bool,
}

#[derive(Template)]
#[template(path = "console/revoke.html")]
struct RevokePage {
    nav: Option<Nav>,
    csrf: String,
    offer: Summary,
}

#[derive(Template)]
#[template(path = "console/erase.html")]
struct ErasePage {
    nav: Option<Nav>,
    csrf: String,
    offer: Summary,
}

/// The offer of `path`, for a key with `scope` that sees it.
async fn summary(
    state: &ManagementApi,
    signed: &Signed,
    path: web::Path<Uuid>,
    scope: Scope,
) -> Result<Summary, ConsoleError> {
    let caller = signed.caller();
    caller.require(scope)?;
    let offer_id = path.into_inner();
    let view = visible_view(state, caller, offer_id).await?;
    Ok(Summary {
        id: offer_id.to_string(),
        status: view.status.as_str(),
        subject: text_of(view.subject.as_ref()),
        configurations: view.credential_configuration_ids.join(", "),
        issued: view.issued.len(),
        live: !view.status.is_terminal(),
        erased: view.claims_erased,
    })
}

/// `GET /console/offers/{id}/revoke`: what revoking will do, and the form that does it.
pub async fn revoke(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let offer = summary(&state, &signed, path, Scope::OffersWrite).await?;
    render(&RevokePage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        offer,
    })
}

/// `GET /console/offers/{id}/erase`: what erasing the claims will do, and the form.
pub async fn erase(
    state: web::Data<ManagementApi>,
    signed: Signed,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let offer = summary(&state, &signed, path, Scope::Admin).await?;
    render(&ErasePage {
        nav: signed.nav(),
        csrf: signed.csrf().to_string(),
        offer,
    })
}
