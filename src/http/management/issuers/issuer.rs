//! `POST /issuers`, `GET /issuers`, `GET`/`PATCH`/`DELETE /issuers/{id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use issuance_domain::issuer::{Issuer, IssuerDisplay};
use serde::Deserialize;
use serde_json::json;

use super::view;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// `POST /issuers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIssuer {
    /// The slug (`a-z 0-9 -`, at most 64).
    id: String,
    /// Its display, one entry per locale.
    #[serde(default)]
    display: Vec<IssuerDisplay>,
    /// Its profile (`standard` when left out), as `PUT /issuers/{id}/profile` sets it.
    #[serde(default)]
    profile: Option<String>,
}

/// `PATCH /issuers/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerChange {
    /// The new display.
    display: Vec<IssuerDisplay>,
}

/// Creates an issuer: 201 with it; 409 `issuer_exists`; 400 for an invalid id or display;
/// 403 for a key restricted to other issuers (whether or not the id exists). A `profile`
/// is checked first and set right after the creation (an issuer without keys may follow
/// `haip`).
pub async fn create(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    body: web::Json<NewIssuer>,
) -> Result<HttpResponse, ApiError> {
    let NewIssuer {
        id,
        display,
        profile,
    } = body.into_inner();
    caller.require(Scope::IssuersWrite)?;
    let profile = match profile {
        Some(name) => Some(super::profile::checked(&state, &name)?),
        None => None,
    };
    let mut issuer = create_issuer(&state, &caller, context.clone(), &id, display).await?;
    if let Some(profile) = profile.filter(|p| *p != issuer.profile) {
        let meta = command_meta(&state, &caller, context);
        issuer = state.issuers.set_profile(&meta, &id, profile).await?;
    }
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/issuers/{id}")))
        .json(view::issuer(&issuer, &state.settings)))
}

/// Creates issuer `id` for `caller` (`issuers:write`, 403 if restricted to other issuers):
/// the API's `POST /issuers` and the console's form.
pub(crate) async fn create_issuer(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    id: &str,
    display: Vec<IssuerDisplay>,
) -> Result<Issuer, ApiError> {
    caller.require(Scope::IssuersWrite)?;
    if !caller.sees_issuer(Some(id)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("the API key is restricted to other issuers than `{id}`"),
        ));
    }
    let meta = command_meta(state, caller, context);
    Ok(state.issuers.create(&meta, id, display).await?)
}

/// Every issuer the key sees, retired ones included.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<_> = visible(&state, &caller)
        .await?
        .iter()
        .map(|issuer| view::issuer(issuer, &state.settings))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// The issuers `caller` sees (`issuers:read`), retired ones included: the API's list and
/// the console's.
pub(crate) async fn visible(
    state: &ManagementApi,
    caller: &Caller,
) -> Result<Vec<Issuer>, ApiError> {
    caller.require(Scope::IssuersRead)?;
    let issuers = state.issuers.list().await?;
    Ok(issuers
        .into_iter()
        .filter(|issuer| match &issuer.issuer_id {
            Some(id) => caller.sees_issuer(Some(id.as_str())),
            None => caller.issuers().is_none(),
        })
        .collect())
}

/// One issuer; 404 if unknown.
pub async fn get(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let issuer = one(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(view::issuer(&issuer, &state.settings)))
}

/// Issuer `id` for `caller` (`issuers:read`, an issuer it sees): the API's and the
/// console's.
pub(crate) async fn one(
    state: &ManagementApi,
    caller: &Caller,
    id: &str,
) -> Result<Issuer, ApiError> {
    caller.require(Scope::IssuersRead)?;
    caller.require_issuer(id)?;
    Ok(state.issuers.get(id).await?)
}

/// Replaces the display: 200 with the issuer; 404, 409 `issuer_retired`, 400.
pub async fn change(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<String>,
    body: web::Json<IssuerChange>,
) -> Result<HttpResponse, ApiError> {
    let display = body.into_inner().display;
    let issuer = change_display(&state, &caller, context, &path, display).await?;
    Ok(HttpResponse::Ok().json(view::issuer(&issuer, &state.settings)))
}

/// Replaces issuer `id`'s display for `caller` (`issuers:write`, an issuer it sees): the
/// API's `PATCH /issuers/{id}` and the console's form.
pub(crate) async fn change_display(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    id: &str,
    display: Vec<IssuerDisplay>,
) -> Result<Issuer, ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(id)?;
    let meta = command_meta(state, caller, context);
    Ok(state.issuers.change_display(&meta, id, display).await?)
}

/// Retires the issuer (nothing is deleted): 204; 404; 409 `issuer_retired`.
pub async fn retire(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    retire_issuer(&state, &caller, context, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Retires issuer `id` for `caller` (`issuers:write`, an issuer it sees): the API's
/// `DELETE /issuers/{id}` and the console's confirmed form.
pub(crate) async fn retire_issuer(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    id: &str,
) -> Result<(), ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(id)?;
    let meta = command_meta(state, caller, context);
    state.issuers.retire(&meta, id).await?;
    Ok(())
}
