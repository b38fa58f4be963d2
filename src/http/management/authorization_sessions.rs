//! `/authorization-sessions`: the institution's login page hands a user's authorization
//! back to the engine (the authorization-code flow's login hand-off).
//!
//! - `GET /authorization-sessions/{login_challenge}`: what the wallet asks for (to show the
//!   user and to pick the claims).
//! - `PUT /authorization-sessions/{login_challenge}/accept` `{"subject", "claims"?,
//!   "correlation"?, "callback_url"?}`: the user authenticated. For a session started from
//!   an offer's `issuer_state` the subject must be the offer's (when it names one); a
//!   wallet-initiated session needs the `claims`, validated and sealed exactly as
//!   `POST /offers` does into a new offer. → `200 {"redirect_to", "session_id", "offer_id"}`,
//!   or `409 subject_mismatch` with a `redirect_to` that tells the wallet `access_denied`.
//! - `PUT /authorization-sessions/{login_challenge}/reject` `{"reason"?}` →
//!   `200 {"redirect_to", "session_id"}` (the wallet gets `access_denied`).
//! - `GET /authorization-sessions/{session_id}/events`: the session's history.
//!
//! Accept and reject need the `offers:write` scope; reading needs `offers:read`. A session
//! belongs to the issuer of its offer (a wallet-initiated one to the default issuer, whose
//! offer accepting it creates): for a key restricted to other issuers it does not exist.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use issuance_domain::authorization::{ensure_acceptable, AuthorizationSession, GrantedOffer};
use issuance_domain::offer::GRANT_AUTHORIZATION_CODE;
use issuance_domain::sealed::purpose;
use issuance_projections::public_data::authorization_public_data;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::auth::{Caller, Scope};
use super::command_meta::command_meta;
use super::error::ApiError;
use super::offers::create::create_offer;
use super::offers::history::stream_history;
use super::visible::sees_offer;
use crate::app::offers::personal;
use crate::app::repository::CommandMeta;
use crate::crypto::codes;
use crate::http::authorization::login::{self, login_rejection, Challenge, LoginOutcome};
use crate::http::request_context::RequestContext;
use crate::http::state::ManagementApi;

/// Longest accepted `subject` and `reason`.
const MAX_TEXT: usize = 255;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/authorization-sessions/{challenge}", web::get().to(show))
        .route(
            "/authorization-sessions/{challenge}/accept",
            web::put().to(accept),
        )
        .route(
            "/authorization-sessions/{challenge}/reject",
            web::put().to(reject),
        )
        .route(
            "/authorization-sessions/{session_id}/events",
            web::get().to(events),
        );
}

/// The accept body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    subject: String,
    claims: Option<Map<String, Value>>,
    correlation: Option<Value>,
    callback_url: Option<String>,
}

/// The reject body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_json::from_value(body)
        .map_err(|e| ApiError::invalid_request(format!("invalid body: {e}")))
}

/// What the pending login is about.
async fn show(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersWrite)?;
    let challenge = login::challenge(&state.common, &path).await?;
    if !challenge.matches() {
        return Err(unknown_challenge());
    }
    require_session(&state, &caller, &challenge.session).await?;
    let session = &challenge.session;
    let request = session.request().map_err(login_rejection)?;
    let offer_subject = match request.offer_id {
        Some(offer_id) => {
            let key = state.data_keys.get(offer_id).await?;
            let offer = state.offers.load(offer_id).await?;
            offer
                .definition
                .and_then(|d| personal::subject(&d, key.as_ref()))
        }
        None => None,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "session_id": challenge.session_id,
            "status": session.status,
            "client_id": request.client_id,
            "credential_configuration_ids": request.credential_configuration_ids,
            "offer_id": request.offer_id,
            "offer_subject": offer_subject,
            "wallet_initiated": request.offer_id.is_none(),
            "login_expires_at": session.login.as_ref().map(|l| l.expires_at),
            "session_expires_at": request.expires_at,
        })))
}

/// The user authenticated: grant a code (or deny a user who is not the offer's subject).
async fn accept(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersWrite)?;
    let body: AcceptBody = parse(body.into_inner())?;
    if body.subject.is_empty() || body.subject.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid_request(
            "subject must be 1 to 255 characters",
        ));
    }
    let challenge = login::challenge(&state.common, &path).await?;
    require_session(&state, &caller, &challenge.session).await?;
    ensure_acceptable(
        &challenge.session,
        &challenge.hash,
        body.claims.is_some(),
        state.clock.now(),
    )
    .map_err(login_rejection)?;
    let meta = command_meta(&state, &caller, context);
    let request = challenge.session.request().map_err(login_rejection)?;
    let offer_id = match request.offer_id {
        Some(offer_id) => offer_id,
        None => create_from_claims(&state, &challenge, &body, &meta).await?,
    };
    // The subject is recorded sealed with the offer's key, and compared with the offer's.
    let key = state.data_keys.get(offer_id).await?.ok_or_else(|| {
        ApiError::conflict(
            "claims_already_erased",
            "the offer's claims have been erased; it can no longer be redeemed",
        )
    })?;
    let offer = match request.offer_id {
        Some(_) => GrantedOffer::Existing {
            offer_subject: state
                .offers
                .load(offer_id)
                .await?
                .definition
                .and_then(|d| personal::subject(&d, Some(&key))),
        },
        None => GrantedOffer::Created { offer_id },
    };
    let sealed_subject = personal::seal_text(&key, offer_id, purpose::SUBJECT, &body.subject)
        .map_err(|e| ApiError::internal(&e))?;
    let outcome = login::accept(
        &state.common,
        &meta,
        &challenge,
        &body.subject,
        &sealed_subject,
        offer,
    )
    .await?;
    Ok(answer(outcome))
}

/// A wallet-initiated session: the offer created from the claims the institution
/// supplied (idempotently: a retried accept finds the offer its first attempt created).
async fn create_from_claims(
    state: &ManagementApi,
    challenge: &Challenge,
    body: &AcceptBody,
    meta: &CommandMeta,
) -> Result<Uuid, ApiError> {
    let request = challenge.session.request().map_err(login_rejection)?;
    let mut offer = Map::new();
    offer.insert(
        "credential_configuration_ids".into(),
        json!(request.credential_configuration_ids),
    );
    offer.insert("claims".into(), json!(body.claims));
    offer.insert("grant".into(), json!(GRANT_AUTHORIZATION_CODE));
    offer.insert("subject".into(), json!(body.subject));
    if let Some(correlation) = &body.correlation {
        offer.insert("correlation".into(), correlation.clone());
    }
    if let Some(callback_url) = &body.callback_url {
        offer.insert("callback_url".into(), json!(callback_url));
    }
    let offer_id = codes::offer_id_for_session(&state.server_secret, challenge.session_id);
    create_offer(state, (offer_id, None), &Value::Object(offer), meta, true).await?;
    Ok(offer_id)
}

/// The user or the institution said no.
async fn reject(
    state: web::Data<ManagementApi>,
    caller: Caller,
    context: RequestContext,
    path: web::Path<String>,
    body: Option<web::Json<Value>>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersWrite)?;
    let body: RejectBody = match body {
        Some(body) => parse(body.into_inner())?,
        None => RejectBody::default(),
    };
    if body
        .reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_TEXT)
    {
        return Err(ApiError::invalid_request(
            "reason must be at most 255 characters",
        ));
    }
    let challenge = login::challenge(&state.common, &path).await?;
    require_session(&state, &caller, &challenge.session).await?;
    let meta = command_meta(&state, &caller, context);
    let outcome = login::reject(&state.common, &meta, &challenge, body.reason).await?;
    Ok(answer(outcome))
}

fn answer(outcome: LoginOutcome) -> HttpResponse {
    let mut body = json!({
        "redirect_to": outcome.redirect_to,
        "session_id": outcome.session_id,
    });
    if let Some(offer_id) = outcome.offer_id {
        body["offer_id"] = json!(offer_id);
    }
    match outcome.denied {
        Some(reason @ issuance_domain::authorization::DenialReason::SubjectMismatch) => {
            body["error"] = json!(reason.as_str());
            body["error_description"] =
                json!("the authenticated user is not the subject the offer was made for");
            HttpResponse::build(StatusCode::CONFLICT)
                .insert_header(("Cache-Control", "no-store"))
                .json(body)
        }
        _ => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(body),
    }
}

/// The session's events, oldest first, without hashes of secrets.
async fn events(
    state: web::Data<ManagementApi>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::OffersRead)?;
    let not_found = "authorization session not found";
    let session_id = Uuid::parse_str(&path).map_err(|_| ApiError::not_found(not_found))?;
    let seen = match caller.issuers() {
        None => true,
        Some(_) => {
            let session = state
                .authorization
                .sessions
                .load(session_id)
                .await
                .map_err(login::session_error)?;
            sees_session(&state, &caller, &session).await?
        }
    };
    stream_history(
        &state.authorization.sessions,
        session_id,
        not_found,
        |_| seen,
        authorization_public_data,
    )
    .await
}

/// The 404 of an unknown login challenge.
fn unknown_challenge() -> ApiError {
    ApiError::not_found("no authorization session has this login challenge")
}

/// Whether the key sees `session`: the issuer of the offer it names, else the default
/// issuer (a wallet-initiated session's offer is the default issuer's); a session without
/// a request (unknown) counts as seen.
async fn sees_session(
    state: &ManagementApi,
    caller: &Caller,
    session: &AuthorizationSession,
) -> Result<bool, ApiError> {
    match session.request.as_ref().and_then(|r| r.offer_id) {
        Some(offer_id) => sees_offer(state, caller, offer_id).await,
        None => Ok(session.request.is_none() || caller.sees_issuer(None)),
    }
}

/// Fails with the 404 of an unknown login challenge unless the key sees `session`.
async fn require_session(
    state: &ManagementApi,
    caller: &Caller,
    session: &AuthorizationSession,
) -> Result<(), ApiError> {
    match sees_session(state, caller, session).await? {
        true => Ok(()),
        false => Err(unknown_challenge()),
    }
}
