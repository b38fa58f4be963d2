//! How each wallet endpoint answers a failed command: the aggregates' rejections mapped to
//! the codes of its protocol (token: RFC 6749 §5.2; credential: OID4VCI 1.0 §8.3.1;
//! notification: §11.3).

use issuance_domain::offer::OfferError;

use super::errors::{ErrorCode, WalletError};
use crate::app::repository::RepositoryError;

/// A command failure, with the aggregate's rejections mapped by `rejection` (each endpoint
/// maps them to its own protocol's codes).
pub fn command_error<E: std::error::Error + 'static>(
    error: RepositoryError<E>,
    rejection: impl FnOnce(E) -> WalletError,
) -> WalletError {
    match error {
        RepositoryError::Rejected(rejected) => rejection(rejected),
        RepositoryError::Store(e) => e.into(),
        RepositoryError::Contention(_) => WalletError::unavailable(&error),
        RepositoryError::Corrupt { .. } => WalletError::internal(&error),
    }
}

/// The token endpoint's answer to an aggregate rejection (OID4VCI 1.0 §6.3, RFC 6749 §5.2).
pub fn token_rejection(error: OfferError) -> WalletError {
    let invalid_grant = |description: &str| WalletError::new(ErrorCode::InvalidGrant, description);
    match error {
        OfferError::NotFound | OfferError::InvalidCode | OfferError::GrantMismatch => {
            invalid_grant("the pre-authorized code is not valid")
        }
        OfferError::OtherIssuer => {
            invalid_grant("the code was not issued by this credential issuer")
        }
        OfferError::Expired => invalid_grant("the pre-authorized code has expired"),
        OfferError::Revoked => invalid_grant("the offer was revoked"),
        OfferError::Failed(_) => invalid_grant("the offer is locked"),
        OfferError::Completed | OfferError::AlreadyRedeemed => {
            invalid_grant("the pre-authorized code was already used")
        }
        OfferError::RedemptionLimitReached(max) => invalid_grant(&format!(
            "the offer has been redeemed {max} times, its limit; ask the issuer for a new offer"
        )),
        OfferError::TxCodeRequired => {
            WalletError::new(ErrorCode::InvalidRequest, "tx_code is required")
        }
        OfferError::TxCodeNotExpected => WalletError::new(
            ErrorCode::InvalidRequest,
            "this offer takes no tx_code; do not send one",
        ),
        OfferError::NotOffered(id) => WalletError::new(
            ErrorCode::InvalidAuthorizationDetails,
            format!("credential configuration {id} is not part of this offer"),
        ),
        OfferError::InvalidOffer(reason) => {
            WalletError::new(ErrorCode::InvalidAuthorizationDetails, reason)
        }
        other => WalletError::internal(&format!(
            "unexpected rejection at the token endpoint: {other}"
        )),
    }
}

/// How the wallet named the credential it wants; decides which "unknown" code fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    /// `credential_identifier` (from the token response's `authorization_details`).
    Identifier,
    /// `credential_configuration_id`, or the draft-13 `format` + `vct`.
    Configuration,
}

/// The credential endpoint's answer to an aggregate rejection (OID4VCI 1.0 §8.3.1).
/// A token whose offer was revoked, expired or locked is a revoked token (RFC 6750 §3.1).
pub fn credential_rejection(error: OfferError, named_by: NamedBy) -> WalletError {
    match error {
        OfferError::NotFound | OfferError::InvalidToken => {
            WalletError::new(ErrorCode::InvalidToken, "the access token is not valid")
        }
        OfferError::OtherIssuer => WalletError::new(
            ErrorCode::InvalidToken,
            "the access token was not issued by this credential issuer",
        ),
        OfferError::TokenExpired => {
            WalletError::new(ErrorCode::InvalidToken, "the access token has expired")
        }
        OfferError::TokenRevoked => token_refused(&error),
        OfferError::TokenBindingMismatch => token_refused(&error).in_dpop_scheme(),
        OfferError::Expired => WalletError::new(
            ErrorCode::InvalidToken,
            "the offer of this access token expired",
        ),
        OfferError::Revoked => WalletError::new(
            ErrorCode::InvalidToken,
            "the access token was revoked with its offer",
        ),
        OfferError::Failed(_) => WalletError::new(
            ErrorCode::InvalidToken,
            "the offer of this access token failed",
        ),
        OfferError::Completed | OfferError::AlreadyIssued(_) => WalletError::new(
            ErrorCode::CredentialRequestDenied,
            "this credential was already issued under this access token",
        ),
        OfferError::ClaimsErased => WalletError::new(
            ErrorCode::CredentialRequestDenied,
            "the data for this credential is no longer available",
        ),
        OfferError::NotOffered(id) | OfferError::NotCovered(id) => match named_by {
            NamedBy::Identifier => WalletError::new(
                ErrorCode::UnknownCredentialIdentifier,
                format!("credential identifier {id} is not covered by this access token"),
            ),
            NamedBy::Configuration => WalletError::new(
                ErrorCode::UnknownCredentialConfiguration,
                format!("credential configuration {id} is not covered by this access token"),
            ),
        },
        OfferError::NoCredentials => WalletError::new(ErrorCode::InvalidProof, "no proofs"),
        other => WalletError::internal(&format!(
            "unexpected rejection at the credential endpoint: {other}"
        )),
    }
}

/// A revoked token, or one presented without proof of the key it is bound to (RFC 6750
/// §3.1, RFC 9449 §7.1): `invalid_token`.
fn token_refused(error: &OfferError) -> WalletError {
    WalletError::new(ErrorCode::InvalidToken, error.to_string())
}

/// The notification endpoint's answer to an aggregate rejection (OID4VCI 1.0 §11.3).
pub fn notification_rejection(error: OfferError) -> WalletError {
    match error {
        OfferError::NotFound | OfferError::InvalidToken | OfferError::OtherIssuer => {
            WalletError::new(ErrorCode::InvalidToken, "the access token is not valid")
        }
        OfferError::TokenRevoked => token_refused(&error),
        OfferError::TokenBindingMismatch => token_refused(&error).in_dpop_scheme(),
        OfferError::UnknownNotificationId => WalletError::new(
            ErrorCode::InvalidNotificationId,
            "the notification_id is not one issued under this access token",
        ),
        other => WalletError::internal(&format!(
            "unexpected rejection at the notification endpoint: {other}"
        )),
    }
}

#[cfg(test)]
mod tests;
