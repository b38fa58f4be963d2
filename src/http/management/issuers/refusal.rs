//! The Issuer aggregate's refusals as management API errors: unknown things 404, conflicts
//! with the current state 409, broken input 400 (a configuration's with one detail per
//! field).

use issuance_domain::issuer::IssuerError;
use serde_json::json;

use crate::app::issuers::vault::VaultError;
use crate::app::issuers::{IssuerCommandError, KeyCommandError};
use crate::app::repository::RepositoryError;
use crate::http::management::error::ApiError;

impl From<IssuerCommandError> for ApiError {
    fn from(error: IssuerCommandError) -> Self {
        match error {
            RepositoryError::Rejected(refusal) => refusal.into(),
            RepositoryError::Store(e) => e.into(),
            RepositoryError::Corrupt { .. } => ApiError::internal(&error),
            RepositoryError::Contention(_) => ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "contention",
                error.to_string(),
            ),
        }
    }
}

impl From<KeyCommandError> for ApiError {
    fn from(error: KeyCommandError) -> Self {
        match error {
            KeyCommandError::Issuer(error) => error.into(),
            KeyCommandError::InvalidKey(_) => {
                ApiError::bad_request("invalid_key", error.to_string())
            }
            KeyCommandError::Vault(VaultError::Store(error)) => error.into(),
            // The cause is logged, never answered: it may name the vault's entries.
            KeyCommandError::Vault(_) => ApiError::internal(&error),
        }
    }
}

impl From<IssuerError> for ApiError {
    fn from(refusal: IssuerError) -> Self {
        let text = refusal.to_string();
        match refusal {
            IssuerError::AlreadyExists => ApiError::conflict("issuer_exists", text),
            IssuerError::NotFound => ApiError::not_found(text),
            IssuerError::Retired => ApiError::conflict("issuer_retired", text),
            IssuerError::InvalidId(_) | IssuerError::InvalidDisplay(_) => {
                ApiError::invalid_request(text)
            }
            IssuerError::InvalidKey(_) | IssuerError::InvalidCertificateChain(_) => {
                ApiError::bad_request("invalid_key", text)
            }
            IssuerError::DuplicateKid(_) => ApiError::conflict("key_exists", text),
            IssuerError::UnknownKid(_) | IssuerError::UnknownConfiguration(_) => {
                ApiError::not_found(text)
            }
            IssuerError::KeyRetired(_) => ApiError::conflict("key_retired", text),
            IssuerError::CertificateChainRequired(_) => {
                ApiError::conflict("certificate_chain_required", text)
            }
            IssuerError::CannotRetireActiveKey(_) => ApiError::conflict("key_active", text),
            IssuerError::ConfigurationInvalid { details, .. } => {
                ApiError::bad_request("invalid_configuration", text).with_details(
                    details
                        .into_iter()
                        .map(|d| json!({"field": d.field, "problem": d.problem}))
                        .collect(),
                )
            }
            IssuerError::ConfigurationRetired(_) => {
                ApiError::conflict("configuration_retired", text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use issuance_domain::configuration_table::FieldProblem;

    use super::*;

    #[test]
    fn refusals_map_to_statuses_and_codes() {
        let cases = [
            (IssuerError::AlreadyExists, 409, "issuer_exists"),
            (IssuerError::NotFound, 404, "not_found"),
            (IssuerError::Retired, 409, "issuer_retired"),
            (IssuerError::InvalidId("x".into()), 400, "invalid_request"),
            (
                IssuerError::InvalidDisplay("x".into()),
                400,
                "invalid_request",
            ),
            (
                IssuerError::UnknownConfiguration("c".into()),
                404,
                "not_found",
            ),
            (
                IssuerError::ConfigurationRetired("c".into()),
                409,
                "configuration_retired",
            ),
            (IssuerError::DuplicateKid("k".into()), 409, "key_exists"),
            (IssuerError::UnknownKid("k".into()), 404, "not_found"),
            (IssuerError::KeyRetired("k".into()), 409, "key_retired"),
            (
                IssuerError::CertificateChainRequired("k".into()),
                409,
                "certificate_chain_required",
            ),
            (
                IssuerError::CannotRetireActiveKey("k".into()),
                409,
                "key_active",
            ),
        ];
        for (refusal, status, code) in cases {
            let error = ApiError::from(refusal);
            assert_eq!(error.status, StatusCode::from_u16(status).unwrap());
            assert_eq!(error.error, code);
        }
    }

    #[test]
    fn key_failures_map_to_statuses_and_codes() {
        let invalid = ApiError::from(KeyCommandError::InvalidKey("no d".into()));
        assert_eq!(
            (invalid.status.as_u16(), invalid.error),
            (400, "invalid_key")
        );
        let missing = KeyCommandError::Vault(VaultError::Missing("vault/x".into()));
        let missing = ApiError::from(missing);
        assert_eq!(
            (missing.status.as_u16(), missing.error),
            (500, "server_error")
        );
        let refused = ApiError::from(KeyCommandError::from(IssuerError::Retired));
        assert_eq!(
            (refused.status.as_u16(), refused.error),
            (409, "issuer_retired")
        );
    }

    #[test]
    fn an_invalid_configuration_lists_every_problem_by_field() {
        let error = ApiError::from(IssuerError::ConfigurationInvalid {
            configuration_id: "Id".into(),
            details: vec![FieldProblem {
                field: "vct".into(),
                problem: "must not be empty".into(),
            }],
        });
        assert_eq!(error.error, "invalid_configuration");
        assert_eq!(
            error.details,
            vec![json!({"field": "vct", "problem": "must not be empty"})]
        );
    }
}
