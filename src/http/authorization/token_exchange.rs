//! The `authorization_code` grant at `POST /token` (RFC 6749 §4.1.3; PKCE RFC 7636 §4.5,
//! §4.6; OID4VCI 1.0 §6.1).
//!
//! 1. The session judges the code: it is the session's, unexpired, issued to this
//!    `client_id` for this `redirect_uri` (exact match), and `SHA-256(code_verifier)` is the
//!    `code_challenge`; a DPoP-bound code needs a proof with its key. It records
//!    `AuthorizationCodeExchanged` with the id of the token about to be minted.
//! 2. The offer is redeemed with its `issuer_state` (`OfferRedeemed`), exactly as in the
//!    pre-authorized flow, and the token answered.
//!
//! A second use of the code records `AuthorizationCodeReplayed` and revokes the token of
//! the first (`RedemptionRevoked` on the offer; RFC 6749 §4.1.2, §10.5). The revocation
//! may land before the first exchange has redeemed the offer: the offer then refuses that
//! redemption, so the code never yields a working token twice.

use actix_web::HttpResponse;
use issuance_domain::authorization::{
    AuthorizationCommand, AuthorizationError, AuthorizationEvent, ExchangeCode,
};
use issuance_domain::offer::{
    AttestedWallet, OfferCommand, OfferError, PresentedGrant, RevokeRedemption,
    REVOCATION_AUTHORIZATION_CODE_REPLAYED,
};
use uuid::Uuid;

use super::clients::is_client_id;
use super::dpop::{self, CheckedProof};
use super::{handles, SessionError};
use crate::app::offers::redeem::Redeem;
use crate::app::repository::CommandMeta;
use crate::crypto::{codes, sha256};
use crate::http::state::WalletApi;
use crate::http::wallet::errors::{ErrorCode, WalletError};
use crate::http::wallet::rejections::{command_error, token_rejection};
use crate::http::wallet::token_grant::{
    issue_token, requested_configurations, TokenGrant, TokenRequest,
};

/// Exchanges an authorization code for an access token.
pub async fn exchange(
    state: &WalletApi,
    meta: &CommandMeta,
    request: TokenRequest,
    proof: Option<CheckedProof>,
    attested: Option<AttestedWallet>,
) -> Result<HttpResponse, WalletError> {
    let dpop_jkt = proof.as_ref().map(|p| p.proof.thumbprint.clone());
    let invalid_request = |reason: &str| WalletError::new(ErrorCode::InvalidRequest, reason);
    let required = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| invalid_request(&format!("{name} is required")))
    };
    let requested = requested_configurations(state, &request)?;
    if request.tx_code.is_some() {
        return Err(invalid_request(
            "tx_code belongs to the pre-authorized code grant only",
        ));
    }
    let code = required(request.code, "code")?;
    let redirect_uri = required(request.redirect_uri, "redirect_uri")?;
    // RFC 6749 §4.1.3: a public client identifies itself.
    let client_id = required(request.client_id, "client_id")?;
    if !is_client_id(&client_id) {
        return Err(invalid_request(
            "client_id must be 1-255 printable ASCII characters",
        ));
    }
    let verifier = required(request.code_verifier, "code_verifier")?;
    if !is_code_verifier(&verifier) {
        return Err(invalid_request(
            "code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 section 4.1)",
        ));
    }
    let session_id = handles::session_of(&code).ok_or_else(invalid_code)?;
    let redemption_id = Uuid::new_v4();
    let command = ExchangeCode {
        now: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        code_hash: handles::hash_of(&code),
        client_id: client_id.clone(),
        redirect_uri,
        code_verifier_hash: sha256(verifier.as_bytes()),
        dpop_jkt: dpop_jkt.clone(),
        redemption_id,
    };
    // The proof's `jti` is recorded with the exchange, only if the session accepts it.
    let executed = dpop::execute_recording_jti(
        &state.authorization.sessions,
        session_id,
        meta,
        proof.map(|p| p.jti),
        |_, now| {
            AuthorizationCommand::ExchangeCode(ExchangeCode {
                now,
                ..command.clone()
            })
        },
    )
    .await;
    let executed = match executed {
        // Used again after the replay was recorded: nothing more is recorded, but the
        // revocation is made sure of (it records nothing when it is in place).
        Err(SessionError::Rejected(AuthorizationError::CodeReplayedAgain {
            offer_id,
            redemption_id,
        })) => {
            revoke(state, meta, offer_id, redemption_id).await?;
            return Err(replayed_code());
        }
        other => other.map_err(|e| dpop::jti_command_error(e, exchange_rejection))?,
    };

    if let [AuthorizationEvent::AuthorizationCodeReplayed(replayed)] = executed.events.as_slice() {
        revoke(state, meta, replayed.offer_id, replayed.redemption_id).await?;
        return Err(replayed_code());
    }
    let session = &executed.state;
    let (Some(session_request), Some(grant)) = (session.request.as_ref(), session.grant.as_ref())
    else {
        return Err(WalletError::internal(
            &"exchanged session without request or grant",
        ));
    };
    let authorized = &session_request.credential_configuration_ids;
    if let Some(beyond) = requested
        .iter()
        .flatten()
        .find(|id| !authorized.contains(id))
    {
        return Err(WalletError::new(
            ErrorCode::InvalidAuthorizationDetails,
            format!("credential configuration {beyond} was not authorized"),
        ));
    }
    let issuer_state = codes::issuer_state(&state.server_secret, grant.offer_id);
    issue_token(
        state,
        meta,
        TokenGrant {
            echo_authorization_details: session_request.authorization_details
                || requested.is_some(),
            redeem: Redeem {
                issuer_id: state.issuer_id.clone(),
                offer_id: grant.offer_id,
                grant: PresentedGrant::AuthorizationCode {
                    issuer_state_hash: codes::code_hash(&issuer_state),
                },
                redemption_id,
                // The token request may narrow what was authorized, never widen it.
                requested: Some(requested.unwrap_or_else(|| authorized.clone())),
                client_id: Some(client_id),
                dpop_jkt,
                jti: None,
                attested_wallet: attested,
            },
        },
        redemption_rejection,
    )
    .await
}

/// RFC 7636 §4.1: 43–128 unreserved characters.
fn is_code_verifier(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn replayed_code() -> WalletError {
    WalletError::new(
        ErrorCode::InvalidGrant,
        "the authorization code was already used; the access token issued for it is revoked",
    )
}

fn invalid_code() -> WalletError {
    WalletError::new(
        ErrorCode::InvalidGrant,
        "the authorization code is not valid",
    )
}

/// Revokes the token issued from a replayed code (idempotent).
async fn revoke(
    state: &WalletApi,
    meta: &CommandMeta,
    offer_id: Uuid,
    redemption_id: Uuid,
) -> Result<(), WalletError> {
    // Codes are secrets: log the ids only.
    tracing::warn!(%offer_id, %redemption_id, "authorization code replayed; revoking its token");
    state
        .offers
        .execute(offer_id, meta, |_, _| {
            OfferCommand::RevokeRedemption(RevokeRedemption {
                redemption_id,
                reason: REVOCATION_AUTHORIZATION_CODE_REPLAYED.into(),
            })
        })
        .await
        .map_err(|e| command_error(e, token_rejection))?;
    Ok(())
}

/// RFC 6749 §5.2: every problem with the code is `invalid_grant`.
fn exchange_rejection(error: AuthorizationError) -> WalletError {
    let invalid_grant = |description: &str| WalletError::new(ErrorCode::InvalidGrant, description);
    match error {
        AuthorizationError::NotFound | AuthorizationError::InvalidCode => invalid_code(),
        AuthorizationError::CodeExpired | AuthorizationError::SessionExpired => {
            invalid_grant("the authorization code has expired")
        }
        AuthorizationError::ClientMismatch => {
            invalid_grant("the authorization code was issued to another client")
        }
        AuthorizationError::RedirectUriMismatch => {
            invalid_grant("redirect_uri does not match the one of the authorization request")
        }
        AuthorizationError::PkceMismatch => {
            invalid_grant("the code_verifier does not match the code_challenge")
        }
        AuthorizationError::DpopKeyMismatch => WalletError::new(
            ErrorCode::InvalidDpopProof,
            "the authorization code is bound to another DPoP key (dpop_jkt)",
        ),
        other => {
            WalletError::internal(&format!("unexpected rejection of a code exchange: {other}"))
        }
    }
}

/// The offer's refusal of a redemption after a successful exchange.
fn redemption_rejection(error: OfferError) -> WalletError {
    let invalid_grant = |description: &str| WalletError::new(ErrorCode::InvalidGrant, description);
    match error {
        OfferError::NotFound | OfferError::InvalidCode | OfferError::GrantMismatch => {
            invalid_grant("the offer of this authorization code is not valid")
        }
        OfferError::Expired => invalid_grant("the offer of this authorization code has expired"),
        OfferError::Revoked => invalid_grant("the offer of this authorization code was revoked"),
        OfferError::Failed(_) => invalid_grant("the offer of this authorization code is locked"),
        OfferError::Completed | OfferError::AlreadyRedeemed => {
            invalid_grant("the offer of this authorization code was already redeemed")
        }
        OfferError::TokenRevoked => {
            invalid_grant("the authorization code was used twice; its access token is revoked")
        }
        other => token_rejection(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_verifiers_follow_rfc_7636() {
        assert!(is_code_verifier(&"a".repeat(43)));
        assert!(is_code_verifier(&format!("{}-._~", "Z9".repeat(40))));
        assert!(!is_code_verifier(&"a".repeat(42)));
        assert!(!is_code_verifier(&"a".repeat(129)));
        assert!(!is_code_verifier(&format!("{}+", "a".repeat(43))));
    }
}
