//! Typed rejections of Offer commands. A rejected command writes nothing.

use super::status::OfferStatus;
use crate::status_list::StatusError;

/// Why the Offer aggregate rejected a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    /// The offer does not exist.
    #[error("offer not found")]
    NotFound,
    /// `CreateOffer` on an existing offer.
    #[error("offer already exists")]
    AlreadyExists,
    /// The creation data breaks an invariant.
    #[error("invalid offer: {0}")]
    InvalidOffer(String),
    /// The offer is past its deadline (or was expired).
    #[error("offer has expired")]
    Expired,
    /// The offer was revoked.
    #[error("offer was revoked")]
    Revoked,
    /// The offer failed permanently (e.g. locked after wrong transaction codes).
    #[error("offer has failed: {0}")]
    Failed(String),
    /// Everything offered was already issued.
    #[error("offer is already completed")]
    Completed,
    /// The offer does not carry the grant the wallet used.
    #[error("the offer does not carry this grant")]
    GrantMismatch,
    /// The presented pre-authorized code (or issuer state) is not this offer's.
    #[error("the pre-authorized code is not valid")]
    InvalidCode,
    /// The offer belongs to another issuer than the one whose endpoint was called.
    #[error("the offer belongs to another credential issuer")]
    OtherIssuer,
    /// The offer requires a transaction code and none was presented.
    #[error("a transaction code is required")]
    TxCodeRequired,
    /// A transaction code was presented to an offer without one.
    #[error("this offer takes no transaction code")]
    TxCodeNotExpected,
    /// A single-use offer was already redeemed.
    #[error("the offer was already redeemed")]
    AlreadyRedeemed,
    /// A multi-use offer reached its cap of redemptions.
    #[error("the offer has reached its limit of {0} redemptions")]
    RedemptionLimitReached(u32),
    /// A configuration that the offer does not contain was requested.
    #[error("credential configuration {0} is not part of this offer")]
    NotOffered(String),
    /// The access token does not belong to a redemption of this offer.
    #[error("the access token is not valid for this offer")]
    InvalidToken,
    /// The access token has expired.
    #[error("the access token has expired")]
    TokenExpired,
    /// The access token was revoked (or the redemption it would create was revoked first).
    #[error("the access token was revoked")]
    TokenRevoked,
    /// The access token is DPoP-bound and the request did not prove possession of that key,
    /// or it is a bearer token presented as DPoP (RFC 9449 §7.1).
    #[error("the access token is bound to another key")]
    TokenBindingMismatch,
    /// The access token does not cover this configuration.
    #[error("the access token does not cover credential configuration {0}")]
    NotCovered(String),
    /// The configuration was already issued under this access token.
    #[error("credential configuration {0} was already issued")]
    AlreadyIssued(String),
    /// An issuance command without credentials.
    #[error("no credentials to issue")]
    NoCredentials,
    /// The claims were erased: nothing can be issued any more.
    #[error("the offer's claims were erased")]
    ClaimsErased,
    /// The notification id is not one handed out under this access token.
    #[error("unknown notification id")]
    UnknownNotificationId,
    /// `ExpireOffer` before the deadline.
    #[error("the offer has not reached its deadline")]
    NotYetExpired,
    /// A lifecycle command on an offer in a terminal state.
    #[error("the offer is already {0}")]
    Terminal(OfferStatus),
    /// The claims were already erased.
    #[error("the offer's claims were already erased")]
    ClaimsAlreadyErased,
    /// No credential of this id was issued from the offer.
    #[error("unknown credential")]
    UnknownCredential,
    /// The credential was issued before credential status existed: it names no list.
    #[error("the credential carries no status reference")]
    NoCredentialStatus,
    /// The status change is not allowed (revoked is final, reinstate only from suspended,
    /// no suspension on 1-bit lists, no change to the same status).
    #[error(transparent)]
    CredentialStatus(#[from] StatusError),
}
