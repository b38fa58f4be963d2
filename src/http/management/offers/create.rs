//! `POST /offers`: validate the body, then create the offer ([`Creator`]).
//!
//! With an `Idempotency-Key` the offer id is derived from (API key name, idempotency key):
//! the same body again → 200 with the same offer (codes are derived, so they are the same
//! too), but without the transaction code, which is shown only once; a different body →
//! 409.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use issuance_domain::offer::{Offer, OfferCreated, OfferGrant};
use serde_json::{json, Value};
use uuid::Uuid;

use super::validate::{check_callback_address, validate, CreateOfferRequest};
use crate::app::issuers::{ServedIssuer, DEFAULT_ISSUER};
use crate::app::offers::create::{CreateError, Creation, Creator};
use crate::app::offers::credential_offer::{credential_offer, offer_uri};
use crate::app::offers::CommandMeta;
use crate::crypto::codes;
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// The idempotency header.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// `POST /offers`: creates an offer of the default issuer (404 `issuer not found` for a key
/// restricted to other issuers, as `POST /issuers/default/offers`).
pub async fn create(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    request: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    create_at(&state, caller, context, &request, body.into_inner(), None).await
}

/// `POST /issuers/{issuer_id}/offers`: creates an offer of that issuer (`default`: the
/// default issuer, as `POST /offers`).
pub async fn create_for_issuer(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let issuer = Some(path.into_inner()).filter(|id| id != DEFAULT_ISSUER);
    create_at(&state, caller, context, &request, body.into_inner(), issuer).await
}

async fn create_at(
    state: &ManagementApi,
    caller: Caller,
    context: RequestContext,
    request: &HttpRequest,
    body: Value,
    issuer: Option<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersWrite)?;
    caller.require_issuer(issuer.as_deref().unwrap_or(DEFAULT_ISSUER))?;
    let idempotency_key = idempotency_key(request)?;
    // One Idempotency-Key names one offer per key name and issuer.
    let key_owner = match &issuer {
        None => caller.name.clone(),
        Some(issuer) => format!("{}\u{0}{issuer}", caller.name),
    };
    let offer_id = match &idempotency_key {
        Some(key) => codes::offer_id_for_idempotency_key(&state.server_secret, &key_owner, key),
        // Time-ordered (UUIDv7): new offers' index entries land on the same few pages at the
        // end of each index instead of random pages all over a large store.
        None => Uuid::now_v7(),
    };
    let meta = command_meta(state, &caller, context);
    let target = (offer_id, issuer.as_deref());
    match create_offer(state, target, &body, &meta, idempotency_key.is_some()).await? {
        Creation::Existing(existing) => replay(state, offer_id, &existing).await,
        Creation::Created(executed) => {
            let Some(definition) = executed.state.definition.as_ref() else {
                return Err(ApiError::internal(&"created offer has no definition"));
            };
            let body = response_body(state, definition, "CREATED", executed.decided_at, true);
            Ok(HttpResponse::Created()
                .insert_header(("Location", format!("/offers/{offer_id}")))
                .insert_header(("Cache-Control", "no-store"))
                .json(body))
        }
    }
}

/// Validates a `POST /offers` body and creates offer `offer_id` of `issuer` (`None`: the
/// default issuer) from it (see [`Creator::create`]): an idempotent retry of the same body
/// is [`Creation::Existing`], of another body 409. The offer records the version of each
/// configuration it is made from.
pub(in crate::http::management) async fn create_offer(
    state: &ManagementApi,
    (offer_id, issuer): (Uuid, Option<&str>),
    body: &Value,
    meta: &CommandMeta,
    idempotent: bool,
) -> Result<Creation, ApiError> {
    let parsed: CreateOfferRequest = serde_json::from_value(body.clone())
        .map_err(|e| ApiError::invalid_request(format!("invalid offer request: {e}")))?;
    let mut offer = match issuer {
        None => {
            let mut offer = validate(parsed, &state.catalog, &state.settings.offers)?;
            if let Some(served) = state.served_issuer() {
                offer.configuration_versions = served.current_versions(&offer.configuration_ids);
            }
            offer
        }
        Some(issuer) => {
            // The registry as this node has it serves (a change made through this node is
            // in it once answered, another node's within the registry's poll); only a
            // refusal waits for every write that completed before and is decided again.
            let offered = |served: &ServedIssuer| {
                let mut offer = validate(parsed.clone(), &served.catalog, &state.settings.offers)?;
                offer.configuration_versions = served.current_versions(&offer.configuration_ids);
                Ok::<_, ApiError>(offer)
            };
            let now = state.issuers.served(issuer);
            match now
                .as_deref()
                .map(|served| ready(served, issuer).and_then(|_| offered(served)))
            {
                Some(Ok(offer)) => offer,
                _ => {
                    let served = state.issuers.served_current(issuer).await?;
                    ready(&served, issuer)?;
                    offered(&served)?
                }
            }
        }
    };
    offer.issuer_id = issuer.map(str::to_string);
    if let Some(url) = &offer.callback_url {
        check_callback_address(url, &state.settings.callbacks).await?;
    }
    let canonical = crate::crypto::canonical_json(body);
    let creator = Creator {
        offers: &state.offers,
        data_keys: &state.data_keys,
        server_secret: &state.server_secret,
        tx_code_max_attempts: state.settings.offers.tx_code_max_attempts,
    };
    creator
        .create(offer_id, &offer, &canonical, meta, idempotent)
        .await
        .map_err(create_error)
}

/// Issuer `id`, if it takes new offers: 404 unknown, 409 retired or without an active key.
fn ready(served: &ServedIssuer, id: &str) -> Result<(), ApiError> {
    if served.state.is_retired() {
        return Err(ApiError::conflict(
            "issuer_retired",
            format!("issuer {id} is retired: it takes no new offers"),
        ));
    }
    if served.keys.is_none() {
        return Err(ApiError::conflict(
            "issuer_not_ready",
            format!("issuer {id} has no active signing key: activate one first"),
        ));
    }
    Ok(())
}

/// The management API's answer to a failed creation.
fn create_error(error: CreateError) -> ApiError {
    match error {
        CreateError::ClaimsAlreadyErased => {
            ApiError::conflict("claims_already_erased", error.to_string())
        }
        CreateError::IdempotencyKeyReused => {
            ApiError::conflict("idempotency_key_reused", error.to_string())
        }
        CreateError::CreatedConcurrently => ApiError::conflict("conflict", error.to_string()),
        CreateError::Command(error) => error.into(),
        CreateError::Store(error) => error.into(),
        CreateError::Seal(_) => ApiError::internal(&error),
    }
}

fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid_request("Idempotency-Key must be 1-255 printable ASCII characters")
        })?;
    Ok(Some(key.to_string()))
}

/// The answer to an idempotent retry.
async fn replay(
    state: &ManagementApi,
    offer_id: Uuid,
    existing: &Offer,
) -> Result<HttpResponse, ApiError> {
    let Some(definition) = existing.definition.as_ref() else {
        return Err(ApiError::internal(&"existing offer has no definition"));
    };
    let history = state.offers.history(offer_id).await?;
    let created_at = history
        .first()
        .map_or(definition.expires_at, |(e, _)| e.metadata.occurred_at);
    // The transaction code is shown once, in the creation response: a retry that anyone
    // holding the API key and the Idempotency-Key can send must not hand it out again.
    let body = response_body(
        state,
        definition,
        existing.status.as_str(),
        created_at,
        false,
    );
    Ok(HttpResponse::build(StatusCode::OK)
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// The creation response (also the idempotent replay's, which has no `tx_code_value`:
/// `with_tx_code` is false).
fn response_body(
    state: &ManagementApi,
    offer: &OfferCreated,
    status: &str,
    created_at: DateTime<Utc>,
    with_tx_code: bool,
) -> Value {
    let offer_id = offer.offer_id;
    let mut body = json!({
        "offer_id": offer_id,
        "status": status,
        "credential_offer_uri": offer_uri(&state.credential_offer_url(offer)),
        "credential_offer": credential_offer(
            &state.issuer_url_of(offer.issuer_id.as_deref()),
            &state.server_secret,
            offer,
        ),
        "created_at": created_at,
        "expires_at": offer.expires_at,
        "_links": {
            "self": {"href": format!("/offers/{offer_id}")},
            "qr_code": {"href": format!("/offers/{offer_id}/qr.png")},
            "events": {"href": format!("/offers/{offer_id}/events")},
        },
    });
    if let (
        true,
        OfferGrant::PreAuthorizedCode {
            tx_code: Some(tx), ..
        },
    ) = (with_tx_code, &offer.grant)
    {
        body["tx_code_value"] = json!(codes::tx_code(
            &state.server_secret,
            offer_id,
            tx.input_mode,
            tx.length
        ));
    }
    body
}
