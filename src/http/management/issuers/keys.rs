//! `/issuers/{id}/keys` and `/issuers/{id}/jwks`: an issuer's signing keys, generated or
//! imported (never answered with private material), activated, retired, published.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use issuance_domain::issuer::SigningKeyState;

use super::view;
use crate::app::issuers::KeySource;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// `POST /issuers/{id}/keys`: `{}` or `{"alg": "ES256"}` generates; `{"jwk": {…}}` or
/// `{"pem": "…"}`, with an optional `x5c`, imports.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The algorithm (ES256, the default, is the only one).
    #[serde(default)]
    alg: Option<String>,
    /// A private JWK to import.
    #[serde(default)]
    jwk: Option<Value>,
    /// A PEM private key to import.
    #[serde(default)]
    pem: Option<String>,
    /// The X.509 chain of an imported key, leaf first, each the base64 of the DER.
    #[serde(default)]
    x5c: Option<Vec<String>>,
}

/// Adds a key: 201 with its kid, alg, status and public JWK; 400 `invalid_key`; 404;
/// 409 `issuer_retired`, `key_exists`.
pub async fn add(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<String>,
    body: web::Json<NewKey>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let key = add_key(&state, &caller, context, &id, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/issuers/{id}/keys/{}", key.kid)))
        .json(view::key(&key)))
}

/// Adds a key to issuer `id` for `caller` (`issuers:write`, an issuer it sees): the API's
/// `POST /issuers/{id}/keys` and the console's (which generates, `NewKey::default()`).
pub(crate) async fn add_key(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    id: &str,
    new: NewKey,
) -> Result<SigningKeyState, ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(id)?;
    let NewKey { alg, jwk, pem, x5c } = new;
    let source = match (jwk, pem) {
        (None, None) => KeySource::Generate,
        (Some(jwk), None) => KeySource::Jwk(jwk),
        (None, Some(pem)) => KeySource::Pem(pem),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "give either `jwk` or `pem`, not both",
            ))
        }
    };
    let meta = command_meta(state, caller, context);
    Ok(state
        .issuers
        .add_key(&meta, id, alg.as_deref(), source, x5c)
        .await?)
}

/// Every key of the issuer, retired ones included.
pub async fn list(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::IssuersRead)?;
    caller.require_issuer(&path)?;
    let issuer = state.issuers.get(&path).await?;
    let items: Vec<_> = issuer.keys.values().map(view::key).collect();
    Ok(HttpResponse::Ok().json(json!({"active_kid": issuer.active_kid, "items": items})))
}

/// Makes the key the one that signs: 200 with it; 404; 409 `key_retired`,
/// `issuer_retired`.
pub async fn activate(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, kid) = path.into_inner();
    let key = change_key(&state, &caller, context, &id, &kid, KeyChange::Activate).await?;
    Ok(HttpResponse::Ok().json(view::key(&key)))
}

/// Retires the key (it stays in the JWKS until `published_until`): 200 with it; 404;
/// 409 `key_active`, `key_retired`, `issuer_retired`.
pub async fn retire(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, kid) = path.into_inner();
    let key = change_key(&state, &caller, context, &id, &kid, KeyChange::Retire).await?;
    Ok(HttpResponse::Ok().json(view::key(&key)))
}

/// What happens to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyChange {
    /// It becomes the one that signs.
    Activate,
    /// It never signs again.
    Retire,
}

/// Activates or retires key `kid` of issuer `id` for `caller` (`issuers:write`, an issuer
/// it sees): the API's `POST …/keys/{kid}/activate` and `DELETE …/keys/{kid}`, and the
/// console's forms.
pub(crate) async fn change_key(
    state: &ManagementApi,
    caller: &Caller,
    context: RequestContext,
    id: &str,
    kid: &str,
    change: KeyChange,
) -> Result<SigningKeyState, ApiError> {
    caller.require(Scope::IssuersWrite)?;
    caller.require_issuer(id)?;
    let meta = command_meta(state, caller, context);
    Ok(match change {
        KeyChange::Activate => state.issuers.activate_key(&meta, id, kid).await?,
        KeyChange::Retire => state.issuers.retire_key(&meta, id, kid).await?,
    })
}

/// The issuer's published public keys as a JWK Set.
pub async fn jwks(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::IssuersRead)?;
    caller.require_issuer(&path)?;
    let (_, jwks) = state.issuers.jwks(&path).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .json(jwks))
}
