//! `POST /offers`: validate, derive codes, seal the claims, append `OfferCreated`.
//!
//! With an `Idempotency-Key` the offer id is derived from (API key name, idempotency key),
//! so a retry addresses the same stream and the event store's `NoStream` expectation makes
//! creation exactly-once. The retry is recognised by a fingerprint of the body keyed with
//! the offer's data key: same body → 200 with the same offer (codes are derived, so they
//! are the same too), but without the transaction code, which is shown only once;
//! different body → 409.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use issuance_domain::offer::{
    CreateOffer, Offer, OfferCommand, OfferCreated, OfferError, OfferGrant, TxCodeSpec,
};
use issuance_domain::sealed::purpose;
use issuance_domain::Digest;
use serde_json::{json, Value};
use uuid::Uuid;

use super::validate::{check_callback_address, validate, CreateOfferRequest, ValidOffer};
use crate::app::offers::credential_offer::{credential_offer, offer_uri};
use crate::app::offers::personal;
use crate::app::offers::{CommandError, CommandMeta, Executed};
use crate::crypto::codes;
use crate::crypto::sealing::{self, SealError};
use crate::http::management::auth::{Caller, Scope};
use crate::http::management::command_meta::command_meta;
use crate::http::management::error::ApiError;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::store::{DataKey, KeyChange};

/// The idempotency header.
const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Creates an offer.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    context: RequestContext,
    request: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersWrite)?;
    let body = body.into_inner();
    let idempotency_key = idempotency_key(&request)?;
    let offer_id = match &idempotency_key {
        Some(key) => codes::offer_id_for_idempotency_key(&state.server_secret, &caller.name, key),
        // Time-ordered (UUIDv7): new offers' index entries land on the same few pages at the
        // end of each index instead of random pages all over a large store.
        None => Uuid::now_v7(),
    };
    let meta = command_meta(&state, &caller, context);
    match create_offer(&state, offer_id, &body, &meta, idempotency_key.is_some()).await? {
        Creation::Existing(existing) => replay(&state, offer_id, &existing).await,
        Creation::Created(executed) => {
            let Some(definition) = executed.state.definition.as_ref() else {
                return Err(ApiError::internal(&"created offer has no definition"));
            };
            let body = response_body(&state, definition, "CREATED", executed.decided_at, true);
            Ok(HttpResponse::Created()
                .insert_header(("Location", format!("/offers/{offer_id}")))
                .insert_header(("Cache-Control", "no-store"))
                .json(body))
        }
    }
}

/// What [`create_offer`] did.
pub(in crate::http::management) enum Creation {
    /// The offer was created.
    Created(Executed),
    /// An idempotent retry: the offer already existed, created from the same request.
    Existing(Offer),
}

/// Validates a `POST /offers` body, seals its claims with a new data key and records
/// `OfferCreated` as offer `offer_id`. With `idempotent`, an offer `offer_id` created from
/// the same body is returned as [`Creation::Existing`] (a different body is 409).
pub(in crate::http::management) async fn create_offer(
    state: &AppState,
    offer_id: Uuid,
    body: &Value,
    meta: &CommandMeta,
    idempotent: bool,
) -> Result<Creation, ApiError> {
    let parsed: CreateOfferRequest = serde_json::from_value(body.clone())
        .map_err(|e| ApiError::invalid_request(format!("invalid offer request: {e}")))?;
    let offer = validate(parsed, &state.catalog, &state.settings.offers)?;
    if let Some(url) = &offer.callback_url {
        check_callback_address(url, &state.settings.callbacks).await?;
    }
    let canonical = crate::crypto::canonical_json(body);
    // What an earlier request with the same Idempotency-Key created, if anything.
    let prior = match idempotent {
        true => Some(state.offers.load(offer_id).await?),
        false => None,
    };
    if prior.as_ref().is_some_and(|offer| offer.claims_erased) {
        // The fingerprint was keyed by the destroyed data key: the request can no longer
        // be compared, and a new key must not appear for an erased offer.
        return Err(ApiError::conflict(
            "claims_already_erased",
            "the offer created with this Idempotency-Key has had its claims erased; the request can no longer be compared with it",
        ));
    }
    // A fresh id (no Idempotency-Key) is known to no one else: its key is stored with the
    // offer's creation. Retries of one idempotent request may race, so they agree on a key
    // first.
    let key_with_append = !idempotent;
    let data_key = if key_with_append {
        sealing::generate_key()
    } else {
        state
            .secrets
            .data_key_get_or_insert(offer_id, sealing::generate_key())
            .await?
    };
    let fingerprint = sealing::fingerprint(&data_key, &canonical);
    if let Some(offer) = prior {
        if let Some(existing) = same_request(offer, &fingerprint)? {
            return Ok(Creation::Existing(existing));
        }
    }
    let created = offer_created(state, offer_id, &offer, &data_key, fingerprint)
        .map_err(|e| ApiError::internal(&e))?;
    let expires_in = Duration::seconds(offer.expires_in);
    let command = |_: &_, now| {
        let mut created = created.clone();
        created.expires_at = now + expires_in;
        OfferCommand::Create(CreateOffer {
            now,
            offer: created,
        })
    };
    let executed = if key_with_append {
        let key = KeyChange::Insert(data_key);
        state
            .offers
            .execute_changing_key(offer_id, meta, key, command)
            .await
    } else {
        state.offers.execute(offer_id, meta, command).await
    };
    match executed {
        Ok(executed) => Ok(Creation::Created(executed)),
        Err(CommandError::Rejected(OfferError::AlreadyExists)) => {
            // A concurrent retry with the same idempotency key won the race.
            existing(state, offer_id, &fingerprint)
                .await?
                .map(Creation::Existing)
                .ok_or_else(|| ApiError::conflict("conflict", "the offer was created concurrently"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The existing offer `offer_id` if it was created from the request with `fingerprint`;
/// 409 if it was created from another.
async fn existing(
    state: &AppState,
    offer_id: Uuid,
    fingerprint: &Digest,
) -> Result<Option<Offer>, ApiError> {
    same_request(state.offers.load(offer_id).await?, fingerprint)
}

/// `existing` if it was created from the request with `fingerprint` (`None` if it does not
/// exist); 409 if it was created from another.
fn same_request(existing: Offer, fingerprint: &Digest) -> Result<Option<Offer>, ApiError> {
    let Some(definition) = existing.definition.as_ref() else {
        return Ok(None);
    };
    if !definition.request_fingerprint.ct_eq(fingerprint) {
        return Err(ApiError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request body",
        ));
    }
    Ok(Some(existing))
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

/// The `OfferCreated` of a validated request: codes hashed, claims, subject and
/// correlation sealed with the offer's data key.
fn offer_created(
    state: &AppState,
    offer_id: Uuid,
    offer: &ValidOffer,
    data_key: &DataKey,
    fingerprint: Digest,
) -> Result<OfferCreated, SealError> {
    let secret = &state.server_secret;
    let grant = if offer.authorization_code {
        OfferGrant::AuthorizationCode {
            issuer_state_hash: codes::code_hash(&codes::issuer_state(secret, offer_id)),
        }
    } else {
        OfferGrant::PreAuthorizedCode {
            code_hash: codes::code_hash(&codes::pre_authorized_code(secret, offer_id)),
            tx_code: offer.tx_code.as_ref().map(|tx| TxCodeSpec {
                input_mode: tx.input_mode,
                length: tx.length,
                description: tx.description.clone(),
                code_hash: codes::tx_code_hash(
                    secret,
                    offer_id,
                    &codes::tx_code(secret, offer_id, tx.input_mode, tx.length),
                ),
            }),
        }
    };
    let sealed_subject = offer
        .subject
        .as_deref()
        .map(|subject| personal::seal_text(data_key, offer_id, purpose::SUBJECT, subject))
        .transpose()?;
    let sealed_correlation = offer
        .correlation
        .as_ref()
        .map(|c| sealing::seal_value(data_key, offer_id, purpose::CORRELATION, c))
        .transpose()?;
    Ok(OfferCreated {
        offer_id,
        credential_configuration_ids: offer.configuration_ids.clone(),
        grant,
        single_use: offer.single_use,
        sealed_subject,
        callback_url: offer.callback_url.clone(),
        sealed_correlation,
        // Set from the decision time by the command closure.
        expires_at: DateTime::<Utc>::MIN_UTC,
        tx_code_max_attempts: state.settings.offers.tx_code_max_attempts,
        sealed_claims: sealing::seal(data_key, offer_id, &offer.claims)?,
        request_fingerprint: fingerprint,
        legacy_subject: None,
        legacy_correlation: None,
    })
}

/// The answer to an idempotent retry.
async fn replay(
    state: &AppState,
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
    state: &AppState,
    offer: &OfferCreated,
    status: &str,
    created_at: DateTime<Utc>,
    with_tx_code: bool,
) -> Value {
    let offer_id = offer.offer_id;
    let mut body = json!({
        "offer_id": offer_id,
        "status": status,
        "credential_offer_uri": offer_uri(&state.credential_offer_url(offer_id)),
        "credential_offer": credential_offer(&state.issuer_url, &state.server_secret, offer),
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
