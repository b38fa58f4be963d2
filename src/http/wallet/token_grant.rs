//! What both grants share: the token request's parameters, the configurations it names,
//! and redeeming the offer for an access token.

use actix_web::http::header;
use actix_web::HttpResponse;
use chrono::Duration;
use issuance_domain::offer::{
    NewRedemption, OfferCommand, OfferError, OfferEvent, PresentedGrant, RedeemOffer,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::errors::{ErrorCode, WalletError};
use super::{access_token, authorization_details, nonce};
use crate::app::repository::CommandMeta;
use crate::http::authorization::dpop::{self};
use crate::http::state::WalletApi;
use crate::store::NonceUse;

/// The token request parameters this issuer reads; others are ignored (wallets send
/// `user_pin`, `resource`, ...). A repeated parameter fails form parsing: RFC 6749 §3.2.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub(crate) grant_type: Option<String>,
    #[serde(rename = "pre-authorized_code")]
    pub(crate) pre_authorized_code: Option<String>,
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

/// The configurations a token request's `authorization_details` names, if it has any.
pub(crate) fn requested_configurations(
    state: &WalletApi,
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
    state: &WalletApi,
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
    let executed =
        dpop::execute_recording_jti(&state.offers, grant.offer_id, meta, grant.jti, |_, now| {
            OfferCommand::Redeem(RedeemOffer {
                now,
                grant: grant.grant.clone(),
                redemption: redemption.clone(),
                max_redemptions,
            })
        })
        .await
        .map_err(|e| dpop::jti_command_error(e, rejection))?;

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
