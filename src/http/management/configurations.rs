//! `GET /credential-configurations`: the default issuer's, both formats, SD-JWT VC first
//! (404 for a key restricted to other issuers, as the default issuer's own routes).

use actix_web::{web, HttpResponse};
use issuance_domain::mdoc_config::FORMAT_MSO_MDOC;
use serde_json::{json, Value};

use super::auth::{Caller, Scope};
use super::error::ApiError;
use crate::app::issuers::DEFAULT_ISSUER;
use crate::http::state::ManagementApi;

/// Lists the configured credential types.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let items = default_configurations(&state, &caller)?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// The default issuer's configurations as `GET /credential-configurations` lists them, for
/// `caller` (`offers:read` or `offers:write`, seeing the default issuer): the API's and the
/// console's.
pub(crate) fn default_configurations(
    state: &ManagementApi,
    caller: &Caller,
) -> Result<Vec<Value>, ApiError> {
    caller
        .require(Scope::OffersRead)
        .or_else(|_| caller.require(Scope::OffersWrite))?;
    caller.require_issuer(DEFAULT_ISSUER)?;
    let items: Vec<_> = state
        .catalog
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "format": c.format,
                "vct": c.vct,
                "scope": c.scope,
                "display": c.display,
                "validity_seconds": c.validity_seconds,
                "claims": c.claims.iter().map(|claim| json!({
                    "path": claim.path,
                    "name": claim.path.to_string(),
                    "mandatory": claim.mandatory,
                    "selectively_disclosable": claim.selectively_disclosable,
                    "value_type": claim.value_type,
                    "display": claim.display,
                })).collect::<Vec<_>>(),
            })
        })
        .chain(state.catalog.mdoc_iter().map(|c| {
            json!({
                "id": c.id,
                "format": FORMAT_MSO_MDOC,
                "doctype": c.doctype,
                "scope": c.scope,
                "display": c.display,
                "validity_seconds": c.validity_seconds,
                "claims": c.claims.iter().map(|claim| json!({
                    "path": [claim.namespace, claim.element],
                    "name": claim.name(),
                    "mandatory": claim.mandatory,
                    "value_type": claim.value_type,
                    "display": claim.display,
                })).collect::<Vec<_>>(),
            })
        }))
        .collect();
    Ok(items)
}
