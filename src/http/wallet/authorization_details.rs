//! `authorization_details` of type `openid_credential` (RFC 9396; OID4VCI 1.0 §5.1.1,
//! §6.2): parsed from a token request, and echoed in the token response with the
//! `credential_identifiers` the token covers.
//!
//! A credential identifier here is the configuration id itself: every configuration is
//! issued as one dataset, so one identifier per configuration is exact and lets wallets
//! that send `credential_configuration_id` instead be served unambiguously.

use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::mdoc_config::FORMAT_MSO_MDOC;
use serde_json::{json, Value};

use super::errors::{ErrorCode, WalletError};

/// The authorization details type of OID4VCI.
pub const OPENID_CREDENTIAL: &str = "openid_credential";

/// The SD-JWT VC format names: 1.0, and the draft-13/14 name.
const SD_JWT_FORMATS: [&str; 2] = ["dc+sd-jwt", "vc+sd-jwt"];

/// The configuration ids a token request's `authorization_details` asks for, in order,
/// without repeats. Besides `credential_configuration_id` (1.0), draft-13 wallets name the
/// credential by `format` + `vct`, which is mapped to the configuration with that `vct`.
pub fn requested_configurations(
    text: &str,
    issuer_url: &str,
    catalog: &CredentialCatalog,
) -> Result<Vec<String>, WalletError> {
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidAuthorizationDetails, reason);
    let details: Value = serde_json::from_str(text)
        .map_err(|_| invalid("authorization_details is not a JSON array"))?;
    let Value::Array(details) = details else {
        return Err(invalid("authorization_details is not a JSON array"));
    };
    if details.is_empty() {
        return Err(invalid("authorization_details is empty"));
    }
    let mut ids: Vec<String> = Vec::with_capacity(details.len());
    for detail in &details {
        let Value::Object(detail) = detail else {
            return Err(invalid("each authorization detail must be a JSON object"));
        };
        if detail.get("type").and_then(Value::as_str) != Some(OPENID_CREDENTIAL) {
            return Err(invalid(
                "only authorization details of type openid_credential are supported",
            ));
        }
        // §5.1.1: with `locations`, they must name this credential issuer.
        if let Some(locations) = detail.get("locations") {
            let names_us = locations
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l.as_str() == Some(issuer_url)));
            if !names_us {
                return Err(invalid("locations must contain this credential issuer"));
            }
        }
        let id = match (
            detail.get("credential_configuration_id"),
            detail.get("format").and_then(Value::as_str),
            detail.get("vct").and_then(Value::as_str),
        ) {
            (Some(Value::String(id)), _, _) => id.clone(),
            (Some(_), _, _) => {
                return Err(invalid("credential_configuration_id must be a string"));
            }
            (None, Some(format), Some(vct)) if SD_JWT_FORMATS.contains(&format) => catalog
                .iter()
                .find(|c| c.vct == vct)
                .map(|c| c.id.clone())
                .ok_or_else(|| invalid("no credential configuration has this vct"))?,
            // Draft 13 names an mdoc by `format` + `doctype`.
            (None, Some(FORMAT_MSO_MDOC), _) => detail
                .get("doctype")
                .and_then(Value::as_str)
                .and_then(|doctype| catalog.mdoc_by_doctype(doctype))
                .map(|c| c.id.clone())
                .ok_or_else(|| invalid("no credential configuration has this doctype"))?,
            _ => return Err(invalid("credential_configuration_id is required")),
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The token response's `authorization_details`: one entry per covered configuration, with
/// its credential identifier (§6.2).
pub fn granted(configuration_ids: &[String]) -> Value {
    Value::Array(
        configuration_ids
            .iter()
            .map(|id| {
                json!({
                    "type": OPENID_CREDENTIAL,
                    "credential_configuration_id": id,
                    "credential_identifiers": [id],
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use issuance_domain::credential_config::CredentialConfiguration;

    use super::*;

    const ISSUER: &str = "https://issuer.example";

    fn catalog() -> CredentialCatalog {
        CredentialCatalog::new(vec![CredentialConfiguration {
            id: "Identity".into(),
            format: "dc+sd-jwt".into(),
            vct: "https://issuer.example/identity".into(),
            scope: "identity".into(),
            display: vec![],
            claims: vec![],
            validity_seconds: 60,
            type_metadata: None,
            key_attestations_required: None,
        }])
    }

    fn parse(value: Value) -> Result<Vec<String>, WalletError> {
        requested_configurations(&value.to_string(), ISSUER, &catalog())
    }

    #[test]
    fn reads_configuration_ids_and_draft_13_format_and_vct() {
        let ids = parse(json!([
            {"type": "openid_credential", "credential_configuration_id": "Identity"},
            {"type": "openid_credential", "format": "vc+sd-jwt", "vct": "https://issuer.example/identity"},
            {"type": "openid_credential", "credential_configuration_id": "Other", "locations": [ISSUER]},
        ]))
        .unwrap();
        assert_eq!(ids, vec!["Identity".to_string(), "Other".to_string()]);
    }

    #[test]
    fn refuses_malformed_details() {
        for bad in [
            json!({}),
            json!([]),
            json!(["Identity"]),
            json!([{"type": "payment_initiation", "credential_configuration_id": "Identity"}]),
            json!([{"type": "openid_credential"}]),
            json!([{"type": "openid_credential", "credential_configuration_id": 7}]),
            json!([{"type": "openid_credential", "format": "dc+sd-jwt", "vct": "unknown"}]),
            json!([{"type": "openid_credential", "credential_configuration_id": "Identity", "locations": ["https://other.example"]}]),
        ] {
            let error = parse(bad.clone()).unwrap_err();
            assert_eq!(
                error.code(),
                Some(ErrorCode::InvalidAuthorizationDetails),
                "{bad}"
            );
        }
        assert!(requested_configurations("[", ISSUER, &catalog()).is_err());
    }

    #[test]
    fn grants_one_identifier_per_configuration() {
        assert_eq!(
            granted(&["Identity".into()]),
            json!([{"type": "openid_credential", "credential_configuration_id": "Identity", "credential_identifiers": ["Identity"]}])
        );
    }
}
