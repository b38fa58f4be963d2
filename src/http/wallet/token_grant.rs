//! What both grants share: the token request's parameters, the configurations it names,
//! and redeeming the offer for an access token.

use actix_web::http::header;
use actix_web::HttpResponse;
use issuance_domain::offer::OfferError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::errors::{ErrorCode, WalletError};
use super::{authorization_details, nonce};
use crate::app::offers::redeem::{Redeem, RedeemError, Redeemer};
use crate::app::repository::CommandMeta;
use crate::http::authorization::dpop::{self};
use crate::http::state::WalletApi;

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

/// A grant checked by the adapter, with what the response echoes.
pub(crate) struct TokenGrant {
    /// What is redeemed.
    pub redeem: Redeem,
    /// Whether the response carries `authorization_details` (OID4VCI 1.0 §6.2).
    pub echo_authorization_details: bool,
}

/// Redeems the offer (`OfferRedeemed`, see [`Redeemer`]) and answers with the access token
/// (RFC 6749 §5.1): `token_type` `DPoP` when bound (RFC 9449 §5), never cached.
pub(crate) async fn issue_token(
    state: &WalletApi,
    meta: &CommandMeta,
    grant: TokenGrant,
    rejection: fn(OfferError) -> WalletError,
) -> Result<HttpResponse, WalletError> {
    let bound = grant.redeem.dpop_jkt.is_some();
    let redeemer = Redeemer {
        offers: &state.offers,
        server_secret: &state.server_secret,
        clock: state.clock.as_ref(),
        access_token_ttl: state.settings.tokens.access_token_ttl,
        max_redemptions: state.settings.offers.max_redemptions,
    };
    let redeemed = redeemer
        .redeem(meta, grant.redeem)
        .await
        .map_err(|error| match error {
            RedeemError::WrongTxCode { remaining: 0 } => WalletError::new(
                ErrorCode::InvalidGrant,
                "the transaction code is wrong; no attempts remain and the offer is locked",
            ),
            RedeemError::WrongTxCode { .. } => {
                WalletError::new(ErrorCode::InvalidGrant, error.to_string())
            }
            RedeemError::Command(error) => dpop::jti_command_error(error, rejection),
        })?;

    let nonce_ttl = state.settings.tokens.nonce_ttl;
    let mut body = Map::new();
    body.insert("access_token".into(), json!(redeemed.access_token));
    body.insert(
        "token_type".into(),
        json!(if bound { "DPoP" } else { "Bearer" }),
    );
    body.insert("expires_in".into(), json!(redeemed.expires_in));
    if grant.echo_authorization_details {
        body.insert(
            "authorization_details".into(),
            authorization_details::granted(&redeemed.covered),
        );
    }
    // Draft 13 delivered the first c_nonce here; 1.0 wallets ignore these members.
    body.insert(
        "c_nonce".into(),
        json!(nonce::mint(
            &state.server_secret,
            state.clock.now(),
            nonce_ttl
        )),
    );
    body.insert("c_nonce_expires_in".into(), json!(nonce_ttl));
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(Value::Object(body)))
}
