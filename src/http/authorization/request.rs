//! Authorization request parameters (RFC 6749 §4.1.1; PKCE RFC 7636 §4.3; RFC 9396;
//! OID4VCI 1.0 §5.1) validated into an `AuthorizationRequested` fact, for the PAR endpoint
//! and for `/authorize` without PAR.
//!
//! Validation runs in two stages because their errors travel differently (RFC 6749
//! §4.1.2.1): [`check_client`] (client and redirect URI) fails without redirecting, since
//! the redirect URI is not trusted yet; everything after [`validate`] may be reported to
//! the wallet at its redirect URI.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use issuance_domain::authorization::AuthorizationRequested;
use issuance_domain::offer::{ensure_authorizable, OfferError};
use issuance_domain::Digest;
use serde::Deserialize;
use uuid::Uuid;

use super::clients::{is_client_id, ClientError};
use crate::crypto::codes;
use crate::http::state::WalletApi;
use crate::http::wallet::authorization_details;
use crate::http::wallet::errors::{ErrorCode, WalletError};
use crate::http::wallet::rejections::command_error;

/// Longest accepted `state`.
const MAX_STATE_LEN: usize = 1024;

/// The parameters read; others are ignored (RFC 6749 §3.1). A repeated parameter fails
/// parsing (§3.1: parameters must not be included more than once).
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizationParams {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// The wallet.
    pub client_id: Option<String>,
    /// Where the response goes.
    pub redirect_uri: Option<String>,
    /// Space-separated scopes, mapped to credential configurations.
    pub scope: Option<String>,
    /// JSON array of `openid_credential` details.
    pub authorization_details: Option<String>,
    /// The wallet's opaque value, echoed.
    pub state: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// From the credential offer.
    pub issuer_state: Option<String>,
    /// At `/authorize`: the pushed request.
    pub request_uri: Option<String>,
    /// Request objects are not supported.
    pub request: Option<String>,
    /// Only `query` is supported.
    pub response_mode: Option<String>,
    /// RFC 9449 §10: the DPoP key to bind the code to.
    pub dpop_jkt: Option<String>,
}

/// A client and a redirect URI it may receive responses at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub client_id: String,
    /// The registered (or acceptable) `redirect_uri`.
    pub redirect_uri: String,
}

/// Checks the client and its redirect URI. Errors here must never be redirected.
pub fn check_client(
    state: &WalletApi,
    params: &AuthorizationParams,
) -> Result<Client, WalletError> {
    let client_id = params
        .client_id
        .as_deref()
        .filter(|c| is_client_id(c))
        .ok_or_else(|| invalid_request("client_id is required (1-255 printable characters)"))?;
    // FAPI 2.0 §5.3.2.2 and HAIP: the redirect URI is always sent, and matched exactly.
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .ok_or_else(|| invalid_request("redirect_uri is required"))?;
    state
        .authorization
        .clients
        .check(client_id, redirect_uri)
        .map_err(|e| match e {
            ClientError::UnknownClient => WalletError::new(ErrorCode::InvalidClient, e.to_string()),
            other => invalid_request(other.to_string()),
        })?;
    Ok(Client {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
    })
}

/// Validates the rest of the request for `client`, resolving `issuer_state` to its offer
/// and the requested credentials to configuration ids. `proof_jkt` is the thumbprint of the
/// request's verified DPoP proof, if any.
pub async fn validate(
    state: &WalletApi,
    client: Client,
    params: &AuthorizationParams,
    proof_jkt: Option<String>,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<AuthorizationRequested, WalletError> {
    if params.request.is_some() {
        return Err(WalletError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported; push the parameters instead",
        ));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(invalid_request("response_type is required")),
        Some(_) => {
            return Err(WalletError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ))
        }
    }
    if params
        .response_mode
        .as_deref()
        .is_some_and(|m| m != "query")
    {
        return Err(invalid_request("only response_mode=query is supported"));
    }
    let code_challenge = code_challenge(params)?;
    let wallet_state = match params.state.as_deref() {
        None => None,
        Some(text) if is_state(text) => Some(text.to_string()),
        Some(_) => {
            return Err(invalid_request(
                "state must be at most 1024 printable ASCII characters",
            ))
        }
    };
    let by_details = params.authorization_details.is_some();
    let requested = requested_configurations(state, params)?;
    let (offer_id, configuration_ids) = match params.issuer_state.as_deref() {
        Some(issuer_state) => {
            let requested = (!requested.is_empty()).then_some(requested.as_slice());
            offer_configurations(state, issuer_state, requested, by_details, now).await?
        }
        None if requested.is_empty() => return Err(match params.scope {
            Some(_) => WalletError::new(
                ErrorCode::InvalidScope,
                "no requested scope names a credential configuration of this issuer",
            ),
            None => invalid_request(
                "name the credentials with scope or authorization_details, or send issuer_state",
            ),
        }),
        None => (None, requested),
    };
    Ok(AuthorizationRequested {
        session_id,
        client_id: client.client_id,
        redirect_uri: client.redirect_uri,
        code_challenge,
        credential_configuration_ids: configuration_ids,
        authorization_details: by_details,
        state: wallet_state,
        offer_id,
        pushed: None,
        dpop_jkt: dpop_binding(state, params, proof_jkt)?,
        expires_at: Some(now + session_lifetime(state)),
    })
}

fn invalid_request(reason: impl AsRef<str>) -> WalletError {
    WalletError::new(ErrorCode::InvalidRequest, reason)
}

/// RFC 7636 §4.3: `S256` only (`plain` would expose the verifier); the challenge is the
/// base64url SHA-256 of the verifier, 32 bytes.
fn code_challenge(params: &AuthorizationParams) -> Result<Digest, WalletError> {
    match params.code_challenge_method.as_deref() {
        Some("S256") => {}
        Some("plain") => {
            return Err(invalid_request(
                "code_challenge_method plain is not supported; use S256",
            ))
        }
        // §4.3 defaults to plain when absent, which is refused too.
        None => return Err(invalid_request("code_challenge_method=S256 is required")),
        Some(_) => return Err(invalid_request("code_challenge_method must be S256")),
    }
    let challenge = params
        .code_challenge
        .as_deref()
        .ok_or_else(|| invalid_request("code_challenge is required (PKCE)"))?;
    Digest::from_b64(challenge).ok_or_else(|| {
        invalid_request("code_challenge must be the base64url SHA-256 of the code verifier")
    })
}

/// RFC 6749 Appendix A.5: `state` is VSCHAR (%x20-7E).
pub(crate) fn is_state(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_STATE_LEN
        && text.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// The configuration ids named by `authorization_details` (first) and `scope`, without
/// repeats. Unknown scope values are ignored (OID4VCI 1.0 §5.1.2); an unknown
/// configuration in `authorization_details` is an error.
fn requested_configurations(
    state: &WalletApi,
    params: &AuthorizationParams,
) -> Result<Vec<String>, WalletError> {
    let mut ids = match params.authorization_details.as_deref() {
        Some(text) => authorization_details::requested_configurations(
            text,
            &state.issuer_url,
            &state.catalog,
        )?,
        None => Vec::new(),
    };
    if let Some(unknown) = ids.iter().find(|id| !state.catalog.contains(id)) {
        return Err(WalletError::new(
            ErrorCode::InvalidAuthorizationDetails,
            format!("unknown credential configuration {unknown}"),
        ));
    }
    let mut seen: BTreeSet<String> = ids.iter().cloned().collect();
    for scope in params.scope.as_deref().unwrap_or_default().split(' ') {
        if let Some(configuration) = state.catalog.by_scope(scope) {
            if seen.insert(configuration.id().to_string()) {
                ids.push(configuration.id().to_string());
            }
        }
    }
    Ok(ids)
}

/// `authorization.session_ttl`.
fn session_lifetime(state: &WalletApi) -> chrono::Duration {
    chrono::Duration::seconds(
        i64::try_from(state.settings.authorization.session_ttl).unwrap_or(600),
    )
}

/// The offer named by `issuer_state` and what of it is requested (everything offered when
/// nothing is named). The offer must be redeemable with the authorization-code grant now.
async fn offer_configurations(
    state: &WalletApi,
    issuer_state: &str,
    requested: Option<&[String]>,
    by_details: bool,
    now: DateTime<Utc>,
) -> Result<(Option<Uuid>, Vec<String>), WalletError> {
    let invalid =
        || invalid_request("the issuer_state is not valid, or its offer can no longer be redeemed");
    let offer_id = codes::offer_id_of_code(issuer_state).ok_or_else(invalid)?;
    let offer = state
        .offers
        .load(offer_id)
        .await
        .map_err(|e| command_error(e, |_| invalid()))?;
    let covered = ensure_authorizable(
        &offer,
        &codes::code_hash(issuer_state),
        requested,
        state.settings.offers.max_redemptions,
        now,
    )
    .map_err(|rejection| match rejection {
        OfferError::NotOffered(id) => WalletError::new(
            if by_details {
                ErrorCode::InvalidAuthorizationDetails
            } else {
                ErrorCode::InvalidScope
            },
            format!("credential configuration {id} is not part of the offer"),
        ),
        _ => invalid(),
    })?;
    Ok((Some(offer_id), covered))
}

/// RFC 9449 §10: the code is bound to the key of the request's DPoP proof, or to
/// `dpop_jkt`; both present must agree. Ignored when DPoP is disabled.
fn dpop_binding(
    state: &WalletApi,
    params: &AuthorizationParams,
    proof_jkt: Option<String>,
) -> Result<Option<String>, WalletError> {
    if !state.settings.authorization.dpop.enabled() {
        return Ok(None);
    }
    match (proof_jkt, params.dpop_jkt.as_deref()) {
        (Some(proof), Some(param)) if proof != param => Err(WalletError::new(
            ErrorCode::InvalidDpopProof,
            "dpop_jkt does not match the key of the DPoP proof",
        )),
        (Some(proof), _) => Ok(Some(proof)),
        (None, Some(param)) if param.len() == 43 && Digest::from_b64(param).is_some() => {
            Ok(Some(param.to_string()))
        }
        (None, Some(_)) => Err(invalid_request(
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
        )),
        (None, None) => Ok(None),
    }
}
