//! `POST /credential` (OID4VCI 1.0 §8): one credential (SD-JWT VC or ISO mdoc) per key
//! proof.
//!
//! Order of work, cheapest refusal first: access token MAC and expiry → request shape →
//! the offer's stream (the authority: revocation and expiry apply at once) and the
//! aggregate's own issuance pre-check → proofs and nonce MACs → claims decrypted with the
//! offer's data key (none: erased) → credentials signed → `IssueCredentials` appended with
//! the nonces recorded as used in the same transaction (one durable commit; from then on
//! the proofs are spent; EventStoreDB's adapter records them just before, see
//! `store::separate_secrets`). Only the append writes an event; a credential is returned
//! only once its `CredentialIssued` event is durable.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use issuance_credential::VerifiedProof;
use issuance_domain::offer::{
    ensure_issuable, IssueCredentials, NewCredential, Offer, OfferCommand, Redemption,
};
use issuance_domain::sealed::purpose;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::access_token::{AccessToken, Bearer};
use super::credential_request::{self, CredentialRequestBody, Wanted};
use super::errors::{ErrorCode, WalletError};
use super::proofs::{self, ProofContext};
use super::rejections::{command_error, credential_rejection};
use super::signer::CredentialSigner;
use super::{nonce, wallet_command_meta};
use crate::app::offers::personal;
use crate::app::repository::RepositoryError;
use crate::crypto::{random_token, sealing, sha256};
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::status::Allocated;
use crate::store::{DataKey, StoreError};

/// Issues credentials; failures of proofs and nonces carry a fresh `c_nonce` for
/// draft-13 wallets.
pub async fn credential(
    state: web::Data<AppState>,
    context: RequestContext,
    bearer: Bearer,
    body: web::Json<CredentialRequestBody>,
) -> Result<HttpResponse, WalletError> {
    issue(&state, context, &bearer.0, body.into_inner())
        .await
        .map_err(|error| {
            if error.wants_fresh_nonce() {
                let ttl = state.settings.tokens.nonce_ttl;
                let fresh = nonce::mint(&state.server_secret, state.clock.now(), ttl);
                error.with_fresh_nonce(fresh, ttl)
            } else {
                error
            }
        })
}

async fn issue(
    state: &AppState,
    context: RequestContext,
    token: &AccessToken,
    body: CredentialRequestBody,
) -> Result<HttpResponse, WalletError> {
    let request = credential_request::parse(body, state.settings.issuer.batch_size)?;
    let named_by = request.wanted.named_by();
    let now = state.clock.now();
    let load_error = |e| command_error(e, |rejection| credential_rejection(rejection, named_by));
    // A cached state that allows issuance serves (the append proves it current).
    let offer = state
        .offers
        .load_accepting(token.offer_id, |offer| {
            issuable(state, offer, token, &request.wanted, now).is_ok()
        })
        .await
        .map_err(load_error)?;
    let (configuration_id, redemption) = issuable(state, &offer, token, &request.wanted, now)?;
    let configuration = state.catalog.entry(&configuration_id).ok_or_else(|| {
        WalletError::new(
            ErrorCode::UnknownCredentialConfiguration,
            format!("credential configuration {configuration_id} is no longer issued"),
        )
    })?;

    let checked = proofs::verify(
        &request.proofs,
        &ProofContext {
            issuer_url: &state.issuer_url,
            tokens: &state.settings.tokens,
            secret: &state.server_secret,
            client_id: redemption.client_id.as_deref(),
            now,
        },
    )?;
    let (key, claims) = open_claims(state, &offer).await?;
    let signer = CredentialSigner::prepare(state, configuration, &claims)?;
    let statuses = allocate_statuses(state, &signer, checked.proofs.len()).await?;
    let credentials = checked
        .proofs
        .iter()
        .enumerate()
        .map(|(i, proof)| {
            sign(
                &signer,
                (proof, statuses.get(i)),
                now,
                (&key, token.offer_id),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;

    let notification_id = random_token::<16>();
    let command = IssueCredentials {
        now,
        redemption_id: token.redemption_id,
        token_hash: token.hash,
        dpop_jkt: token.dpop_jkt.clone(),
        credential_configuration_id: configuration_id,
        notification_id: notification_id.clone(),
        credentials: credentials
            .iter()
            .map(|(_, record)| record.clone())
            .collect(),
    };
    // Every `CredentialIssued` records its holder key sealed; metadata, which erasure
    // cannot reach, records none.
    let meta = wallet_command_meta(state, context);
    let nonces = checked.nonce_uses();
    state
        .offers
        .execute_consuming(token.offer_id, &meta, nonces, |_, now| {
            OfferCommand::IssueCredentials(IssueCredentials {
                now,
                ..command.clone()
            })
        })
        .await
        .map_err(|e| match e {
            RepositoryError::Store(StoreError::NonceReused) => nonce::reused(),
            e => command_error(e, |rejection| credential_rejection(rejection, named_by)),
        })?;

    let compact: Vec<&str> = credentials.iter().map(|(c, _)| c.as_str()).collect();
    let mut response = Map::new();
    response.insert(
        "credentials".into(),
        Value::Array(compact.iter().map(|c| json!({"credential": c})).collect()),
    );
    if request.singular_proof {
        // Draft 13/14 wallets read `credential`; served alongside, never instead.
        response.insert("credential".into(), json!(compact.first()));
    }
    response.insert("notification_id".into(), json!(notification_id));
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Value::Object(response)))
}

/// The configuration `wanted` names and the redemption `token` stands for, if `offer`
/// allows issuing it now.
fn issuable<'a>(
    state: &AppState,
    offer: &'a Offer,
    token: &AccessToken,
    wanted: &Wanted,
    now: DateTime<Utc>,
) -> Result<(String, &'a Redemption), WalletError> {
    let named_by = wanted.named_by();
    let configuration_id = match wanted {
        // Identifiers are configuration ids (see `authorization_details`), so both name
        // the configuration directly; the aggregate decides whether the token covers it.
        Wanted::Identifier(id) | Wanted::Configuration(id) => id.clone(),
        Wanted::Vct(vct) => configuration_of_vct(state, offer, token, vct)?,
    };
    let redemption = ensure_issuable(
        offer,
        token.redemption_id,
        &token.hash,
        token.dpop_jkt.as_deref(),
        &configuration_id,
        now,
    )
    .map_err(|rejection| credential_rejection(rejection, named_by))?;
    Ok((configuration_id, redemption))
}

/// Draft 13: the configuration of `vct` among those the token covers.
fn configuration_of_vct(
    state: &AppState,
    offer: &Offer,
    token: &AccessToken,
    vct: &str,
) -> Result<String, WalletError> {
    let redemption = offer
        .redemption(token.redemption_id, &token.hash)
        .ok_or_else(|| {
            WalletError::new(ErrorCode::InvalidToken, "the access token is not valid")
        })?;
    redemption
        .credential_configuration_ids
        .iter()
        .find(|id| state.catalog.get(id).is_some_and(|c| c.vct == vct))
        .cloned()
        .ok_or_else(|| {
            WalletError::new(
                ErrorCode::UnknownCredentialConfiguration,
                "no credential of this vct is covered by this access token",
            )
        })
}

/// The offer's data key and its claims, decrypted with it; without a key they were erased.
async fn open_claims(
    state: &AppState,
    offer: &Offer,
) -> Result<(DataKey, Map<String, Value>), WalletError> {
    let definition = offer
        .definition
        .as_ref()
        .ok_or_else(|| WalletError::internal(&"issuable offer without definition"))?;
    let key = state
        .secrets
        .data_key(definition.offer_id)
        .await?
        .ok_or_else(|| {
            WalletError::new(
                ErrorCode::CredentialRequestDenied,
                "the data for this credential is no longer available",
            )
        })?;
    let claims = sealing::open(&key, definition.offer_id, &definition.sealed_claims)
        .map_err(|e| WalletError::internal(&e))?;
    Ok((key, claims))
}

/// One status list entry per credential (none when status lists are off, or for a format
/// that does not carry one yet): distinct indexes, also for a batch's copies.
async fn allocate_statuses(
    state: &AppState,
    signer: &CredentialSigner<'_>,
    count: usize,
) -> Result<Vec<Allocated>, WalletError> {
    if !state.status_lists.settings.enabled || !signer.carries_status() {
        return Ok(Vec::new());
    }
    state
        .status_lists
        .allocator
        .allocate(count)
        .await
        .map_err(|e| WalletError::internal(&e))
}

/// Signs one credential for `proof`'s key, with its status list entry, and describes it
/// for the event: its hash (of the `credential` value as sent), the holder key's thumbprint
/// sealed with the offer's data key, and the status entry.
fn sign(
    signer: &CredentialSigner,
    (proof, status): (&VerifiedProof, Option<&Allocated>),
    now: DateTime<Utc>,
    (key, offer_id): (&DataKey, Uuid),
) -> Result<(String, NewCredential), WalletError> {
    let validity = i64::try_from(signer.validity_seconds()).unwrap_or(i64::MAX / 2);
    // Whole seconds, as in the credential, so the event records exactly that.
    let issued_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let expires_at = issued_at + Duration::seconds(validity);
    let credential = signer.sign(
        proof,
        status.map(|(_, reference)| reference),
        issued_at,
        expires_at,
    )?;
    let record = NewCredential {
        credential_id: Uuid::new_v4(),
        sealed_holder_key_thumbprint: personal::seal_text(
            key,
            offer_id,
            purpose::HOLDER_KEY_THUMBPRINT,
            &proof.thumbprint,
        )
        .map_err(|e| WalletError::internal(&e))?,
        credential_hash: sha256(credential.as_bytes()),
        credential_expires_at: expires_at,
        status: status.map(|(entry, _)| *entry),
    };
    Ok((credential, record))
}
