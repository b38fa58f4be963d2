//! The well-known documents: Credential Issuer Metadata (OID4VCI 1.0 §12.2), OAuth
//! Authorization Server Metadata (RFC 8414; the issuer is its own authorization server)
//! and the JWT VC Issuer Metadata with the issuer's keys (SD-JWT VC draft -13 §5).
//!
//! All three are rendered once at start-up and served as bytes, cacheable by wallets.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use issuance_credential::attestation::ATTESTATION_SIGNING_ALGS;
use issuance_credential::{IssuerKeys, SigningKey};
use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::credential_config::{credential_metadata, CredentialConfiguration, Display};
use serde_json::{json, Map, Value};

use issuance_domain::offer::GRANT_AUTHORIZATION_CODE;

use crate::app::offers::credential_offer::PRE_AUTHORIZED_GRANT_TYPE;
use crate::config::{AttestationSettings, AuthorizationSettings};

/// How long wallets may cache the documents, seconds.
const MAX_AGE_SECONDS: u32 = 300;

/// Proof signing algorithms accepted in `jwt` proofs (and advertised).
pub const PROOF_SIGNING_ALGS: &[&str] = &["ES256", "ES384", "ES512", "EdDSA"];

/// The token endpoint authentication method of wallet attestations (Attestation-Based
/// Client Authentication draft -07 §13.1).
pub const ATTEST_JWT_CLIENT_AUTH: &str = "attest_jwt_client_auth";

/// The rendered documents.
#[derive(Debug, Clone)]
pub struct Documents {
    /// Credential Issuer Metadata.
    pub(super) credential_issuer: Document,
    /// OAuth Authorization Server Metadata.
    pub(super) authorization_server: Document,
    /// JWT VC Issuer Metadata.
    pub(super) jwt_vc_issuer: Document,
}

/// What the documents are built from.
pub struct Sources<'a> {
    /// The Credential Issuer Identifier (no trailing slash).
    pub issuer_url: &'a str,
    /// Issuer display.
    pub display: &'a [Display],
    /// Maximum proofs per credential request.
    pub batch_size: usize,
    /// The credential configurations.
    pub catalog: &'a CredentialCatalog,
    /// The issuer's keys.
    pub keys: &'a IssuerKeys,
    /// The authorization-code flow and DPoP.
    pub authorization: &'a AuthorizationSettings,
    /// Whether credentials carry a status (Token Status Lists).
    pub status_lists: bool,
    /// `credential_request_encryption` and `credential_response_encryption`, when
    /// encryption is offered.
    pub encryption: Option<(Value, Value)>,
    /// Wallet attestations (`attest_jwt_client_auth`).
    pub attestation: &'a AttestationSettings,
}

/// `status_list_aggregation_endpoint` (draft-ietf-oauth-status-list §9.3): where relying
/// parties find every status list of the issuer, e.g. to prefetch them.
fn advertise_status_lists(sources: &Sources, metadata: &mut Map<String, Value>) {
    if sources.status_lists {
        metadata.insert(
            "status_list_aggregation_endpoint".into(),
            json!(format!("{}/status-lists", sources.issuer_url)),
        );
    }
}

impl Documents {
    /// Renders all three documents.
    pub fn render(sources: &Sources) -> Result<Documents, serde_json::Error> {
        Ok(Documents {
            credential_issuer: Document::new(serde_json::to_vec(&credential_issuer(sources))?),
            authorization_server: Document::new(serde_json::to_vec(&authorization_server(
                sources,
            ))?),
            jwt_vc_issuer: Document::new(serde_json::to_vec(&jwt_vc_issuer(sources))?),
        })
    }
}

/// OID4VCI 1.0 §12.2.4.
fn credential_issuer(sources: &Sources) -> Value {
    let issuer = sources.issuer_url;
    let mut metadata = Map::new();
    metadata.insert("credential_issuer".into(), json!(issuer));
    metadata.insert(
        "credential_endpoint".into(),
        json!(format!("{issuer}/credential")),
    );
    metadata.insert("nonce_endpoint".into(), json!(format!("{issuer}/nonce")));
    metadata.insert(
        "notification_endpoint".into(),
        json!(format!("{issuer}/notification")),
    );
    // Present if and only if batches are supported; `batch_size` must be at least 2.
    if sources.batch_size >= 2 {
        metadata.insert(
            "batch_credential_issuance".into(),
            json!({"batch_size": sources.batch_size}),
        );
    }
    if !sources.display.is_empty() {
        metadata.insert("display".into(), json!(sources.display));
    }
    let configurations: Map<String, Value> = sources
        .catalog
        .iter()
        .map(|c| (c.id.clone(), configuration(c)))
        .chain(
            sources
                .catalog
                .mdoc_iter()
                .map(|c| (c.id.clone(), c.metadata(PROOF_SIGNING_ALGS))),
        )
        .collect();
    metadata.insert(
        "credential_configurations_supported".into(),
        Value::Object(configurations),
    );
    advertise_status_lists(sources, &mut metadata);
    if let Some((request, response)) = &sources.encryption {
        metadata.insert("credential_request_encryption".into(), request.clone());
        metadata.insert("credential_response_encryption".into(), response.clone());
    }
    Value::Object(metadata)
}

/// One `dc+sd-jwt` configuration (§12.2.4, Appendix A.3.2), key-bound with `jwt` proofs
/// (and `attestation` proofs where key attestations are required).
fn configuration(configuration: &CredentialConfiguration) -> Value {
    let credential_metadata = credential_metadata(
        &configuration.display,
        configuration
            .claims
            .iter()
            .map(|claim| (json!(claim.path), claim.mandatory, claim.display.as_slice())),
    );
    let mut proof_types =
        json!({"jwt": {"proof_signing_alg_values_supported": PROOF_SIGNING_ALGS}});
    if let Some(required) = &configuration.key_attestations_required {
        // Appendix D.2: `{}` means required without constraints. The key attestation may
        // also come alone (Appendix F.3), signed with the attestation algorithms.
        proof_types["jwt"]["key_attestations_required"] = json!(required);
        proof_types["attestation"] = json!({
            "proof_signing_alg_values_supported": ATTESTATION_SIGNING_ALGS,
            "key_attestations_required": required,
        });
    }
    json!({
        "format": configuration.format,
        "scope": configuration.scope,
        "vct": configuration.vct,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": [SigningKey::ALG],
        "proof_types_supported": proof_types,
        "credential_metadata": credential_metadata,
    })
}

/// RFC 8414 §2, with the pre-authorized grant of OID4VCI 1.0 §12.3 and, when enabled, the
/// authorization-code flow (PAR RFC 9126 §5, PKCE RFC 7636 §6.2, RFC 9207 §3, DPoP RFC 9449
/// §5.1).
fn authorization_server(sources: &Sources) -> Value {
    let issuer = sources.issuer_url;
    let authorization = sources.authorization;
    let mut metadata = Map::new();
    metadata.insert("issuer".into(), json!(issuer));
    metadata.insert("token_endpoint".into(), json!(format!("{issuer}/token")));
    advertise_status_lists(sources, &mut metadata);
    if authorization.enabled() {
        metadata.insert(
            "authorization_endpoint".into(),
            json!(format!("{issuer}/authorize")),
        );
        metadata.insert(
            "pushed_authorization_request_endpoint".into(),
            json!(format!("{issuer}/par")),
        );
        metadata.insert(
            "require_pushed_authorization_requests".into(),
            json!(authorization.require_pushed_authorization_requests),
        );
        metadata.insert("response_types_supported".into(), json!(["code"]));
        metadata.insert("response_modes_supported".into(), json!(["query"]));
        metadata.insert(
            "grant_types_supported".into(),
            json!([GRANT_AUTHORIZATION_CODE, PRE_AUTHORIZED_GRANT_TYPE]),
        );
        metadata.insert("code_challenge_methods_supported".into(), json!(["S256"]));
        metadata.insert(
            "authorization_response_iss_parameter_supported".into(),
            json!(true),
        );
    } else {
        // No authorization endpoint: the pre-authorized grant needs none.
        metadata.insert("response_types_supported".into(), json!([]));
        metadata.insert(
            "grant_types_supported".into(),
            json!([PRE_AUTHORIZED_GRANT_TYPE]),
        );
    }
    let attestation = sources.attestation;
    // Anonymous pre-authorized access is client authentication `none`.
    metadata.insert(
        "pre-authorized_grant_anonymous_access_supported".into(),
        json!(!attestation.required),
    );
    let auth_methods = match (attestation.enabled(), attestation.required) {
        (true, true) => json!([ATTEST_JWT_CLIENT_AUTH]),
        (true, false) => json!(["none", ATTEST_JWT_CLIENT_AUTH]),
        (false, _) => json!(["none"]),
    };
    metadata.insert("token_endpoint_auth_methods_supported".into(), auth_methods);
    if attestation.enabled() {
        // Attestation-Based Client Authentication draft -07 §10.1.
        metadata.insert(
            "client_attestation_signing_alg_values_supported".into(),
            json!(ATTESTATION_SIGNING_ALGS),
        );
        metadata.insert(
            "client_attestation_pop_signing_alg_values_supported".into(),
            json!(PROOF_SIGNING_ALGS),
        );
        // §8: where PoP challenges are fetched.
        metadata.insert(
            "challenge_endpoint".into(),
            json!(format!("{issuer}/challenge")),
        );
    }
    if authorization.dpop.enabled() {
        metadata.insert(
            "dpop_signing_alg_values_supported".into(),
            json!(PROOF_SIGNING_ALGS),
        );
    }
    metadata.insert(
        "authorization_details_types_supported".into(),
        json!(["openid_credential"]),
    );
    metadata.insert(
        "scopes_supported".into(),
        json!(sources
            .catalog
            .entries()
            .map(|c| c.scope())
            .collect::<Vec<_>>()),
    );
    Value::Object(metadata)
}

/// SD-JWT VC draft -13 §5: `{"issuer", "jwks"}`, every published key (active first).
fn jwt_vc_issuer(sources: &Sources) -> Value {
    json!({"issuer": sources.issuer_url, "jwks": sources.keys.jwks()})
}

/// A rendered JSON document and its strong entity tag (a digest of its bytes): a change
/// of the issuer's configuration or keys renders a new document with a new tag.
#[derive(Debug, Clone)]
pub struct Document {
    bytes: Bytes,
    etag: String,
}

impl Document {
    /// The document of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Document {
        use base64::Engine;
        use sha2::Digest;
        let digest = sha2::Sha256::digest(&bytes);
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18]);
        Document {
            bytes: bytes.into(),
            etag: format!("\"{tag}\""),
        }
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its entity tag, quoted.
    pub fn etag(&self) -> &str {
        &self.etag
    }
}

/// A rendered document, cacheable by wallets for `MAX_AGE_SECONDS`, with its `ETag`; `304`
/// when the request's `If-None-Match` names it (RFC 9110 §13.1.2).
pub(super) fn serve(document: &Document, request: &HttpRequest) -> HttpResponse {
    let cache = (
        header::CACHE_CONTROL,
        format!("public, max-age={MAX_AGE_SECONDS}"),
    );
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.split(',').any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.trim_start_matches("W/") == document.etag
            })
        });
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, document.etag.clone()))
            .insert_header(cache)
            .finish();
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, document.etag.clone()))
        .insert_header(cache)
        .body(document.bytes.clone())
}
