//! `/issuers/{id}/credential-configurations[/{configuration_id}]`: publish a version
//! (`PUT`, the body is one configuration as in the TOML catalogue's
//! `[[credential_configurations]]`), list the current ones, read one with its history,
//! retire one.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::view;
use crate::app::issuers::{Publication, PublicationOutcome};
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// Publishes a version: 201 for a new configuration, 200 for a new version or an
/// unchanged one (no event); 400 `invalid_configuration` with `details: [{field,
/// problem}]`; 404 unknown issuer; 409 `issuer_retired`, `configuration_retired`.
pub async fn put(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (issuer_id, configuration_id) = path.into_inner();
    let publication = publish(
        &state,
        &caller,
        context,
        &issuer_id,
        &configuration_id,
        body.into_inner(),
    )
    .await?;
    let mut response = match publication.outcome {
        PublicationOutcome::Created => HttpResponse::Created(),
        PublicationOutcome::NewVersion | PublicationOutcome::Unchanged => HttpResponse::Ok(),
    };
    let mut body = view::version(&configuration_id, &publication.current);
    body["changed"] = json!(publication.outcome != PublicationOutcome::Unchanged);
    Ok(response.json(body))
}

/// Publishes `configuration` as configuration `configuration_id` of issuer `issuer_id` for
/// `caller` (`issuers:write`, an issuer it sees): the API's `PUT` and the console's form.
pub(crate) async fn publish(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    issuer_id: &str,
    configuration_id: &str,
    configuration: Value,
) -> Result<Publication, ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(issuer_id)?;
    let meta = command_meta(state, caller, context);
    Ok(state
        .issuers
        .publish_configuration(&meta, issuer_id, configuration_id, configuration)
        .await?)
}

/// The current configurations (not retired), each with its latest version.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::IssuersRead)?;
    caller.require_issuer(&path)?;
    let issuer = state.issuers.get(&path).await?;
    let items: Vec<_> = issuer
        .current_configurations()
        .map(|(id, current)| view::version(id, current))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// One configuration (retired ones too) with its version history; 404 if unknown.
pub async fn get(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::IssuersRead)?;
    let (issuer_id, configuration_id) = path.into_inner();
    caller.require_issuer(&issuer_id)?;
    let issuer = state.issuers.get(&issuer_id).await?;
    let history = issuer
        .configurations
        .get(&configuration_id)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "the issuer has no credential configuration `{configuration_id}`"
            ))
        })?;
    Ok(HttpResponse::Ok().json(view::history(&configuration_id, history)))
}

/// Retires a configuration (its versions stay readable): 204; 404; 409
/// `configuration_retired`, `issuer_retired`.
pub async fn retire(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (issuer_id, configuration_id) = path.into_inner();
    retire_configuration(&state, &caller, context, &issuer_id, &configuration_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Retires configuration `configuration_id` of issuer `issuer_id` for `caller`
/// (`issuers:write`, an issuer it sees): the API's `DELETE` and the console's form.
pub(crate) async fn retire_configuration(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    issuer_id: &str,
    configuration_id: &str,
) -> Result<(), ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(issuer_id)?;
    let meta = command_meta(state, caller, context);
    state
        .issuers
        .retire_configuration(&meta, issuer_id, configuration_id)
        .await?;
    Ok(())
}
