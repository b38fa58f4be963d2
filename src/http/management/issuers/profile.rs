//! `PUT /issuers/{id}/profile`: the interoperability profile an issuer follows (`standard`
//! or `haip`). A `haip` issuer's wallet API requires and advertises what HAIP 1.0 makes
//! mandatory (see [`crate::http::wallet::served`]); it cannot be set where the deployment
//! verifies no wallet attestations, and a deployment-wide `profile = "haip"` makes every
//! issuer `haip` whatever it records. The default issuer is served at the root with the
//! deployment's settings, so its profile is the configuration file's `profile`: a change
//! through the API is refused rather than recorded without effect.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use issuance_domain::issuer::IssuerProfile;
use serde::Deserialize;

use super::view;
use crate::app::issuers::DEFAULT_ISSUER;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// `PUT /issuers/{id}/profile`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// `standard` or `haip`.
    profile: String,
}

/// Sets the profile: 200 with the issuer (unchanged when it already follows it); 400
/// `invalid_request` for an unknown profile; 404; 409 `issuer_retired`,
/// `certificate_chain_required` (the active key has no chain),
/// `attestation_not_configured` (`haip` without `attestation.trust_anchors`) or
/// `profile_from_configuration` (the default issuer).
pub async fn put(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<String>,
    body: web::Json<ProfileChange>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(&path)?;
    // An unknown issuer is 404 whatever the deployment could serve.
    state.issuers.get(&path).await?;
    let profile = checked(&state, &body.into_inner().profile)?;
    if path.as_str() == DEFAULT_ISSUER {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "profile_from_configuration",
            "the default issuer follows the deployment's `profile` (configuration file): \
             change it there",
        ));
    }
    let meta = command_meta(&state, &caller, context);
    let issuer = state.issuers.set_profile(&meta, &path, profile).await?;
    Ok(HttpResponse::Ok().json(view::issuer(&issuer, &state.settings)))
}

/// The profile named `name` if this deployment can serve it: 400 `invalid_request` for an
/// unknown name, 409 `attestation_not_configured` for `haip` without trust anchors.
pub(super) fn checked(state: &ManagementApi, name: &str) -> Result<IssuerProfile, ApiError> {
    let profile = IssuerProfile::parse(name).ok_or_else(|| {
        ApiError::invalid_request(format!(
            "unknown profile `{name}`: expected `standard` or `haip`"
        ))
    })?;
    if profile == IssuerProfile::Haip && !state.settings.attestation.enabled() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "attestation_not_configured",
            "profile haip needs wallet attestations: configure attestation.trust_anchors",
        ));
    }
    Ok(profile)
}
