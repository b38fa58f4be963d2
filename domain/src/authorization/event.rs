//! AuthorizationSession events: facts, past tense, versioned, never rewritten. Stored like
//! the Offer's (type, version, the variant's struct alone). Secrets appear only as SHA-256
//! digests: the request URI, the login challenge and the authorization code.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::aggregate::{check_version, parse_payload, to_payload, DecodeError, StoredEvent};
use crate::digest::Digest;
use crate::schema::{legacy_schema, schema_of};
use crate::sealed::Sealed;

/// A pushed authorization request (RFC 9126): its `request_uri`, usable once until
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PushedRequest {
    /// SHA-256 of the `request_uri`.
    pub request_uri_hash: Digest,
    /// When the `request_uri` stops working.
    pub expires_at: DateTime<Utc>,
}

/// A wallet asked for authorization (at the PAR endpoint, or directly at `/authorize` when
/// PAR is not required). Everything was validated by the adapter; the aggregate checks the
/// invariants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AuthorizationRequested {
    /// The session's id.
    pub session_id: Uuid,
    /// The wallet (public OAuth client).
    pub client_id: String,
    /// Where the wallet gets the answer; the token request must repeat it exactly
    /// (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// The PKCE `code_challenge` (RFC 7636 §4.2, method S256 only): SHA-256 of the code
    /// verifier the token request must present.
    pub code_challenge: Digest,
    /// The credential configurations asked for (from `authorization_details` of type
    /// `openid_credential` and/or `scope`), unique, non-empty.
    pub credential_configuration_ids: Vec<String>,
    /// Whether they were asked for with `authorization_details`: the token response then
    /// carries `authorization_details` with credential identifiers (OID4VCI 1.0 §6.2).
    pub authorization_details: bool,
    /// The wallet's `state`, echoed in the redirect (RFC 6749 §4.1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The offer named by a valid `issuer_state` (OID4VCI 1.0 §5.1.3); `None` for
    /// wallet-initiated issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<Uuid>,
    /// The pushed request's `request_uri`, when the request was pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed: Option<PushedRequest>,
    /// RFC 7638 thumbprint of the DPoP key the authorization code is bound to (RFC 9449
    /// §10: a DPoP proof at PAR, or `dpop_jkt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// When the session ends if it has not completed (`authorization.session_ttl` after
    /// the request): from then on it accepts no command and records nothing. `None` for
    /// sessions requested before sessions expired as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The browser was sent to the institution's login page with a one-time login challenge;
/// the pushed `request_uri` is spent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LoginStarted {
    /// SHA-256 of the login challenge.
    pub challenge_hash: Digest,
    /// When the challenge stops working.
    pub expires_at: DateTime<Utc>,
}

/// The institution authenticated the user and accepted: an authorization code was issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AuthorizationGranted {
    /// The institution's subject identifier of the user, sealed with the data key of the
    /// offer the code redeems (version 2; erasing the offer's claims erases it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_subject: Option<Sealed>,
    /// The offer the code redeems (the `issuer_state`'s, or the one created from the claims
    /// the institution supplied).
    pub offer_id: Uuid,
    /// SHA-256 of the authorization code.
    pub code_hash: Digest,
    /// When the code stops working (≤ 60 s, FAPI 2.0 §5.3.2.1).
    pub code_expires_at: DateTime<Utc>,
    /// The plaintext subject of a version-1 event (read only: never stored again).
    #[serde(skip)]
    pub legacy_subject: Option<String>,
}

/// Why a session was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DenialReason {
    /// The institution rejected the login (user cancelled, not authenticated, not entitled).
    Rejected,
    /// The authenticated user is not the subject the offer was made for.
    SubjectMismatch,
}

impl DenialReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DenialReason::Rejected => "rejected",
            DenialReason::SubjectMismatch => "subject_mismatch",
        }
    }
}

/// The session ended without a code; the wallet gets `access_denied`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AuthorizationDenied {
    /// Why.
    pub reason: DenialReason,
    /// The institution's explanation, if it gave one (never sent to the wallet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The authorization code was exchanged at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AuthorizationCodeExchanged {
    /// The offer redemption (access token) the exchange creates.
    pub redemption_id: Uuid,
}

/// The authorization code was presented again after its exchange: the access token issued
/// from it is to be revoked (RFC 6749 §4.1.2, §10.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AuthorizationCodeReplayed {
    /// The offer the revoked token belongs to.
    pub offer_id: Uuid,
    /// The redemption to revoke.
    pub redemption_id: Uuid,
}

/// Every event of the AuthorizationSession aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AuthorizationEvent {
    /// See [`AuthorizationRequested`].
    AuthorizationRequested(AuthorizationRequested),
    /// See [`LoginStarted`].
    LoginStarted(LoginStarted),
    /// See [`AuthorizationGranted`].
    AuthorizationGranted(AuthorizationGranted),
    /// See [`AuthorizationDenied`].
    AuthorizationDenied(AuthorizationDenied),
    /// See [`AuthorizationCodeExchanged`].
    AuthorizationCodeExchanged(AuthorizationCodeExchanged),
    /// See [`AuthorizationCodeReplayed`].
    AuthorizationCodeReplayed(AuthorizationCodeReplayed),
}

/// The schema version written for new events of `event_type`: `AuthorizationGranted` is
/// at version 2, which seals the subject version 1 held in plaintext; the others at 1.
pub fn current_version(event_type: &str) -> u32 {
    match event_type {
        "AuthorizationGranted" => 2,
        _ => 1,
    }
}

/// The plaintext subject of a version-1 `AuthorizationGranted`.
#[derive(Deserialize, JsonSchema)]
struct AuthorizationGrantedV1 {
    /// The institution's subject identifier of the user, in plaintext.
    subject: String,
}

/// The JSON Schema of an `event_type` payload as stored at `version` (`None` for a type or
/// version this code does not decode): version 1 of `AuthorizationGranted` has the
/// plaintext `subject` instead of `sealed_subject`.
pub fn schema(event_type: &str, version: u32) -> Option<Value> {
    if version == 0 || version > current_version(event_type) {
        return None;
    }
    Some(match (event_type, version) {
        ("AuthorizationRequested", _) => schema_of::<AuthorizationRequested>(),
        ("LoginStarted", _) => schema_of::<LoginStarted>(),
        ("AuthorizationGranted", 1) => legacy_schema(
            schema_of::<AuthorizationGranted>(),
            &schema_of::<AuthorizationGrantedV1>(),
            &["sealed_subject"],
        ),
        ("AuthorizationGranted", _) => schema_of::<AuthorizationGranted>(),
        ("AuthorizationDenied", _) => schema_of::<AuthorizationDenied>(),
        ("AuthorizationCodeExchanged", _) => schema_of::<AuthorizationCodeExchanged>(),
        ("AuthorizationCodeReplayed", _) => schema_of::<AuthorizationCodeReplayed>(),
        _ => return None,
    })
}

/// Version 1 → 2: the plaintext subject moves to the never-serialised `legacy_subject`.
fn authorization_granted(
    version: u32,
    payload: &Value,
) -> Result<AuthorizationGranted, DecodeError> {
    let mut granted: AuthorizationGranted = parse_payload("AuthorizationGranted", payload)?;
    if version == 1 {
        let v1: AuthorizationGrantedV1 = parse_payload("AuthorizationGranted", payload)?;
        granted.legacy_subject = Some(v1.subject);
    }
    Ok(granted)
}

/// Every event type name, in lifecycle order.
pub const EVENT_TYPES: [&str; 6] = [
    "AuthorizationRequested",
    "LoginStarted",
    "AuthorizationGranted",
    "AuthorizationDenied",
    "AuthorizationCodeExchanged",
    "AuthorizationCodeReplayed",
];

impl StoredEvent for AuthorizationEvent {
    fn event_type(&self) -> &'static str {
        match self {
            AuthorizationEvent::AuthorizationRequested(_) => "AuthorizationRequested",
            AuthorizationEvent::LoginStarted(_) => "LoginStarted",
            AuthorizationEvent::AuthorizationGranted(_) => "AuthorizationGranted",
            AuthorizationEvent::AuthorizationDenied(_) => "AuthorizationDenied",
            AuthorizationEvent::AuthorizationCodeExchanged(_) => "AuthorizationCodeExchanged",
            AuthorizationEvent::AuthorizationCodeReplayed(_) => "AuthorizationCodeReplayed",
        }
    }

    fn event_version(&self) -> u32 {
        current_version(StoredEvent::event_type(self))
    }

    fn payload(&self) -> Value {
        match self {
            AuthorizationEvent::AuthorizationRequested(e) => to_payload(e),
            AuthorizationEvent::LoginStarted(e) => to_payload(e),
            AuthorizationEvent::AuthorizationGranted(e) => to_payload(e),
            AuthorizationEvent::AuthorizationDenied(e) => to_payload(e),
            AuthorizationEvent::AuthorizationCodeExchanged(e) => to_payload(e),
            AuthorizationEvent::AuthorizationCodeReplayed(e) => to_payload(e),
        }
    }

    fn decode(event_type: &str, version: u32, payload: &Value) -> Result<Self, DecodeError> {
        check_version(event_type, version, current_version(event_type))?;
        let p = payload;
        Ok(match event_type {
            "AuthorizationRequested" => {
                AuthorizationEvent::AuthorizationRequested(parse_payload(event_type, p)?)
            }
            "LoginStarted" => AuthorizationEvent::LoginStarted(parse_payload(event_type, p)?),
            "AuthorizationGranted" => {
                AuthorizationEvent::AuthorizationGranted(authorization_granted(version, p)?)
            }
            "AuthorizationDenied" => {
                AuthorizationEvent::AuthorizationDenied(parse_payload(event_type, p)?)
            }
            "AuthorizationCodeExchanged" => {
                AuthorizationEvent::AuthorizationCodeExchanged(parse_payload(event_type, p)?)
            }
            "AuthorizationCodeReplayed" => {
                AuthorizationEvent::AuthorizationCodeReplayed(parse_payload(event_type, p)?)
            }
            other => return Err(DecodeError::UnknownType(other.to_string())),
        })
    }
}

// cqrs-es is the test framework's: its traits are implemented for the tests only.
#[cfg(test)]
impl cqrs_es::DomainEvent for AuthorizationEvent {
    fn event_type(&self) -> String {
        StoredEvent::event_type(self).to_string()
    }

    fn event_version(&self) -> String {
        format!("{}.0", StoredEvent::event_version(self))
    }
}
