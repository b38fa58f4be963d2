//! `GET /audit/head`: the chain's latest position and hash, signed with the issuer key as a
//! compact JWS (`typ` `audit-head+jwt`), verifiable with the issuer's published JWKS.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::audit::head::HeadClaims;
use crate::audit::trail::SignedHeadError;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::error::ApiError;
use crate::http::state::ManagementApi;

/// The signed head: `{"position", "hash", "chain", "signed_at", "jws"}`. The chain holds
/// every issuer's entries: 403 for a key restricted to issuers.
pub async fn head(
    state: web::Data<ManagementApi>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (claims, jws) = signed_head(&state, &caller).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "position": claims.position,
            "hash": claims.hash,
            "chain": claims.chain,
            "iss": claims.iss,
            "iat": claims.iat,
            "jws": jws,
        })))
}

/// The chain's head signed now, for `caller` (`audit:read`, every issuer): the API's and
/// the console's.
pub(crate) async fn signed_head(
    state: &ManagementApi,
    caller: &Caller,
) -> Result<(HeadClaims, String), ApiError> {
    caller.require(Scope::AuditRead)?;
    caller.require_every_issuer("the head of the audit chain")?;
    state.audit.signed_head().await.map_err(|e| match e {
        SignedHeadError::Store(e) => e.into(),
        SignedHeadError::ReadStore(e) => e.into(),
        SignedHeadError::Sign(_) => ApiError::internal(&e),
    })
}
