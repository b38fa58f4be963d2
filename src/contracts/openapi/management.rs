//! The management listener's document: the management API (src/http/management/), health
//! and metrics (src/http/health.rs) and the published contracts (src/http/contracts.rs).

use serde_json::{json, Map, Value};

use super::management_ops::{
    self as resources, audit_filters, op, paged, secured, CONFLICT, INVALID, NOT_FOUND,
};
use super::management_schemas::management_responses;
use super::schemas::{self, management_bodies};
use super::{assemble, reference, Access, Op};

/// Every operation of the management listener, in registration order.
pub fn operations() -> Vec<Op> {
    let any = schemas::object();
    let png = json!({"type": "string", "contentMediaType": "image/png"});
    [
        // Health, metrics, contracts (no key).
        op("get", "/health/live", "live", "Liveness", "health")
            .access(Access::Public)
            .ok(
                200,
                "Alive",
                schemas::closed(&["status"], json!({"status": {"const": "ok"}})),
            ),
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
        op(
            "get",
            "/docs",
            "docs",
            "Swagger UI over this document",
            "contracts",
        )
        .access(Access::Public)
        .answer(200, "The page", "text/html", json!({"type": "string"})),
        op(
            "get",
            "/docs/swagger-ui-bundle.js",
            "docsBundle",
            "Swagger UI's script (vendored)",
            "contracts",
        )
        .access(Access::Public)
        .answer(
            200,
            "The script",
            "text/javascript",
            json!({"type": "string"}),
        ),
        op(
            "get",
            "/docs/swagger-ui.css",
            "docsStylesheet",
            "Swagger UI's stylesheet (vendored)",
            "contracts",
        )
        .access(Access::Public)
        .answer(200, "The stylesheet", "text/css", json!({"type": "string"})),
        op(
            "get",
            "/docs/init.js",
            "docsInit",
            "Starts Swagger UI on this document",
            "contracts",
        )
        .access(Access::Public)
        .answer(
            200,
            "The script",
            "text/javascript",
            json!({"type": "string"}),
        ),
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
        .ok(
            201,
            "The offer, its URI and QR code",
            reference("OfferCreation"),
        )
        .ok(
            200,
            "An idempotent replay of the same request",
            reference("OfferCreation"),
        )
        .errors(&[
            INVALID,
            (404, "The key is restricted to other issuers than the default one"),
            (409, "Idempotency key reused with another body"),
            (422, "Invalid claims"),
        ]),
        paged(
            secured(
                "get",
                "/offers",
                "listOffers",
                "List offers, newest first",
                "offers",
                "offers:read",
            ),
            "OfferPage",
        )
        .query(
            "issuer_id",
            json!({"type": "string"}),
            "Only this issuer's (`default`: the default issuer); a key restricted to issuers lists only theirs",
        )
        .query("status", reference("OfferStatus"), "Only this status")
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
        .ok(200, "The offer", reference("OfferView"))
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
        .ok(200, "The events, oldest first", reference("StreamEvents"))
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
            reference("LoginRedirect"),
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
            reference("LoginRedirect"),
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
        .ok(200, "The events", reference("StreamEvents"))
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
        .ok(200, "A page of entries", reference("AuditPage")),
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
        .ok(200, "The verification", reference("AuditVerification"))
        .errors(&[INVALID]),
        secured(
            "get",
            "/audit/head",
            "auditHead",
            "The latest position and hash, signed",
            "audit",
            "audit:read",
        )
        .ok(200, "The signed head", reference("AuditHead")),
    ]
    .into_iter()
    .chain(resources::operations())
    .collect()
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
    components.extend(management_responses());
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
