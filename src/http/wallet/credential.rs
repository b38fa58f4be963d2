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
//! only once its `CredentialIssued` event is durable. The steps from the claims on are the
//! application's [`CredentialIssuer`]; this handler checks the request and the proofs.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use issuance_domain::offer::{ensure_issuable, Offer, OfferError, Redemption};
use serde_json::{json, Map, Value};

use super::access_token::{AccessToken, Bearer};
use super::credential_request::{self, CredentialRequestBody, Wanted};
use super::encryption::Encryption;
use super::errors::{ErrorCode, WalletError};
use super::proofs::{self, KeyAttestationPolicy, ProofContext};
use super::rejections::{command_error, credential_rejection};
use super::{nonce, wallet_command_meta};
use crate::app::credentials::{CredentialIssuer, Issue, IssueError, MintError, SignerKeys};
use crate::app::repository::RepositoryError;
use crate::http::request_context::RequestContext;
use crate::http::state::WalletApi;
use crate::store::StoreError;

/// Issues credentials; failures of proofs and nonces carry a fresh `c_nonce` for
/// draft-13 wallets.
pub async fn credential(
    state: web::Data<WalletApi>,
    context: RequestContext,
    bearer: Bearer,
    body: web::Json<CredentialRequestBody>,
) -> Result<HttpResponse, WalletError> {
    answer(&state, context, &bearer.0, body.into_inner(), false).await
}

/// An encrypted credential request (`application/jwt`, OID4VCI 1.0 §8.2): a JWE to the
/// issuer's request encryption key, whose plaintext is the JSON request.
pub async fn encrypted(
    state: web::Data<WalletApi>,
    context: RequestContext,
    bearer: Bearer,
    body: String,
) -> Result<HttpResponse, WalletError> {
    let Some(encryption) = state.wallet.encryption.as_deref() else {
        return Err(WalletError::new(
            ErrorCode::InvalidEncryptionParameters,
            "this issuer does not accept encrypted credential requests",
        ));
    };
    let plaintext = encryption.decrypt_request(&body)?;
    let request = serde_json::from_slice(&plaintext).map_err(|e| {
        WalletError::new(
            ErrorCode::InvalidCredentialRequest,
            format!("malformed request body: {e}"),
        )
    })?;
    answer(&state, context, &bearer.0, request, true).await
}

async fn answer(
    state: &WalletApi,
    context: RequestContext,
    token: &AccessToken,
    body: CredentialRequestBody,
    encrypted: bool,
) -> Result<HttpResponse, WalletError> {
    issue(state, context, token, body, encrypted)
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
    state: &WalletApi,
    context: RequestContext,
    token: &AccessToken,
    body: CredentialRequestBody,
    encrypted: bool,
) -> Result<HttpResponse, WalletError> {
    let request = credential_request::parse(body, state.settings.issuer.batch_size)?;
    // Before anything is issued: an answer that cannot be delivered is not produced.
    let encrypt_to = Encryption::response_for(
        state.wallet.encryption.as_deref(),
        request.response_encryption.as_ref(),
        encrypted,
    )?;
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
    // Issued with the version the offer was made from (its issuer's registry keeps every
    // version); an offer that recorded none is issued with the current configuration.
    let version = offer
        .definition
        .as_ref()
        .and_then(|d| d.configuration_versions.get(&configuration_id).copied());
    let served = version.and_then(|_| state.served_issuer());
    let pinned = served
        .as_deref()
        .and_then(|served| served.configuration(&configuration_id, version));
    let configuration = pinned
        .or_else(|| state.catalog.entry(&configuration_id))
        .ok_or_else(|| {
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
            batch_size: state.settings.issuer.batch_size,
            key_attestations: configuration.key_attestations_required().map(|required| {
                KeyAttestationPolicy {
                    required,
                    anchors: state.wallet.trust_anchors.as_deref(),
                }
            }),
        },
    )?;
    let issuer = CredentialIssuer {
        offers: &state.offers,
        data_keys: &state.data_keys,
        status_lists: &state.status_lists,
        configuration,
        keys: SignerKeys {
            issuer_key: state.issuer_keys.active(),
            issuer: &state.issuer_url,
            vct_integrity: state.wallet.type_metadata.integrity(&configuration_id),
            document_signer: state.wallet.document_signer.as_ref(),
        },
    };
    let meta = wallet_command_meta(state, context);
    let issued = issuer
        .issue(
            &meta,
            Issue {
                offer: &offer,
                redemption_id: token.redemption_id,
                token_hash: token.hash,
                dpop_jkt: token.dpop_jkt.clone(),
                configuration_id,
                proofs: &checked.proofs,
                nonces: checked.nonce_uses(),
                now,
                issuer_id: state.issuer_id.clone(),
            },
        )
        .await
        .map_err(|error| match error {
            IssueError::Mint(error) => mint_error(error),
            IssueError::Command(RepositoryError::Store(StoreError::NonceReused)) => nonce::reused(),
            IssueError::Command(e) => {
                command_error(e, |rejection| credential_rejection(rejection, named_by))
            }
        })?;

    let compact: Vec<&str> = issued.credentials.iter().map(String::as_str).collect();
    let mut response = Map::new();
    response.insert(
        "credentials".into(),
        Value::Array(compact.iter().map(|c| json!({"credential": c})).collect()),
    );
    if request.singular_proof {
        // Draft 13/14 wallets read `credential`; served alongside, never instead.
        response.insert("credential".into(), json!(compact.first()));
    }
    response.insert("notification_id".into(), json!(issued.notification_id));
    let response = Value::Object(response);
    let mut answer = HttpResponse::Ok();
    answer.insert_header((header::CACHE_CONTROL, "no-store"));
    match encrypt_to {
        Some(encryption) => Ok(answer
            .content_type("application/jwt")
            .body(encryption.encrypt(&response)?)),
        None => Ok(answer.json(response)),
    }
}

/// The configuration `wanted` names and the redemption `token` stands for, if `offer`
/// allows issuing it now.
fn issuable<'a>(
    state: &WalletApi,
    offer: &'a Offer,
    token: &AccessToken,
    wanted: &Wanted,
    now: DateTime<Utc>,
) -> Result<(String, &'a Redemption), WalletError> {
    let named_by = wanted.named_by();
    let issuer = offer.definition.as_ref().map(|d| d.issuer_id.as_deref());
    if issuer.is_some_and(|issuer| issuer != state.issuer_id.as_deref()) {
        return Err(credential_rejection(OfferError::OtherIssuer, named_by));
    }
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
    state: &WalletApi,
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

/// The protocol's answer to a minting failure: a holder key that cannot be bound is an
/// invalid proof, erased or misfit claims deny the request, the rest is ours.
fn mint_error(error: MintError) -> WalletError {
    match error {
        MintError::HolderKey(reason) => WalletError::new(ErrorCode::InvalidProof, reason),
        MintError::ClaimsMisfit(_) | MintError::ClaimsErased => {
            WalletError::new(ErrorCode::CredentialRequestDenied, error.to_string())
        }
        MintError::Store(error) => error.into(),
        MintError::Internal(_) => WalletError::internal(&error),
    }
}
