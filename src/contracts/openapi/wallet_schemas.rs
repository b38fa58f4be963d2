//! The wallet API's response bodies: the credential offer, the well-known metadata
//! documents and the token, nonce, PAR and credential responses, as the handlers in
//! src/http/wallet/ and src/http/authorization/ assemble them (the display entries are
//! derived from their Rust types). The integration tests validate real responses against
//! these.

use issuance_domain::credential_config::{ClaimDisplay, Display};
use serde_json::{json, Map, Value};

use super::derived::Derived;
use super::reference;
use super::schemas::closed;

/// The pre-authorized code grant type.
const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn string() -> Value {
    json!({"type": "string"})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// The credential offer object (OID4VCI 1.0 §4.1.1), as
/// src/app/offers/credential_offer.rs builds it: one grant.
pub fn credential_offer() -> Value {
    let tx_code = closed(
        &["input_mode", "length"],
        json!({
            "input_mode": {"type": "string", "enum": ["numeric", "text"]},
            "length": {"type": "integer", "minimum": 1},
            "description": string(),
        }),
    );
    let pre_authorized = closed(
        &["pre-authorized_code"],
        json!({"pre-authorized_code": string(), "tx_code": tx_code}),
    );
    let authorization_code = closed(&["issuer_state"], json!({"issuer_state": string()}));
    closed(
        &[
            "credential_issuer",
            "credential_configuration_ids",
            "grants",
        ],
        json!({
            "credential_issuer": string(),
            "credential_configuration_ids": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "grants": {
                "type": "object", "minProperties": 1, "maxProperties": 1,
                "properties": {PRE_AUTHORIZED: pre_authorized, "authorization_code": authorization_code},
                "additionalProperties": false,
            },
        }),
    )
}

/// One entry of `credential_configurations_supported` (src/http/wallet/metadata.rs,
/// `configuration`, and the mdoc configurations' `metadata`).
fn supported_configuration() -> Value {
    let claim = closed(
        &["path", "mandatory"],
        json!({
            "path": {"type": "array", "minItems": 1},
            "mandatory": {"type": "boolean"},
            "display": {"type": "array", "items": reference("ClaimDisplay")},
        }),
    );
    closed(
        &[
            "format",
            "scope",
            "cryptographic_binding_methods_supported",
            "credential_signing_alg_values_supported",
            "proof_types_supported",
            "credential_metadata",
        ],
        json!({
            "format": {"type": "string", "enum": ["dc+sd-jwt", "mso_mdoc"]},
            "scope": string(),
            "vct": string(),
            "doctype": string(),
            "cryptographic_binding_methods_supported": strings(),
            "credential_signing_alg_values_supported": {"type": "array"},
            "proof_types_supported": closed(&["jwt"], json!({
                "jwt": proof_type(),
                "attestation": proof_type(),
            })),
            "credential_metadata": closed(&[], json!({
                "display": {"type": "array", "items": reference("Display")},
                "claims": {"type": "array", "items": claim},
            })),
        }),
    )
}

/// One entry of `proof_types_supported` (`jwt`, `attestation`).
fn proof_type() -> Value {
    closed(
        &["proof_signing_alg_values_supported"],
        json!({
            "proof_signing_alg_values_supported": strings(),
            "key_attestations_required": closed(&[], json!({
                "key_storage": strings(),
                "user_authentication": strings(),
            })),
        }),
    )
}

/// OID4VCI 1.0 §12.2.4 (src/http/wallet/metadata.rs, `credential_issuer`).
fn credential_issuer_metadata() -> Value {
    closed(
        &[
            "credential_issuer",
            "credential_endpoint",
            "nonce_endpoint",
            "notification_endpoint",
            "credential_configurations_supported",
        ],
        json!({
            "credential_issuer": string(),
            "credential_endpoint": string(),
            "nonce_endpoint": string(),
            "notification_endpoint": string(),
            "batch_credential_issuance": closed(
                &["batch_size"],
                json!({"batch_size": {"type": "integer", "minimum": 2}}),
            ),
            "display": {"type": "array", "items": reference("Display")},
            "credential_configurations_supported": {
                "type": "object",
                "additionalProperties": reference("SupportedCredentialConfiguration"),
            },
            "status_list_aggregation_endpoint": string(),
            "credential_request_encryption": closed(
                &["jwks", "enc_values_supported", "encryption_required"],
                json!({
                    "jwks": {"type": "object", "required": ["keys"]},
                    "enc_values_supported": {"type": "array", "items": string()},
                    "encryption_required": {"type": "boolean"},
                }),
            ),
            "credential_response_encryption": closed(
                &["alg_values_supported", "enc_values_supported", "encryption_required"],
                json!({
                    "alg_values_supported": {"type": "array", "items": string()},
                    "enc_values_supported": {"type": "array", "items": string()},
                    "encryption_required": {"type": "boolean"},
                }),
            ),
        }),
    )
}

/// RFC 8414 §2 (src/http/wallet/metadata.rs, `authorization_server`).
fn authorization_server_metadata() -> Value {
    closed(
        &[
            "issuer",
            "token_endpoint",
            "response_types_supported",
            "grant_types_supported",
            "pre-authorized_grant_anonymous_access_supported",
            "token_endpoint_auth_methods_supported",
            "authorization_details_types_supported",
            "scopes_supported",
        ],
        json!({
            "issuer": string(),
            "token_endpoint": string(),
            "status_list_aggregation_endpoint": string(),
            "authorization_endpoint": string(),
            "pushed_authorization_request_endpoint": string(),
            "require_pushed_authorization_requests": {"type": "boolean"},
            "response_types_supported": strings(),
            "response_modes_supported": strings(),
            "grant_types_supported": strings(),
            "code_challenge_methods_supported": strings(),
            "authorization_response_iss_parameter_supported": {"type": "boolean"},
            "pre-authorized_grant_anonymous_access_supported": {"type": "boolean"},
            "token_endpoint_auth_methods_supported": strings(),
            "dpop_signing_alg_values_supported": strings(),
            "client_attestation_signing_alg_values_supported": strings(),
            "client_attestation_pop_signing_alg_values_supported": strings(),
            "challenge_endpoint": string(),
            "authorization_details_types_supported": strings(),
            "scopes_supported": strings(),
        }),
    )
}

/// The token response (src/http/wallet/token_grant.rs, `issue_token`), both grants.
fn token_response() -> Value {
    let granted = closed(
        &[
            "type",
            "credential_configuration_id",
            "credential_identifiers",
        ],
        json!({
            "type": {"type": "string", "const": "openid_credential"},
            "credential_configuration_id": string(),
            "credential_identifiers": strings(),
        }),
    );
    closed(
        &[
            "access_token",
            "token_type",
            "expires_in",
            "c_nonce",
            "c_nonce_expires_in",
        ],
        json!({
            "access_token": string(),
            "token_type": {"type": "string", "enum": ["Bearer", "DPoP"]},
            "expires_in": {"type": "integer", "minimum": 0},
            "authorization_details": {"type": "array", "items": granted},
            "c_nonce": {"type": "string", "description": "Draft 13 compatibility; 1.0 wallets use the nonce endpoint."},
            "c_nonce_expires_in": {"type": "integer", "minimum": 0},
        }),
    )
}

/// The credential response (OID4VCI 1.0 §8.3; src/http/wallet/credential.rs): one entry
/// per proof (a batch has several), plus the draft 13 `credential` for a single `proof`.
fn credential_response() -> Value {
    closed(
        &["credentials", "notification_id"],
        json!({
            "credentials": {"type": "array", "minItems": 1, "items": closed(
                &["credential"],
                json!({"credential": {"type": "string", "description": "A compact SD-JWT VC, or a base64url IssuerSigned mdoc."}}),
            )},
            "credential": {"type": "string", "description": "Draft 13 compatibility: the first credential, when the request had a single `proof`."},
            "notification_id": string(),
        }),
    )
}

/// The wallet API's response components.
pub fn wallet_responses() -> Vec<(String, Value)> {
    let mut derived = Derived::new();
    derived.add::<Display>();
    derived.add::<ClaimDisplay>();
    let mut components: Map<String, Value> = derived.components();
    let written = [
        ("CredentialOffer", credential_offer()),
        (
            "SupportedCredentialConfiguration",
            supported_configuration(),
        ),
        ("CredentialIssuerMetadata", credential_issuer_metadata()),
        (
            "AuthorizationServerMetadata",
            authorization_server_metadata(),
        ),
        (
            "JwtVcIssuerMetadata",
            closed(
                &["issuer", "jwks"],
                json!({
                    "issuer": string(),
                    "jwks": {"type": "object", "required": ["keys"],
                             "properties": {"keys": {"type": "array", "items": {"type": "object"}}}},
                }),
            ),
        ),
        ("TokenResponse", token_response()),
        (
            "NonceResponse",
            closed(&["c_nonce"], json!({"c_nonce": string()})),
        ),
        (
            "ChallengeResponse",
            closed(
                &["attestation_challenge"],
                json!({"attestation_challenge": string()}),
            ),
        ),
        (
            "ParResponse",
            closed(
                &["request_uri", "expires_in"],
                json!({"request_uri": string(), "expires_in": {"type": "integer"}}),
            ),
        ),
        ("CredentialResponse", credential_response()),
        (
            "StatusLists",
            closed(&["status_lists"], json!({"status_lists": strings()})),
        ),
    ];
    components.extend(
        written
            .into_iter()
            .map(|(name, schema)| (name.into(), schema)),
    );
    components.into_iter().collect()
}
