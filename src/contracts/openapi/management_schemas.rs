//! The management API's response bodies. Those the handlers serialise from a Rust type
//! (the offer view, audit entries, dead letters) are derived from it ([`Derived`]); those
//! they assemble as JSON (src/http/management/) are written here, next to the handler's
//! field list they mirror. The integration tests validate real responses against these.

use issuance_domain::issuer::{IssuerDisplay, SigningAlg};
use issuance_domain::offer::OfferStatus;
use issuance_domain::status_list::CredentialStatus;
use issuance_projections::audit::AuditEntry;
use issuance_projections::OfferView;
use serde_json::{json, Map, Value};

use super::derived::Derived;
use super::reference;
use super::schemas::{closed, date_time, items_of, nullable, page_of, uuid};
use super::wallet_schemas::credential_offer;
use crate::integration::store::DeadLetter;

/// The types the management API serialises as they are, by component name.
fn derived() -> Map<String, Value> {
    let mut derived = Derived::new();
    derived.add::<OfferView<Value>>();
    derived.add::<AuditEntry>();
    derived.add::<DeadLetter>();
    derived.add::<IssuerDisplay>();
    derived.add::<SigningAlg>();
    derived.add::<CredentialStatus>();
    derived.add::<OfferStatus>();
    let mut components = derived.components();
    // Opened for the caller: the subject and thumbprints are strings (`null` once erased),
    // the correlation object any JSON; sealed, as stored, they are `Sealed` envelopes.
    let opened = [
        ("OfferView", "subject"),
        ("IssuedCredentialView", "holder_key_thumbprint"),
    ];
    for (component, field) in opened {
        if let Some(property) = components
            .get_mut(component)
            .and_then(|c| c.pointer_mut(&format!("/properties/{field}")))
        {
            *property = json!({"type": ["string", "null"]});
        }
    }
    components
}

fn link() -> Value {
    closed(&["href"], json!({"href": {"type": "string"}}))
}

/// `POST /offers` (src/http/management/offers/create.rs, `response_body`).
fn offer_creation() -> Value {
    closed(
        &[
            "offer_id",
            "status",
            "credential_offer_uri",
            "credential_offer",
            "created_at",
            "expires_at",
            "_links",
        ],
        json!({
            "offer_id": uuid(),
            "status": reference("OfferStatus"),
            "credential_offer_uri": {"type": "string", "description": "`openid-credential-offer://?credential_offer_uri=…`"},
            "credential_offer": reference("CredentialOffer"),
            "created_at": date_time(),
            "expires_at": date_time(),
            "tx_code_value": {"type": "string", "description": "The transaction code, in the creation response only (not in an idempotent replay)."},
            "_links": closed(
                &["self", "qr_code", "events"],
                json!({"self": link(), "qr_code": link(), "events": link()}),
            ),
        }),
    )
}

/// One event of `GET /offers/{id}/events` and `GET /authorization-sessions/{id}/events`
/// (`stream_history` in src/http/management/offers/history.rs).
fn stream_event() -> Value {
    closed(
        &[
            "sequence",
            "event_id",
            "type",
            "version",
            "occurred_at",
            "actor",
            "request_id",
            "data",
        ],
        json!({
            "sequence": {"type": "integer", "minimum": 1},
            "event_id": uuid(),
            "type": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "occurred_at": date_time(),
            "actor": {"type": "string"},
            "request_id": {"type": ["string", "null"]},
            "data": {"type": "object", "description": "The event's public data, as in its AMQP message."},
        }),
    )
}

/// An issued credential's reference into its status list.
fn status_list_reference() -> Value {
    closed(
        &["list_id", "idx", "uri"],
        json!({"list_id": uuid(), "idx": {"type": "integer", "minimum": 0}, "uri": {"type": "string"}}),
    )
}

/// src/http/management/credentials.rs, `present`.
fn issued_credential() -> Value {
    closed(
        &[
            "credential_id",
            "offer_id",
            "credential_configuration_id",
            "issued_at",
            "holder_key_thumbprint",
            "status",
            "status_list",
        ],
        json!({
            "credential_id": uuid(),
            "offer_id": uuid(),
            "credential_configuration_id": {"type": "string"},
            "issued_at": date_time(),
            "holder_key_thumbprint": {"type": ["string", "null"]},
            "status": nullable(reference("CredentialStatus")),
            "status_list": nullable(reference("StatusListReference")),
        }),
    )
}

/// src/http/management/issuers/view.rs, `issuer`.
fn issuer() -> Value {
    closed(
        &[
            "id",
            "display",
            "status",
            "created_at",
            "retired_at",
            "active_kid",
            "profile",
            "served_profile",
            "credential_configurations",
            "version",
        ],
        json!({
            "id": {"type": "string"},
            "display": {"type": "array", "items": reference("IssuerDisplay")},
            "status": {"type": "string", "enum": ["active", "retired"]},
            "created_at": date_time(),
            "retired_at": nullable(date_time()),
            "active_kid": {"type": ["string", "null"]},
            "profile": super::schemas::profile(),
            "served_profile": {
                "type": "string", "enum": ["standard", "haip"],
                "description": "The profile its wallet API follows now: `profile`, except \
                    that the default issuer's is the deployment's (the configuration file's \
                    `profile`) and a deployment-wide `haip` serves every issuer as `haip`.",
            },
            "credential_configurations": {"type": "array", "items": closed(
                &["id", "version"],
                json!({"id": {"type": "string"}, "version": {"type": "integer", "minimum": 1}}),
            )},
            "version": {"type": "integer", "minimum": 1, "description": "Events in the issuer's stream."},
        }),
    )
}

/// src/http/management/issuers/view.rs, `version` (with `changed` when published).
fn configuration_version(published: bool) -> Value {
    let mut required = vec![
        "id",
        "version",
        "published_at",
        "published_by",
        "configuration",
    ];
    let mut properties = json!({
        "id": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "published_at": date_time(),
        "published_by": {"type": "string"},
        "configuration": {"type": "object"},
    });
    if published {
        required.push("changed");
        properties["changed"] = json!({"type": "boolean", "description": "False when the same configuration was already the latest version."});
    }
    closed(&required, properties)
}

/// src/http/management/issuers/view.rs, `history`.
fn configuration_history() -> Value {
    closed(
        &[
            "id",
            "status",
            "retired_at",
            "version",
            "configuration",
            "versions",
        ],
        json!({
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "retired"]},
            "retired_at": nullable(date_time()),
            "version": {"type": ["integer", "null"]},
            "configuration": {"type": ["object", "null"]},
            "versions": {"type": "array", "items": reference("ConfigurationVersion")},
        }),
    )
}

/// src/http/management/issuers/view.rs, `key`.
fn signing_key() -> Value {
    closed(
        &[
            "kid",
            "alg",
            "status",
            "origin",
            "public_jwk",
            "certificate_chain",
            "added_at",
            "retired_at",
            "published_until",
        ],
        json!({
            "kid": {"type": "string"},
            "alg": reference("SigningAlg"),
            "status": {"type": "string", "enum": ["pending", "active", "inactive", "retired"]},
            "origin": {"type": "string", "enum": ["generated", "imported"]},
            "public_jwk": {"type": "object"},
            "certificate_chain": {"type": ["array", "null"], "items": {"type": "string"}},
            "added_at": date_time(),
            "retired_at": nullable(date_time()),
            "published_until": nullable(date_time()),
        }),
    )
}

/// src/http/management/configurations.rs: an SD-JWT VC or mdoc configuration.
fn configured_credential() -> Value {
    json!({
        "type": "object",
        "required": ["id", "format", "scope", "display", "validity_seconds", "claims"],
        "properties": {
            "id": {"type": "string"},
            "format": {"type": "string", "enum": ["dc+sd-jwt", "mso_mdoc"]},
            "vct": {"type": "string"},
            "doctype": {"type": "string"},
            "scope": {"type": "string"},
            "display": {"type": "array", "items": {"type": "object"}},
            "validity_seconds": {"type": "integer"},
            "claims": {"type": "array", "items": {
                "type": "object", "required": ["path", "name", "mandatory"],
                "properties": {
                    "path": {"type": "array"},
                    "name": {"type": "string"},
                    "mandatory": {"type": "boolean"},
                },
            }},
        },
    })
}

/// The management API's response components.
pub fn management_responses() -> Vec<(String, Value)> {
    let mut components: Vec<(String, Value)> = derived().into_iter().collect();
    let written = [
        ("OfferCreation", offer_creation()),
        ("CredentialOffer", credential_offer()),
        ("OfferPage", page_of(reference("OfferView"))),
        (
            "StreamEvents",
            json!({"type": "array", "items": stream_event()}),
        ),
        ("StatusListReference", status_list_reference()),
        ("IssuedCredential", issued_credential()),
        ("IssuedCredentials", items_of(reference("IssuedCredential"))),
        (
            "CredentialStatusView",
            closed(
                &["credential_id", "offer_id", "status", "status_list"],
                json!({
                    "credential_id": uuid(),
                    "offer_id": uuid(),
                    "status": reference("CredentialStatus"),
                    "status_list": nullable(reference("StatusListReference")),
                }),
            ),
        ),
        (
            "RevokedCredentials",
            closed(
                &["offer_id", "revoked"],
                json!({"offer_id": uuid(), "revoked": {"type": "array", "items": uuid()}}),
            ),
        ),
        ("Issuer", issuer()),
        ("Issuers", items_of(reference("Issuer"))),
        ("ConfigurationVersion", configuration_version(false)),
        ("ConfigurationPublication", configuration_version(true)),
        (
            "ConfigurationVersions",
            items_of(reference("ConfigurationVersion")),
        ),
        ("ConfigurationHistory", configuration_history()),
        ("SigningKey", signing_key()),
        (
            "SigningKeys",
            closed(
                &["active_kid", "items"],
                json!({
                    "active_kid": {"type": ["string", "null"]},
                    "items": {"type": "array", "items": reference("SigningKey")},
                }),
            ),
        ),
        (
            "JwkSet",
            json!({"type": "object", "required": ["keys"],
                   "properties": {"keys": {"type": "array", "items": {"type": "object"}}}}),
        ),
        ("ConfiguredCredentials", items_of(configured_credential())),
        ("AuditPage", page_of(reference("AuditEntry"))),
        (
            "AuditHead",
            closed(
                &["position", "hash", "chain", "iss", "iat", "jws"],
                json!({
                    "position": {"type": "integer", "minimum": 0},
                    "hash": {"type": "string"},
                    "chain": {"type": "string"},
                    "iss": {"type": "string"},
                    "iat": {"type": "integer"},
                    "jws": {"type": "string", "description": "Compact JWS, `typ` `audit-head+jwt`."},
                }),
            ),
        ),
        (
            "AuditVerification",
            json!({"type": "object", "required": ["valid", "entries"], "properties": {
                "valid": {"type": "boolean"},
                "entries": {"type": "integer", "minimum": 0},
                "head": closed(&["position", "hash"], json!({"position": {"type": "integer"}, "hash": {"type": "string"}})),
                "first_broken_position": {"type": "integer"},
                "problem": {"type": "string"},
                "description": {"type": "string"},
            }, "additionalProperties": false}),
        ),
        ("DeadLetterPage", page_of(reference("DeadLetter"))),
        (
            "Requeued",
            closed(
                &["requeued"],
                json!({"requeued": {"type": "integer", "minimum": 0}}),
            ),
        ),
        (
            "LoginRedirect",
            closed(
                &["redirect_to", "session_id"],
                json!({"redirect_to": {"type": "string"}, "session_id": uuid(), "offer_id": uuid()}),
            ),
        ),
    ];
    components.extend(
        written
            .into_iter()
            .map(|(name, schema)| (name.into(), schema)),
    );
    components
}
