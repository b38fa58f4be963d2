//! `POST /token`: the pre-authorized code grant (OID4VCI 1.0 §6; RFC 6749 §5) and, when the
//! authorization-code flow is enabled, the `authorization_code` grant (RFC 6749 §4.1.3;
//! see `crate::http::authorization::token_exchange`).
//!
//! Every input is parsed before the aggregate is asked, so a malformed request writes
//! nothing. The aggregate decides: a wrong transaction code is recorded
//! (`TxCodeRejected`, and `OfferFailed` on the last attempt) and then answered
//! `invalid_grant`; everything else that is wrong with the grant is a rejection without
//! events.

use actix_web::{web, HttpRequest, HttpResponse};
use issuance_domain::offer::{AttestedWallet, PresentedGrant, GRANT_AUTHORIZATION_CODE};
use uuid::Uuid;

use super::errors::{ErrorCode, WalletError};
use super::rejections::token_rejection;
use super::token_grant::{issue_token, requested_configurations, TokenGrant, TokenRequest};
use super::wallet_command_meta;
use crate::app::offers::credential_offer::PRE_AUTHORIZED_GRANT_TYPE;
use crate::app::offers::redeem::Redeem;
use crate::app::repository::CommandMeta;
use crate::crypto::codes;
use crate::http::authorization::client_attestation;
use crate::http::authorization::clients::is_client_id;
use crate::http::authorization::dpop::{self, CheckedProof};
use crate::http::authorization::token_exchange;
use crate::http::request_context::RequestContext;
use crate::http::state::WalletApi;

/// Exchanges a grant for an access token: the pre-authorized code (and transaction code),
/// or an authorization code (with PKCE) when the authorization-code flow is enabled. A
/// DPoP proof, when DPoP is enabled, binds the token to its key (RFC 9449 §5).
pub async fn token(
    state: web::Data<WalletApi>,
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
    let client_id = request.client_id.as_deref().filter(|c| !c.is_empty());
    let attested = client_attestation::authenticate(&state, &http, client_id).await?;
    let meta = wallet_command_meta(&state, context);
    if request.grant_type.as_deref() == Some(GRANT_AUTHORIZATION_CODE) {
        return token_exchange::exchange(&state, &meta, request, proof, attested).await;
    }
    pre_authorized(&state, &meta, request, proof, attested).await
}

/// The pre-authorized code grant (OID4VCI 1.0 §6.1).
async fn pre_authorized(
    state: &WalletApi,
    meta: &CommandMeta,
    request: TokenRequest,
    proof: Option<CheckedProof>,
    attested: Option<AttestedWallet>,
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
        .transpose()?
        // An attested wallet is identified by its attestation's `sub`.
        .or_else(|| attested.as_ref().map(|wallet| wallet.client_id.clone()));
    let grant = PresentedGrant::PreAuthorizedCode {
        code_hash: codes::code_hash(code),
        tx_code_hash: tx_code.map(|tx| codes::tx_code_hash(&state.server_secret, offer_id, tx)),
    };
    issue_token(
        state,
        meta,
        TokenGrant {
            echo_authorization_details: requested.is_some(),
            redeem: Redeem {
                offer_id,
                grant,
                redemption_id: Uuid::new_v4(),
                requested,
                client_id,
                dpop_jkt: proof.as_ref().map(|p| p.proof.thumbprint.clone()),
                jti: proof.map(|p| p.jti),
                issuer_id: state.issuer_id.clone(),
                attested_wallet: attested,
            },
        },
        token_rejection,
    )
    .await
}
