//! `POST /token`: the pre-authorized code grant (OID4VCI 1.0 §6; RFC 6749 §5) and, when the
//! authorization-code flow is enabled, the `authorization_code` grant (RFC 6749 §4.1.3;
//! see `crate::http::authorization::token_exchange`).
//!
//! Every input is parsed before the aggregate is asked, so a malformed request writes
//! nothing. The aggregate decides: a wrong transaction code is recorded
//! (`TxCodeRejected`, and `OfferFailed` on the last attempt) and then answered
//! `invalid_grant`; everything else that is wrong with the grant is a rejection without
//! events.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use issuance_domain::offer::{
    NewRedemption, OfferCommand, OfferError, OfferEvent, PresentedGrant, RedeemOffer,
    GRANT_AUTHORIZATION_CODE,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::errors::{token_rejection, ErrorCode, WalletError};
use super::{access_token, authorization_details, nonce, wallet_command_meta};
use crate::app::offers::credential_offer::PRE_AUTHORIZED_GRANT_TYPE;
use crate::app::repository::CommandMeta;
use crate::crypto::codes;
use crate::http::authorization::clients::is_client_id;
use crate::http::authorization::dpop::{self, CheckedProof};
use crate::http::authorization::token_exchange;
use crate::http::request_context::RequestContext;
use crate::http::state::AppState;
use crate::store::NonceUse;

/// The token request parameters this issuer reads; others are ignored (wallets send
/// `user_pin`, `resource`, ...). A repeated parameter fails form parsing: RFC 6749 §3.2.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    #[serde(rename = "pre-authorized_code")]
    pre_authorized_code: Option<String>,
    /// Pre-authorized grant only.
    pub tx_code: Option<String>,
    /// RFC 9396 / OID4VCI 1.0 §6.1.
    pub authorization_details: Option<String>,
    /// The client, when it identifies itself (required by the authorization code grant).
    pub client_id: Option<String>,
    /// Authorization code grant (RFC 6749 §4.1.3).
    pub code: Option<String>,
    /// Authorization code grant (RFC 6749 §4.1.3).
    pub redirect_uri: Option<String>,
    /// PKCE (RFC 7636 §4.5).
    pub code_verifier: Option<String>,
}

/// Exchanges a grant for an access token: the pre-authorized code (and transaction code),
/// or an authorization code (with PKCE) when the authorization-code flow is enabled. A
/// DPoP proof, when DPoP is enabled, binds the token to its key (RFC 9449 §5).
pub async fn token(
    state: web::Data<AppState>,
    context: RequestContext,
    http: HttpRequest,
    form: web::Form<TokenRequest>,
) -> Result<HttpResponse, WalletError> {
    let request = form.into_inner();
    let authorization_code = state.settings.authorization.enabled();
    match request.grant_type.as_deref() {
        None => {
            return Err(WalletError::new(
                ErrorCode::InvalidRequest,
                "grant_type is required",
            ))
        }
        Some(PRE_AUTHORIZED_GRANT_TYPE) => {}
        Some(GRANT_AUTHORIZATION_CODE) if authorization_code => {}
        Some(_) => {
            return Err(WalletError::new(
                ErrorCode::UnsupportedGrantType,
                if authorization_code {
                    format!("only the {PRE_AUTHORIZED_GRANT_TYPE} and {GRANT_AUTHORIZATION_CODE} grants are supported")
                } else {
                    format!("only the {PRE_AUTHORIZED_GRANT_TYPE} grant is supported")
                },
            ))
        }
    }
    // Verified now, recorded only with the grant's events once the grant checked out.
    let proof = dpop::token_request_proof(&state, &http)?;
    let meta = wallet_command_meta(&state, context);
    if request.grant_type.as_deref() == Some(GRANT_AUTHORIZATION_CODE) {
        return token_exchange::exchange(&state, &meta, request, proof).await;
    }
    pre_authorized(&state, &meta, request, proof).await
}

/// The pre-authorized code grant (OID4VCI 1.0 §6.1).
async fn pre_authorized(
    state: &AppState,
    meta: &CommandMeta,
    request: TokenRequest,
    proof: Option<CheckedProof>,
) -> Result<HttpResponse, WalletError> {
    let invalid_request = |reason: &str| WalletError::new(ErrorCode::InvalidRequest, reason);
    let code = request
        .pre_authorized_code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| invalid_request("pre-authorized_code is required"))?;
    let offer_id = codes::offer_id_of_code(code).ok_or_else(|| {
        WalletError::new(
            ErrorCode::InvalidGrant,
            "the pre-authorized code is not valid",
        )
    })?;
    // An empty tx_code is treated as absent, so a wallet bug does not cost an attempt.
    let tx_code = request.tx_code.as_deref().filter(|t| !t.is_empty());
    let requested = requested_configurations(state, &request)?;
    let client_id = request
        .client_id
        .filter(|c| !c.is_empty())
        .map(|c| {
            if is_client_id(&c) {
                Ok(c)
            } else {
                Err(invalid_request(
                    "client_id must be 1-255 printable ASCII characters",
                ))
            }
        })
        .transpose()?;
    let grant = PresentedGrant::PreAuthorizedCode {
        code_hash: codes::code_hash(code),
        tx_code_hash: tx_code.map(|tx| codes::tx_code_hash(&state.server_secret, offer_id, tx)),
    };
    issue_token(
        state,
        meta,
        TokenGrant {
            offer_id,
            grant,
            redemption_id: Uuid::new_v4(),
            echo_authorization_details: requested.is_some(),
            requested,
            client_id,
            dpop_jkt: proof.as_ref().map(|p| p.proof.thumbprint.clone()),
            jti: proof.map(|p| p.jti),
        },
        token_rejection,
    )
    .await
}

/// The configurations a token request's `authorization_details` names, if it has any.
pub(crate) fn requested_configurations(
    state: &AppState,
    request: &TokenRequest,
) -> Result<Option<Vec<String>>, WalletError> {
    request
        .authorization_details
        .as_deref()
        .map(|text| {
            authorization_details::requested_configurations(text, &state.issuer_url, &state.catalog)
        })
        .transpose()
}

/// A grant that was checked as far as the adapter can, to be redeemed on its offer.
pub(crate) struct TokenGrant {
    /// The offer redeemed.
    pub offer_id: Uuid,
    /// What the wallet presented, hashed.
    pub grant: PresentedGrant,
    /// The redemption (access token) to create.
    pub redemption_id: Uuid,
    /// The configurations the token is to cover (`None`: all offered).
    pub requested: Option<Vec<String>>,
    /// Whether the response carries `authorization_details` (OID4VCI 1.0 §6.2).
    pub echo_authorization_details: bool,
    /// The client, if it identified itself.
    pub client_id: Option<String>,
    /// The DPoP key to bind the token to.
    pub dpop_jkt: Option<String>,
    /// The DPoP proof's `jti`, to record with the redemption (`None`: none, or recorded
    /// already with the code exchange).
    pub jti: Option<NonceUse>,
}

/// Redeems the offer (`OfferRedeemed`) and answers with the access token (RFC 6749 §5.1):
/// `token_type` `DPoP` when bound (RFC 9449 §5), never cached.
pub(crate) async fn issue_token(
    state: &AppState,
    meta: &CommandMeta,
    grant: TokenGrant,
    rejection: fn(OfferError) -> WalletError,
) -> Result<HttpResponse, WalletError> {
    let ttl = state.settings.tokens.access_token_ttl;
    let now = state.clock.now();
    let expires_at = now + Duration::seconds(i64::try_from(ttl).unwrap_or(300));
    let (access_token, token_hash) = access_token::mint(
        &state.server_secret,
        grant.offer_id,
        grant.redemption_id,
        expires_at,
    );
    let bound = grant.dpop_jkt.is_some();
    let max_redemptions = state.settings.offers.max_redemptions;
    let redemption = NewRedemption {
        redemption_id: grant.redemption_id,
        token_hash,
        token_expires_at: expires_at,
        requested_configuration_ids: grant.requested,
        client_id: grant.client_id,
        dpop_jkt: grant.dpop_jkt,
    };
    let executed = dpop::execute_recording_jti(
        state,
        &state.offers,
        grant.offer_id,
        meta,
        grant.jti,
        |_, now| {
            OfferCommand::Redeem(RedeemOffer {
                now,
                grant: grant.grant.clone(),
                redemption: redemption.clone(),
                max_redemptions,
            })
        },
    )
    .await
    .map_err(|e| dpop::jti_command_error(e, rejection))?;
    state.metrics.record_appended(&executed.events);

    let covered = executed.events.iter().find_map(|event| match event {
        OfferEvent::OfferRedeemed(redeemed) => Some(redeemed.credential_configuration_ids.clone()),
        _ => None,
    });
    let Some(covered) = covered else {
        // The only successful decision without `OfferRedeemed`: a wrong transaction code.
        let remaining = executed.state.tx_code_attempts_remaining;
        let description = if remaining == 0 {
            "the transaction code is wrong; no attempts remain and the offer is locked".to_string()
        } else {
            format!("the transaction code is wrong; {remaining} attempts remain")
        };
        return Err(WalletError::new(ErrorCode::InvalidGrant, description));
    };

    let nonce_ttl = state.settings.tokens.nonce_ttl;
    let mut body = Map::new();
    body.insert("access_token".into(), json!(access_token));
    body.insert(
        "token_type".into(),
        json!(if bound { "DPoP" } else { "Bearer" }),
    );
    body.insert("expires_in".into(), json!(ttl));
    if grant.echo_authorization_details {
        body.insert(
            "authorization_details".into(),
            authorization_details::granted(&covered),
        );
    }
    // Draft 13 delivered the first c_nonce here; 1.0 wallets ignore these members.
    body.insert(
        "c_nonce".into(),
        json!(nonce::mint(&state.server_secret, now, nonce_ttl)),
    );
    body.insert("c_nonce_expires_in".into(), json!(nonce_ttl));
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(Value::Object(body)))
}
