//! The components shared by the documents: error envelopes, security schemes and the
//! request bodies (hand-written where the handlers validate a JSON value themselves).

use serde_json::{json, Value};

use crate::config::api_keys::Scope;

/// The management API's error envelope ([`crate::http::management::error::ApiError`]).
pub fn management_error() -> Value {
    json!({
        "type": "object",
        "title": "ManagementError",
        "required": ["error", "error_description"],
        "properties": {
            "error": {"type": "string", "description": "Machine-readable code, e.g. `invalid_request`, `not_found`, `invalid_claims`, `offer_not_revocable`, `temporarily_unavailable`."},
            "error_description": {"type": "string", "description": "Human-readable explanation."},
            "details": {"type": "array", "description": "Per-item problems (e.g. one per invalid claim).", "items": {}},
        },
    })
}

/// The wallet API's OAuth-style error body (RFC 6749 §5.2, OID4VCI 1.0 §8.3.1.2, §11.3).
pub fn wallet_error() -> Value {
    json!({
        "type": "object",
        "title": "WalletError",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "The protocol code, e.g. `invalid_request`, `invalid_grant`, `invalid_token`, `invalid_proof`, `invalid_nonce`, `invalid_credential_request`, `invalid_notification_id`, `not_found`, `temporarily_unavailable`."},
            "error_description": {"type": "string"},
        },
    })
}

/// A JSON object whose shape is described in the README (views, metadata documents).
pub fn object() -> Value {
    json!({"type": "object"})
}

/// A page of items with a cursor for the next one.
pub fn page() -> Value {
    json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {"type": "array", "items": {"type": "object"}},
            "next_cursor": {"type": ["string", "null"]},
        },
    })
}

/// The display entries of an issuer.
fn display() -> Value {
    json!({"type": "array", "items": {"type": "object"}})
}

/// Request bodies of the management API.
pub fn management_bodies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "NewIssuer",
            json!({
                "type": "object", "required": ["id"], "additionalProperties": false,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"},
                    "display": display(),
                },
            }),
        ),
        (
            "IssuerChange",
            json!({
                "type": "object", "required": ["display"], "additionalProperties": false,
                "properties": {"display": display()},
            }),
        ),
        (
            "NewKey",
            json!({
                "type": "object", "additionalProperties": false,
                "properties": {
                    "alg": {"type": "string", "enum": ["ES256"]},
                    "jwk": {"type": "object", "description": "A private JWK to import."},
                    "pem": {"type": "string", "description": "A PEM private key to import."},
                    "x5c": {"type": "array", "items": {"type": "string"}},
                },
            }),
        ),
        (
            "NewOffer",
            json!({
                "type": "object",
                "required": ["credential_configuration_id", "subject"],
                "properties": {
                    "credential_configuration_id": {"type": "string"},
                    "subject": {"type": "string"},
                    "claims": {"type": "object"},
                    "correlation": {},
                    "callback_url": {"type": "string", "format": "uri"},
                },
            }),
        ),
        (
            "Reason",
            json!({
                "type": "object", "additionalProperties": false,
                "properties": {"reason": {"type": ["string", "null"], "maxLength": 500}},
            }),
        ),
        (
            "LoginAccept",
            json!({
                "type": "object", "required": ["subject"], "additionalProperties": false,
                "properties": {
                    "subject": {"type": "string", "maxLength": 255},
                    "claims": {"type": "object"},
                    "correlation": {},
                    "callback_url": {"type": "string"},
                },
            }),
        ),
        (
            "CredentialConfiguration",
            json!({
                "type": "object",
                "description": "A credential configuration as in the `credential_configurations` section of the configuration file.",
            }),
        ),
    ]
}

/// Request bodies of the wallet API.
pub fn wallet_bodies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "TokenRequest",
            json!({
                "type": "object", "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": [
                        "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                        "authorization_code"]},
                    "pre-authorized_code": {"type": "string"},
                    "tx_code": {"type": "string"},
                    "code": {"type": "string"},
                    "code_verifier": {"type": "string"},
                    "redirect_uri": {"type": "string"},
                    "client_id": {"type": "string"},
                    "authorization_details": {"type": "string", "description": "JSON (RFC 9396)."},
                },
            }),
        ),
        (
            "AuthorizationRequest",
            json!({
                "type": "object", "required": ["client_id", "response_type"],
                "properties": {
                    "client_id": {"type": "string"},
                    "response_type": {"type": "string", "enum": ["code"]},
                    "redirect_uri": {"type": "string"},
                    "scope": {"type": "string"},
                    "state": {"type": "string"},
                    "code_challenge": {"type": "string"},
                    "code_challenge_method": {"type": "string", "enum": ["S256"]},
                    "authorization_details": {"type": "string"},
                    "issuer_state": {"type": "string"},
                },
            }),
        ),
        (
            "CredentialRequest",
            json!({
                "type": "object",
                "properties": {
                    "credential_configuration_id": {"type": "string"},
                    "credential_identifier": {"type": "string"},
                    "proofs": {"type": "object", "properties": {
                        "jwt": {"type": "array", "items": {"type": "string"}}}},
                    "credential_response_encryption": {"type": "object"},
                },
            }),
        ),
        (
            "CredentialResponse",
            json!({
                "type": "object", "required": ["credentials"],
                "properties": {
                    "credentials": {"type": "array", "items": {
                        "type": "object", "required": ["credential"],
                        "properties": {"credential": {"type": "string"}}}},
                    "notification_id": {"type": "string"},
                },
            }),
        ),
        (
            "NotificationRequest",
            json!({
                "type": "object", "required": ["notification_id", "event"],
                "properties": {
                    "notification_id": {"type": "string"},
                    "event": {"type": "string", "enum": ["credential_accepted", "credential_failure", "credential_deleted"]},
                    "event_description": {"type": "string"},
                },
            }),
        ),
        (
            "TokenResponse",
            json!({
                "type": "object", "required": ["access_token", "token_type"],
                "properties": {
                    "access_token": {"type": "string"},
                    "token_type": {"type": "string", "enum": ["Bearer", "DPoP"]},
                    "expires_in": {"type": "integer"},
                    "authorization_details": {"type": "array", "items": {"type": "object"}},
                },
            }),
        ),
        (
            "NonceResponse",
            json!({
                "type": "object", "required": ["c_nonce"],
                "properties": {"c_nonce": {"type": "string"}},
            }),
        ),
        (
            "ParResponse",
            json!({
                "type": "object", "required": ["request_uri", "expires_in"],
                "properties": {"request_uri": {"type": "string"}, "expires_in": {"type": "integer"}},
            }),
        ),
    ]
}

/// The management API's security scheme: a bearer API key whose scopes the operations
/// name (OpenAPI lists them in the `security` requirement of each operation).
pub fn management_security() -> Value {
    json!({"apiKey": {
        "type": "http", "scheme": "bearer",
        "description": format!(
            "A management API key (`Authorization: Bearer <key>`), configured or created by \
             `issuance keys create`, with scopes: {}. `admin` implies every scope.",
            Scope::NAMES.join(", ")),
    }})
}

/// The wallet API's security schemes for the credential and notification endpoints.
pub fn wallet_security() -> Value {
    json!({
        "bearerAccessToken": {"type": "http", "scheme": "bearer",
            "description": "The access token from the token endpoint (RFC 6750)."},
        "dpopAccessToken": {"type": "http", "scheme": "dpop",
            "description": "A DPoP-bound access token (`Authorization: DPoP <token>`) with a `DPoP` proof header (RFC 9449), when DPoP is enabled."},
    })
}
