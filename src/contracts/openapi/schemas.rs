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

/// A JSON object whose shape is described in the README (documents served as they are).
pub fn object() -> Value {
    json!({"type": "object"})
}

/// A closed object: exactly these `properties`, the `required` ones always present.
pub fn closed(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// `schema` or `null`.
pub fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

/// An RFC 3339 date-time.
pub fn date_time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// A UUID.
pub fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

/// `{"items": [...]}`.
pub fn items_of(item: Value) -> Value {
    closed(
        &["items"],
        json!({"items": {"type": "array", "items": item}}),
    )
}

/// A page of items with the cursor of the next one (`null` on the last page).
pub fn page_of(item: Value) -> Value {
    closed(
        &["items", "next_cursor"],
        json!({
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page."},
        }),
    )
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
                    "profile": profile(),
                },
                "examples": [{"id": "acme-bank", "display": [{"name": "ACME Bank", "locale": "en"}]}],
            }),
        ),
        (
            "IssuerChange",
            json!({
                "type": "object", "required": ["display"], "additionalProperties": false,
                "properties": {"display": display()},
                "examples": [{"display": [{"name": "ACME Bank", "locale": "en"}]}],
            }),
        ),
        (
            "ProfileChange",
            json!({
                "type": "object", "required": ["profile"], "additionalProperties": false,
                "properties": {"profile": profile()},
                "examples": [{"profile": "haip"}],
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
                "examples": [{"alg": "ES256"}],
            }),
        ),
        (
            "NewOffer",
            json!({
                "type": "object", "additionalProperties": false,
                "description": "Exactly one of `credential_configuration_id` and `credential_configuration_ids`.",
                "properties": {
                    "credential_configuration_id": {"type": "string"},
                    "credential_configuration_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "claims": {"type": "object"},
                    "grant": {"type": "string", "enum": ["pre-authorized_code", "authorization_code"]},
                    "tx_code": {
                        "type": "object", "additionalProperties": false,
                        "properties": {
                            "input_mode": {"type": "string", "enum": ["numeric", "text"]},
                            "length": {"type": "integer", "minimum": 4, "maximum": 12},
                            "description": {"type": "string", "maxLength": 300},
                        },
                    },
                    "expires_in": {"type": "integer", "minimum": 1, "description": "Seconds; at most `offers.max_expires_in`."},
                    "single_use": {"type": "boolean"},
                    "subject": {"type": "string", "minLength": 1, "maxLength": 255},
                    "callback_url": {"type": "string", "format": "uri"},
                    "correlation": {"type": "object", "description": "Opaque, at most 4096 bytes serialised."},
                },
                "examples": [{
                    "credential_configuration_id": "IdentityCredential",
                    "claims": {"given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12"},
                    "tx_code": {"length": 6, "description": "Code sent by SMS"},
                    "subject": "customer-4711",
                    "correlation": {"case": "4711"},
                }],
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
                        "jwt": {"type": "array", "items": {"type": "string"}},
                        "attestation": {"type": "array", "items": {"type": "string"},
                            "minItems": 1, "maxItems": 1}}},
                    "proof": {"type": "object", "description": "Draft 13: a single `{\"proof_type\": \"jwt\", \"jwt\"}`.",
                        "properties": {"proof_type": {"type": "string"}, "jwt": {"type": "string"}}},
                    "format": {"type": "string", "description": "Draft 13."},
                    "vct": {"type": "string", "description": "Draft 13."},
                    "credential_response_encryption": {"type": "object"},
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

/// An issuer's interoperability profile.
pub fn profile() -> Value {
    json!({
        "type": "string", "enum": ["standard", "haip"],
        "description": "`haip`: OpenID4VC HAIP 1.0 required and advertised at the issuer's \
            wallet API (DPoP with nonces, wallet and key attestations, encrypted requests \
            and responses, `x5c`); a deployment-wide `profile = \"haip\"` makes every \
            issuer `haip`.",
    })
}
