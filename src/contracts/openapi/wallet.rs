//! The wallet listener's document: the OID4VCI and OAuth endpoints of
//! src/http/wallet/routes.rs, under the issuer identifier's path (`prefix`).

use serde_json::{json, Map, Value};

use super::schemas::{self, wallet_bodies};
use super::wallet_schemas::wallet_responses;
use super::{assemble, reference, Access, Op};

/// The well-known metadata documents: (name, operation id, summary).
pub const WELL_KNOWN: [(&str, &str, &str); 3] = [
    (
        "openid-credential-issuer",
        "credentialIssuerMetadata",
        "Credential issuer metadata (OID4VCI 1.0 §12.2)",
    ),
    (
        "oauth-authorization-server",
        "authorizationServerMetadata",
        "Authorization server metadata (RFC 8414)",
    ),
    (
        "jwt-vc-issuer",
        "jwtVcIssuerMetadata",
        "JWT VC issuer metadata (SD-JWT VC)",
    ),
];

/// The component schema of a well-known document, by operation id.
fn well_known_schema(id: &str) -> Value {
    match id {
        "credentialIssuerMetadata" => reference("CredentialIssuerMetadata"),
        "authorizationServerMetadata" => reference("AuthorizationServerMetadata"),
        _ => reference("JwtVcIssuerMetadata"),
    }
}

const INVALID: (u16, &str) = (400, "Invalid request (OAuth/OID4VCI error code)");
const ATTESTATION: (u16, &str) = (
    401,
    "`invalid_client` (wallet attestation required) or `invalid_client_attestation`",
);
const LIMITED: (u16, &str) = (429, "Rate limited (`Retry-After`)");
const UNAVAILABLE: (u16, &str) = (503, "A backing store failed; retry later");

fn op(method: &'static str, path: String, id: &str, summary: &str, tag: &str) -> Op {
    Op::wallet(method, &path, id, summary)
        .tag(tag)
        .access(Access::Public)
}

/// Every operation of the wallet listener for the issuer path `prefix` (empty or
/// `/segment...`) and the served type metadata paths.
pub fn operations(prefix: &str, type_metadata: &[String]) -> Vec<Op> {
    let any = schemas::object();
    let form = "application/x-www-form-urlencoded";
    let mut ops = Vec::new();
    for (name, id, summary) in WELL_KNOWN {
        // 1.0 §12.2.2 / RFC 8414 §3: inserted between host and path; draft 13: appended.
        let inserted = format!("/.well-known/{name}{prefix}");
        let appended = format!("{prefix}/.well-known/{name}");
        ops.push(op("get", inserted.clone(), id, summary, "metadata").ok(
            200,
            "The document",
            well_known_schema(id),
        ));
        if appended != inserted {
            ops.push(
                op(
                    "get",
                    appended,
                    &format!("{id}Appended"),
                    summary,
                    "metadata",
                )
                .ok(200, "The document", well_known_schema(id)),
            );
        }
    }
    for (n, path) in type_metadata.iter().enumerate() {
        ops.push(
            op(
                "get",
                path.clone(),
                &format!("typeMetadata{n}"),
                "SD-JWT VC type metadata",
                "metadata",
            )
            .ok(200, "The document", any.clone()),
        );
    }
    ops.extend([
        op(
            "get",
            "/openapi.json".into(),
            "openapi",
            "This document",
            "metadata",
        )
        .ok(200, "The document", any.clone()),
        op(
            "get",
            format!("{prefix}/credential-offers/{{reference}}"),
            "credentialOffer",
            "A credential offer by reference (OID4VCI 1.0 §4.1.3)",
            "issuance",
        )
        .ok(200, "The credential offer", reference("CredentialOffer"))
        .errors(&[(404, "Unknown or expired offer"), LIMITED, UNAVAILABLE]),
        op(
            "post",
            format!("{prefix}/token"),
            "token",
            "Token endpoint (pre-authorized code or authorization code). With \
             `attestation.trust_anchors`, a wallet authenticates with the \
             `OAuth-Client-Attestation` and `OAuth-Client-Attestation-PoP` headers \
             (`attest_jwt_client_auth`)",
            "issuance",
        )
        .body(form, reference("TokenRequest"), true)
        .ok(200, "An access token", reference("TokenResponse"))
        .errors(&[INVALID, ATTESTATION, LIMITED, UNAVAILABLE]),
        op(
            "post",
            format!("{prefix}/par"),
            "par",
            "Pushed authorization request (RFC 9126); wallet attestation headers as at the \
             token endpoint",
            "authorization",
        )
        .body(form, reference("AuthorizationRequest"), true)
        .ok(201, "The request URI", reference("ParResponse"))
        .errors(&[
            INVALID,
            ATTESTATION,
            (404, "The authorization-code flow is not enabled"),
            LIMITED,
            UNAVAILABLE,
        ]),
        op(
            "get",
            format!("{prefix}/authorize"),
            "authorize",
            "Authorization endpoint: redirects the browser to the institution's login",
            "authorization",
        )
        .query("client_id", json!({"type": "string"}), "The wallet")
        .query(
            "request_uri",
            json!({"type": "string"}),
            "From the PAR endpoint",
        )
        .empty(302, "To the login, or back to the wallet with an error")
        .errors(&[
            INVALID,
            (404, "The authorization-code flow is not enabled"),
            LIMITED,
            UNAVAILABLE,
        ]),
        op(
            "post",
            format!("{prefix}/nonce"),
            "nonce",
            "A fresh c_nonce (OID4VCI 1.0 §7)",
            "issuance",
        )
        .ok(200, "The nonce", reference("NonceResponse"))
        .errors(&[LIMITED, UNAVAILABLE]),
        op(
            "post",
            format!("{prefix}/challenge"),
            "attestationChallenge",
            "A fresh challenge for the wallet attestation PoP (Attestation-Based Client Authentication draft -07 §8)",
            "authorization",
        )
        .ok(200, "The challenge", reference("ChallengeResponse"))
        .errors(&[
            (404, "Wallet attestations are not configured"),
            LIMITED,
            UNAVAILABLE,
        ]),
        op(
            "post",
            format!("{prefix}/credential"),
            "credential",
            "Credential endpoint (OID4VCI 1.0 §8)",
            "issuance",
        )
        .access(Access::AccessToken)
        .json_body(reference("CredentialRequest"))
        .also_body(
            "application/jwt",
            json!({"type": "string", "description": "The request as a compact JWE to the issuer's `credential_request_encryption` key (when encryption is offered)"}),
        )
        .ok(200, "The credentials", reference("CredentialResponse"))
        .answer(
            200,
            "The credentials as a compact JWE to the request's `credential_response_encryption.jwk`",
            "application/jwt",
            json!({"type": "string"}),
        )
        .errors(&[INVALID, LIMITED, UNAVAILABLE]),
        op(
            "post",
            format!("{prefix}/notification"),
            "notification",
            "Notification endpoint (OID4VCI 1.0 §11)",
            "issuance",
        )
        .access(Access::AccessToken)
        .json_body(reference("NotificationRequest"))
        .empty(204, "Recorded")
        .errors(&[INVALID, LIMITED, UNAVAILABLE]),
        op(
            "get",
            format!("{prefix}/status-lists"),
            "statusListAggregation",
            "Every status list's URI (status list aggregation)",
            "status",
        )
        .ok(200, "Every status list's URI", reference("StatusLists")),
        op(
            "get",
            format!("{prefix}/status-lists/{{list_id}}"),
            "statusList",
            "A Status List Token (JWT, or CWT by Accept)",
            "status",
        )
        .query(
            "time",
            json!({"type": "integer"}),
            "The list as it was at this time (historical resolution)",
        )
        .answer(
            200,
            "JWT",
            "application/statuslist+jwt",
            json!({"type": "string"}),
        )
        .answer(
            200,
            "CWT",
            "application/statuslist+cwt",
            json!({"type": "string", "contentMediaType": "application/cwt"}),
        )
        .empty(304, "Not modified (`If-None-Match`)")
        .errors(&[
            INVALID,
            (404, "No such status list"),
            (406, "No acceptable media type"),
            UNAVAILABLE,
        ]),
    ]);
    ops
}

/// The wallet listener's OpenAPI 3.1 document for the issuer path `prefix` and the served
/// type metadata paths.
pub fn document(prefix: &str, type_metadata: &[String]) -> Value {
    let mut components = Map::new();
    components.insert("WalletError".into(), schemas::wallet_error());
    components.extend(
        wallet_bodies()
            .into_iter()
            .map(|(name, schema)| (name.to_string(), schema)),
    );
    components.extend(wallet_responses());
    let mut document = assemble(
        json!({
            "title": "Issuance wallet API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The OpenID4VCI 1.0 and OAuth 2.0 endpoints wallets call, under the credential issuer identifier's path. Errors are OAuth-style `{\"error\", \"error_description\"}`; access-token problems are 401 with `WWW-Authenticate`. SD-JWT VC type metadata is served at the path of each configuration's `vct` under the issuer identifier (listed in the document a running service serves, not in the checked-in one). Every issuer managed at runtime serves the same operations under its own identifier `{public_url}/{issuer_id}` (the second server); its well-known documents are also served inserted, e.g. `/.well-known/openid-credential-issuer/{issuer_id}`.",
        }),
        operations(prefix, type_metadata),
        json!({"schemas": components, "securitySchemes": schemas::wallet_security()}),
    );
    document["servers"] = json!([
        {"url": "/", "description": "The default issuer (the configuration file's)"},
        {
            "url": "/{issuer_id}",
            "description": "An issuer managed at runtime (`POST /issuers` on the management API)",
            "variables": {"issuer_id": {"default": "acme", "description": "The issuer's id"}},
        },
    ]);
    document
}
