//! The management document's building blocks (common errors, scoped operations, paging
//! and audit filters) and its dead-letter, credential, issuer and configuration operations.

use serde_json::json;

use super::{reference, Access, Op};

pub(super) const INVALID: (u16, &str) = (400, "Invalid parameters or body");
pub(super) const NOT_FOUND: (u16, &str) = (404, "No such resource");
pub(super) const CONFLICT: (u16, &str) = (409, "Refused in the resource's current state");
pub(super) const UNAVAILABLE: (u16, &str) = (503, "A backing store failed; retry later");

pub(super) fn op(method: &'static str, path: &str, id: &str, summary: &str, tag: &str) -> Op {
    Op::management(method, path, id, summary).tag(tag)
}

pub(super) fn secured(
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

pub(super) fn paged(op: Op, page: &str) -> Op {
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
    .ok(200, "A page", reference(page))
    .errors(&[INVALID])
}

pub(super) fn audit_filters(op: Op) -> Op {
    op.query(
        "issuer_id",
        json!({"type": "string"}),
        "Only this issuer's entries (`default`: the default issuer); a key restricted to issuers sees only theirs",
    )
    .query(
        "offer_id",
        json!({"type": "string", "format": "uuid"}),
        "Only this offer",
    )
    .query(
        "type",
        json!({"type": "string", "enum": issuance_domain::offer::EVENT_TYPES}),
        "Only this (offer) event type",
    )
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

/// The dead-letter, credential, issuer and configuration operations, in registration order.
pub(super) fn operations() -> Vec<Op> {
    vec![
        // Dead letters.
        paged(
            secured(
                "get",
                "/dead-letters",
                "listDeadLetters",
                "Dead-lettered messages",
                "dead-letters",
                "admin",
            ),
            "DeadLetterPage",
        ),
        secured(
            "post",
            "/dead-letters/requeue",
            "requeueDeadLetters",
            "Requeue every dead letter",
            "dead-letters",
            "admin",
        )
        .ok(202, "How many were requeued", reference("Requeued")),
        secured(
            "post",
            "/dead-letters/{id}/requeue",
            "requeueDeadLetter",
            "Requeue one dead letter",
            "dead-letters",
            "admin",
        )
        .ok(202, "Requeued", reference("Requeued"))
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
        .ok(200, "The credentials", reference("IssuedCredentials"))
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
        .ok(
            200,
            "The revoked credentials",
            reference("RevokedCredentials"),
        )
        .errors(&[INVALID, NOT_FOUND]),
        secured(
            "get",
            "/credentials/{credential_id}",
            "getCredential",
            "An issued credential and its status",
            "credentials",
            "offers:read",
        )
        .ok(200, "The credential", reference("IssuedCredential"))
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
        .ok(200, "The credential", reference("CredentialStatusView"))
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
        .ok(201, "The issuer", reference("Issuer"))
        .errors(&[INVALID, CONFLICT]),
        secured(
            "get",
            "/issuers",
            "listIssuers",
            "Issuers",
            "issuers",
            "issuers:read",
        )
        .ok(200, "Every issuer", reference("Issuers")),
        secured(
            "get",
            "/issuers/{issuer_id}",
            "getIssuer",
            "An issuer",
            "issuers",
            "issuers:read",
        )
        .ok(200, "The issuer", reference("Issuer"))
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
        .ok(200, "The issuer", reference("Issuer"))
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
            "put",
            "/issuers/{issuer_id}/profile",
            "setIssuerProfile",
            "Set an issuer's interoperability profile (409 `certificate_chain_required`, \
             `attestation_not_configured`, `issuer_retired`, `profile_from_configuration` \
             for the default issuer, whose profile is the configuration file's)",
            "issuers",
            "issuers:write",
        )
        .json_body(reference("ProfileChange"))
        .ok(200, "The issuer", reference("Issuer"))
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/credential-configurations",
            "listIssuerConfigurations",
            "An issuer's credential configurations",
            "issuers",
            "issuers:read",
        )
        .ok(
            200,
            "The current configurations",
            reference("ConfigurationVersions"),
        )
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
        .ok(201, "Created", reference("ConfigurationPublication"))
        .ok(
            200,
            "A new version, or unchanged",
            reference("ConfigurationPublication"),
        )
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/credential-configurations/{configuration_id}",
            "getIssuerConfiguration",
            "A credential configuration and its versions",
            "issuers",
            "issuers:read",
        )
        .ok(200, "The configuration", reference("ConfigurationHistory"))
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
            "/issuers/{issuer_id}/offers",
            "createIssuerOffer",
            "Create an offer of this issuer (`default`: as `POST /offers`)",
            "offers",
            "offers:write",
        )
        .json_body(reference("NewOffer"))
        .ok(
            201,
            "The offer, its URI (at the issuer's identifier) and QR code",
            reference("OfferCreation"),
        )
        .ok(
            200,
            "An idempotent replay of the same request",
            reference("OfferCreation"),
        )
        .errors(&[
            INVALID,
            NOT_FOUND,
            (
                409,
                "Issuer retired or without an active key; idempotency key reused",
            ),
        ]),
        secured(
            "post",
            "/issuers/{issuer_id}/keys",
            "addIssuerKey",
            "Generate or import a signing key",
            "issuers",
            "issuers:write",
        )
        .json_body(reference("NewKey"))
        .ok(201, "The key (public part)", reference("SigningKey"))
        .errors(&[INVALID, NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/keys",
            "listIssuerKeys",
            "An issuer's keys",
            "issuers",
            "issuers:read",
        )
        .ok(200, "The keys", reference("SigningKeys"))
        .errors(&[NOT_FOUND]),
        secured(
            "post",
            "/issuers/{issuer_id}/keys/{kid}/activate",
            "activateIssuerKey",
            "Make a key the active one",
            "issuers",
            "issuers:write",
        )
        .ok(200, "The key", reference("SigningKey"))
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "delete",
            "/issuers/{issuer_id}/keys/{kid}",
            "retireIssuerKey",
            "Retire a key",
            "issuers",
            "issuers:write",
        )
        .ok(200, "The key", reference("SigningKey"))
        .errors(&[NOT_FOUND, CONFLICT]),
        secured(
            "get",
            "/issuers/{issuer_id}/jwks",
            "issuerJwks",
            "An issuer's published keys as a JWK set",
            "issuers",
            "issuers:read",
        )
        .answer(
            200,
            "The JWK set",
            "application/jwk-set+json",
            reference("JwkSet"),
        )
        .errors(&[NOT_FOUND]),
        secured(
            "get",
            "/credential-configurations",
            "listConfigurations",
            "The configured credential configurations",
            "configurations",
            "offers:read",
        )
        .ok(
            200,
            "The configurations",
            reference("ConfiguredCredentials"),
        )
        .error(
            404,
            "The key is restricted to other issuers than the default one",
        ),
    ]
}
