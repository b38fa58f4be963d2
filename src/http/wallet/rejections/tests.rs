use super::*;
use crate::http::wallet::errors::ErrorCode;

#[test]
fn revoked_offers_revoke_their_tokens_and_reissue_is_denied() {
    let revoked = credential_rejection(OfferError::Revoked, NamedBy::Configuration);
    assert_eq!(revoked.code(), Some(ErrorCode::InvalidToken));
    let again = credential_rejection(OfferError::AlreadyIssued("X".into()), NamedBy::Identifier);
    assert_eq!(again.code(), Some(ErrorCode::CredentialRequestDenied));
    let unknown = credential_rejection(OfferError::NotCovered("X".into()), NamedBy::Identifier);
    assert_eq!(unknown.code(), Some(ErrorCode::UnknownCredentialIdentifier));
    assert_eq!(
        token_rejection(OfferError::AlreadyRedeemed).code(),
        Some(ErrorCode::InvalidGrant)
    );
    assert_eq!(
        token_rejection(OfferError::TxCodeRequired).code(),
        Some(ErrorCode::InvalidRequest)
    );
}
