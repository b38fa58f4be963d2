//! `POST /token`: the pre-authorized code grant (OID4VCI 1.0 §6; RFC 6749 §4.1.3, §5).
//!
//! Every input is parsed before the aggregate is asked, so a malformed request writes
//! nothing. The aggregate decides: a wrong transaction code is recorded
//! (`TxCodeRejected`, and `OfferFailed` on the last attempt) and then answered
//! `invalid_grant`; everything else that is wrong with the grant is a rejection without
//! events.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::Duration;
use issuance_domain::offer::{
    NewRedemption, OfferCommand, OfferEvent, PresentedGrant, RedeemOffer,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::errors::{command_error, token_rejection, ErrorCode, WalletError};
use super::{access_token, authorization_details, nonce, wallet_command_meta};
use crate::crypto::codes;
use crate::http::request_context::RequestContext;
use crate::offers::credential_offer::PRE_AUTHORIZED_GRANT_TYPE;
use crate::state::AppState;

/// The token request parameters this issuer reads; others are ignored (wallets send
/// `user_pin`, `resource`, ...). A repeated parameter fails form parsing: RFC 6749 §3.2.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    #[serde(rename = "pre-authorized_code")]
    pre_authorized_code: Option<String>,
    tx_code: Option<String>,
    authorization_details: Option<String>,
    client_id: Option<String>,
}

/// Exchanges a pre-authorized code (and transaction code) for an access token.
pub async fn token(
    state: web::Data<AppState>,
    context: RequestContext,
    form: web::Form<TokenRequest>,
) -> Result<HttpResponse, WalletError> {
    let request = form.into_inner();
    let invalid_request = |reason: &str| WalletError::new(ErrorCode::InvalidRequest, reason);
    match request.grant_type.as_deref() {
        None => return Err(invalid_request("grant_type is required")),
        Some(PRE_AUTHORIZED_GRANT_TYPE) => {}
        Some(_) => {
            return Err(WalletError::new(
                ErrorCode::UnsupportedGrantType,
                format!("only the {PRE_AUTHORIZED_GRANT_TYPE} grant is supported"),
            ))
        }
    }
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
    let requested = request
        .authorization_details
        .as_deref()
        .map(|text| {
            authorization_details::requested_configurations(text, &state.issuer_url, &state.catalog)
        })
        .transpose()?;
    let client_id = request
        .client_id
        .filter(|c| !c.is_empty())
        .map(|c| {
            if c.len() <= 255 && c.bytes().all(|b| b.is_ascii_graphic()) {
                Ok(c)
            } else {
                Err(invalid_request(
                    "client_id must be 1-255 printable ASCII characters",
                ))
            }
        })
        .transpose()?;

    let ttl = state.settings.tokens.access_token_ttl;
    let now = state.clock.now();
    let redemption_id = Uuid::new_v4();
    let expires_at = now + Duration::seconds(i64::try_from(ttl).unwrap_or(300));
    let (access_token, token_hash) =
        access_token::mint(&state.server_secret, offer_id, redemption_id, expires_at);
    let grant = PresentedGrant::PreAuthorizedCode {
        code_hash: codes::code_hash(code),
        tx_code_hash: tx_code.map(|tx| codes::tx_code_hash(&state.server_secret, offer_id, tx)),
    };
    let redemption = NewRedemption {
        redemption_id,
        token_hash,
        token_expires_at: expires_at,
        requested_configuration_ids: requested.clone(),
        client_id,
        dpop_jkt: None,
    };
    let meta = wallet_command_meta(&state, context, None);
    let executed = state
        .offers
        .execute(offer_id, &meta, |_, now| {
            OfferCommand::Redeem(RedeemOffer {
                now,
                grant: grant.clone(),
                redemption: redemption.clone(),
            })
        })
        .await
        .map_err(|e| command_error(e, token_rejection))?;
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
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("expires_in".into(), json!(ttl));
    if requested.is_some() {
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
