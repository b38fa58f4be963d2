//! The management listener's document: the management API (src/http/management/), health
//! and metrics (src/http/health.rs) and the published contracts (src/http/contracts.rs).

use serde_json::{json, Map, Value};

use super::schemas::{self, management_bodies};
use super::{assemble, reference, Access, Op};

const INVALID: (u16, &str) = (400, "Invalid parameters or body");
const NOT_FOUND: (u16, &str) = (404, "No such resource");
const CONFLICT: (u16, &str) = (409, "Refused in the resource's current state");
const UNAVAILABLE: (u16, &str) = (503, "A backing store failed; retry later");

fn op(method: &'static str, path: &str, id: &str, summary: &str, tag: &str) -> Op {
    Op::management(method, path, id, summary).tag(tag)
}

fn secured(
    method: &'static str,
    path: &str,
    id: &str,
    summary: &str,
    tag: &str,
    scope: &'static str,
) -> Op {
    op(method, path, id, summary, tag)
        .access(Access::Scope(scope))
        .errors(&[UNAVAILABLE])
}

fn paged(op: Op) -> Op {
    op.query(
        "limit",
        json!({"type": "integer", "minimum": 1}),
        "Page size",
    )
    .query(
        "cursor",
        json!({"type": "string"}),
        "Continue after this cursor",
    )
    .ok(200, "A page", schemas::page())
    .errors(&[INVALID])
}

fn audit_filters(op: Op) -> Op {
    op.query(
        "offer_id",
        json!({"type": "string", "format": "uuid"}),
        "Only this offer",
    )
    .query("type", json!({"type": "string"}), "Only this event type")
    .query("actor", json!({"type": "string"}), "Only this actor")
    .query(
        "from",
        json!({"type": "string", "format": "date-time"}),
        "Occurred at or after",
    )
    .query(
        "to",
        json!({"type": "string", "format": "date-time"}),
        "Occurred before",
    )
    .query(
        "limit",
        json!({"type": "integer", "minimum": 1}),
        "Most entries",
    )
    .query(
        "cursor",
        json!({"type": "string"}),
        "Continue after this cursor",
    )
    .errors(&[INVALID])
}

/// Every operation of the management listener, in registration order.
pub fn operations() -> Vec<Op> {
    let any = schemas::object();
    let png = json!({"type": "string", "contentMediaType": "image/png"});
    vec![
        // Health, metrics, contracts (no key).
        op("get", "/health/live", "live", "Liveness", "health")
            .access(Access::Public)
            .ok(200, "Alive", any.clone()),
        op(
            "get",
            "/health/ready",
            "ready",
            "Readiness of every component",
            "health",
        )
        .access(Access::Public)
        .ok(200, "Ready", any.clone())
        .ok(503, "Not ready", any.clone()),
        op("get", "/metrics", "metrics", "Prometheus metrics", "health")
            .access(Access::Public)
            .answer(200, "Metrics", "text/plain", json!({"type": "string"})),
        op(
            "get",
            "/schemas",
            "schemaIndex",
            "The published JSON Schemas",
            "contracts",
        )
        .access(Access::Public)
        .ok(200, "The index", any.clone()),
        op(
            "get",
            "/schemas/{file}",
            "schema",
            "One JSON Schema (`{name}.json`)",
            "contracts",
        )
        .access(Access::Public)
        .ok(200, "The schema", any.clone())
        .errors(&[NOT_FOUND]),
        op(
            "get",
            "/asyncapi.json",
            "asyncapi",
            "The AsyncAPI 3.0 document",
            "contracts",
        )
        .access(Access::Public)
        .ok(200, "The document", any.clone()),
        op(
            "get",
            "/openapi.json",
            "openapi",
            "This document",
            "contracts",
        )
        .access(Access::Public)
        .ok(200, "The document", any.clone()),
        // Offers.
        secured(
            "post",
            "/offers",
            "createOffer",
            "Create an offer",
            "offers",
            "offers:write",
        )
        .json_body(reference("NewOffer"))
        .ok(201, "The offer, its URI and QR code", any.clone())
        .ok(200, "An idempotent replay of the same request", any.clone())
        .errors(&[
            INVALID,
            (409, "Idempotency key reused with another body"),
            (422, "Invalid claims"),
        ]),
        paged(secured(
            "get",
            "/offers",
            "listOffers",
            "List offers, newest first",
            "offers",
            "offers:read",
        ))
        .query("status", json!({"type": "string"}), "Only this status")
        .query(
            "credential_configuration_id",
            json!({"type": "string"}),
            "Only this configuration",
        )
        .query("subject", json!({"type": "string"}), "Only this subject")
        .query(
            "created_after",
            json!({"type": "string", "format": "date-time"}),
            "Created after",
        )
        .query(
            "created_before",
            json!({"type": "string", "format": "date-time"}),
            "Created before",
        ),
        secured(
            "get",
            "/offers/{offer_id}",
            "getOffer",
            "An offer",
            "offers",
            "offers:read",
        )
        .ok(200, "The offer", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "delete",
            "/offers/{offer_id}",
            "revokeOffer",
            "Revoke an offer",
            "offers",
            "offers:write",
        )
        .query("reason", json!({"type": "string"}), "Why")
        .empty(204, "Revoked")
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/offers/{offer_id}/events",
            "offerEvents",
            "An offer's events",
            "offers",
            "offers:read",
        )
        .ok(200, "The events, oldest first", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "post",
            "/offers/{offer_id}/erase",
            "eraseOffer",
            "Erase an offer's personal data",
            "offers",
            "admin",
        )
        .empty(204, "Erased")
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/offers/{offer_id}/qr.png",
            "offerQrPng",
            "The offer's QR code",
            "offers",
            "offers:read",
        )
        .answer(200, "PNG", "image/png", png.clone())
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "get",
            "/offers/{offer_id}/qr",
            "offerQr",
            "The offer's QR code (PNG or SVG by Accept)",
            "offers",
            "offers:read",
        )
        .answer(200, "PNG", "image/png", png)
        .answer(200, "SVG", "image/svg+xml", json!({"type": "string"}))
        .errors(&[INVALID, NOT_FOUND, (406, "No acceptable image type")]),
        // Login hand-off of the authorization-code flow.
        secured(
            "get",
            "/authorization-sessions/{challenge}",
            "showLogin",
            "What a pending login asks for",
            "authorization",
            "offers:write",
        )
        .ok(200, "The pending login", any.clone())
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "put",
            "/authorization-sessions/{challenge}/accept",
            "acceptLogin",
            "Accept a login",
            "authorization",
            "offers:write",
        )
        .json_body(reference("LoginAccept"))
        .ok(
            200,
            "Where to redirect the browser (`redirect_to`)",
            any.clone(),
        )
        .errors(&[INVALID, NOT_FOUND, CONFLICT, (422, "Invalid claims")]),
        secured(
            "put",
            "/authorization-sessions/{challenge}/reject",
            "rejectLogin",
            "Reject a login",
            "authorization",
            "offers:write",
        )
        .body("application/json", reference("Reason"), false)
        .ok(
            200,
            "Where to redirect the browser (`redirect_to`)",
            any.clone(),
        )
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/authorization-sessions/{session_id}/events",
            "loginEvents",
            "An authorization session's events",
            "authorization",
            "offers:read",
        )
        .ok(200, "The events", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        // Audit.
        audit_filters(secured(
            "get",
            "/audit",
            "listAudit",
            "Audit entries, oldest first",
            "audit",
            "audit:read",
        ))
        .ok(200, "A page of entries", schemas::page()),
        audit_filters(secured(
            "get",
            "/audit/export",
            "exportAudit",
            "Audit entries as NDJSON or CSV",
            "audit",
            "audit:read",
        ))
        .query(
            "format",
            json!({"type": "string", "enum": ["ndjson", "csv"]}),
            "The format (or by Accept)",
        )
        .answer(
            200,
            "NDJSON",
            "application/x-ndjson",
            json!({"type": "string"}),
        )
        .answer(200, "CSV", "text/csv", json!({"type": "string"})),
        secured(
            "get",
            "/audit/verify",
            "verifyAudit",
            "Recompute the audit chain",
            "audit",
            "audit:read",
        )
        .query(
            "signed_head",
            json!({"type": "string"}),
            "A head signed by `GET /audit/head`",
        )
        .query(
            "against_log",
            json!({"type": "boolean"}),
            "Also re-derive every entry from the log",
        )
        .ok(200, "The verification", any.clone())
        .errors(&[INVALID]),
        secured(
            "get",
            "/audit/head",
            "auditHead",
            "The latest position and hash, signed",
            "audit",
            "audit:read",
        )
        .ok(200, "The signed head", any.clone()),
        // Dead letters.
        paged(secured(
            "get",
            "/dead-letters",
            "listDeadLetters",
            "Dead-lettered messages",
            "dead-letters",
            "admin",
        )),
        secured(
            "post",
            "/dead-letters/requeue",
            "requeueDeadLetters",
            "Requeue every dead letter",
            "dead-letters",
            "admin",
        )
        .ok(202, "How many were requeued", any.clone()),
        secured(
            "post",
            "/dead-letters/{id}/requeue",
            "requeueDeadLetter",
            "Requeue one dead letter",
            "dead-letters",
            "admin",
        )
        .ok(202, "Requeued", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        // Credentials.
        secured(
            "get",
            "/offers/{offer_id}/credentials",
            "offerCredentials",
            "An offer's issued credentials",
            "credentials",
            "offers:read",
        )
        .ok(200, "The credentials", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "post",
            "/offers/{offer_id}/credentials/revoke",
            "revokeOfferCredentials",
            "Revoke every credential of an offer",
            "credentials",
            "credentials:write",
        )
        .body("application/json", reference("Reason"), false)
        .ok(200, "The credentials", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "get",
            "/credentials/{credential_id}",
            "getCredential",
            "An issued credential and its status",
            "credentials",
            "offers:read",
        )
        .ok(200, "The credential", any.clone())
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "post",
            "/credentials/{credential_id}/{action}",
            "changeCredentialStatus",
            "`revoke`, `suspend` or `reinstate` a credential",
            "credentials",
            "credentials:write",
        )
        .body("application/json", reference("Reason"), false)
        .ok(200, "The credential", any.clone())
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        // Issuers.
        secured(
            "post",
            "/issuers",
            "createIssuer",
            "Create an issuer",
            "issuers",
            "issuers:write",
        )
        .json_body(reference("NewIssuer"))
        .ok(201, "The issuer", any.clone())
        .errors(&[INVALID, CONFLICT]),
        secured(
            "get",
            "/issuers",
            "listIssuers",
            "Issuers",
            "issuers",
            "issuers:read",
        )
        .ok(200, "`{\"items\": [...]}`", any.clone()),
        secured(
            "get",
            "/issuers/{issuer_id}",
            "getIssuer",
            "An issuer",
            "issuers",
            "issuers:read",
        )
        .ok(200, "The issuer", any.clone())
        .errors(&[NOT_FOUND]),
        secured(
            "patch",
            "/issuers/{issuer_id}",
            "changeIssuer",
            "Change an issuer's display",
            "issuers",
            "issuers:write",
        )
        .json_body(reference("IssuerChange"))
        .ok(200, "The issuer", any.clone())
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "delete",
            "/issuers/{issuer_id}",
            "retireIssuer",
            "Retire an issuer",
            "issuers",
            "issuers:write",
        )
        .empty(204, "Retired")
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/credential-configurations",
            "listIssuerConfigurations",
            "An issuer's credential configurations",
            "issuers",
            "issuers:read",
        )
        .ok(200, "`{\"items\": [...]}`", any.clone())
        .errors(&[NOT_FOUND]),
        secured(
            "put",
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            "putIssuerConfiguration",
            "Publish a credential configuration (new or a new version)",
            "issuers",
            "issuers:write",
        )
        .json_body(reference("CredentialConfiguration"))
        .ok(201, "Created", any.clone())
        .ok(200, "A new version, or unchanged", any.clone())
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            "getIssuerConfiguration",
            "A credential configuration and its versions",
            "issuers",
            "issuers:read",
        )
        .ok(200, "The configuration", any.clone())
        .errors(&[NOT_FOUND]),
        secured(
            "delete",
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            "retireIssuerConfiguration",
            "Retire a credential configuration",
            "issuers",
            "issuers:write",
        )
        .empty(204, "Retired")
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "post",
            "/issuers/{issuer_id}/keys",
            "addIssuerKey",
            "Generate or import a signing key",
            "issuers",
            "issuers:write",
        )
        .json_body(reference("NewKey"))
        .ok(201, "The key (public part)", any.clone())
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/keys",
            "listIssuerKeys",
            "An issuer's keys",
            "issuers",
            "issuers:read",
        )
        .ok(200, "`{\"active_kid\", \"items\"}`", any.clone())
        .errors(&[NOT_FOUND]),
        secured(
            "post",
            "/issuers/{issuer_id}/keys/{kid}/activate",
            "activateIssuerKey",
            "Make a key the active one",
            "issuers",
            "issuers:write",
        )
        .ok(200, "The key", any.clone())
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "delete",
            "/issuers/{issuer_id}/keys/{kid}",
            "retireIssuerKey",
            "Retire a key",
            "issuers",
            "issuers:write",
        )
        .ok(200, "The key", any.clone())
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/jwks",
            "issuerJwks",
            "An issuer's published keys as a JWK set",
            "issuers",
            "issuers:read",
        )
        .ok(200, "The JWK set", any.clone())
        .errors(&[NOT_FOUND]),
        secured(
            "get",
            "/credential-configurations",
            "listConfigurations",
            "The configured credential configurations",
            "configurations",
            "offers:read",
        )
        .ok(200, "The configurations", any),
    ]
}

/// The management listener's OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut components = Map::new();
    components.insert("ManagementError".into(), schemas::management_error());
    components.extend(
        management_bodies()
            .into_iter()
            .map(|(name, schema)| (name.to_string(), schema)),
    );
    assemble(
        json!({
            "title": "Issuance management API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Offers, issued credentials, issuers, keys, the audit view, dead letters and the login hand-off of the authorization-code flow, on the management listener (default 127.0.0.1:8081). Errors are `{\"error\", \"error_description\", \"details\"}`.",
        }),
        operations(),
        json!({"schemas": components, "securitySchemes": schemas::management_security()}),
    )
}
