//! Commands to the Offer aggregate. Every input a rule needs — the current time, generated
//! ids, hashes of presented secrets — is a field, so deciding is pure.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::event::{AttestedWallet, NotificationEvent, OfferCreated, StatusEntry};
use crate::digest::Digest;
use crate::sealed::Sealed;
use crate::status_list::{StatusAction, StatusBits};

/// Everything the Offer aggregate can be asked to do.
// `Create` carries the whole `OfferCreated` (see `OfferEvent`): commands live briefly, one
// at a time per request, so boxing it would cost ergonomics and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum OfferCommand {
    /// Create the offer.
    Create(CreateOffer),
    /// Exchange a grant for an access token.
    Redeem(RedeemOffer),
    /// Record credentials issued under an access token.
    IssueCredentials(IssueCredentials),
    /// Record a wallet notification.
    RecordNotification(RecordNotification),
    /// Expire the offer after its deadline.
    Expire(ExpireOffer),
    /// Revoke the offer (admin).
    Revoke(RevokeOffer),
    /// Fail the offer permanently.
    Fail(FailOffer),
    /// Record that the claims' data key was destroyed.
    EraseClaims(EraseClaims),
    /// Revoke one access token (e.g. its authorization code was replayed).
    RevokeRedemption(RevokeRedemption),
    /// Revoke, suspend or reinstate one issued credential.
    ChangeCredentialStatus(ChangeCredentialStatus),
    /// Revoke every issued credential that is not revoked yet.
    RevokeCredentials(RevokeCredentials),
}

/// Create an offer from fully prepared creation facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOffer {
    /// The current time.
    pub now: DateTime<Utc>,
    /// The facts to record.
    pub offer: OfferCreated,
}

/// The secret a wallet presents at the token endpoint, already hashed.
#[derive(Debug, Clone, PartialEq)]
pub enum PresentedGrant {
    /// Pre-authorized code grant.
    PreAuthorizedCode {
        /// SHA-256 of the presented code.
        code_hash: Digest,
        /// Keyed hash of the presented transaction code, if one was sent.
        tx_code_hash: Option<Digest>,
    },
    /// Authorization code grant started from this offer's `issuer_state`.
    AuthorizationCode {
        /// SHA-256 of the `issuer_state` the authorization request carried.
        issuer_state_hash: Digest,
    },
}

/// The access token to record if the redemption succeeds.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRedemption {
    /// Its id.
    pub redemption_id: Uuid,
    /// SHA-256 of the access token.
    pub token_hash: Digest,
    /// When the token expires.
    pub token_expires_at: DateTime<Utc>,
    /// Configurations the wallet asked for (`authorization_details`); `None` = all offered.
    pub requested_configuration_ids: Option<Vec<String>>,
    /// The OAuth client id, if any.
    pub client_id: Option<String>,
    /// DPoP key thumbprint, if the token is DPoP-bound.
    pub dpop_jkt: Option<String>,
    /// The wallet's attestation, when it authenticated with one.
    pub attested_wallet: Option<AttestedWallet>,
}

/// Redeem the offer at the token endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct RedeemOffer {
    /// The current time.
    pub now: DateTime<Utc>,
    /// What the wallet presented.
    pub grant: PresentedGrant,
    /// The token to grant.
    pub redemption: NewRedemption,
    /// Most redemptions a multi-use offer accepts (`offers.max_redemptions`).
    pub max_redemptions: u32,
    /// The issuer whose token endpoint was called (`None`: the default issuer): an offer
    /// of another issuer is not redeemed there.
    pub issuer_id: Option<String>,
}

/// One credential that was produced and is to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCredential {
    /// Its id.
    pub credential_id: Uuid,
    /// Thumbprint of the holder key it is bound to, sealed with the offer's data key.
    pub sealed_holder_key_thumbprint: Sealed,
    /// SHA-256 of the credential.
    pub credential_hash: Digest,
    /// Its `exp`.
    pub credential_expires_at: DateTime<Utc>,
    /// Its entry in a status list (the index written into the credential).
    pub status: Option<StatusEntry>,
}

/// Record credentials issued at the credential endpoint (one request, one configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueCredentials {
    /// The current time.
    pub now: DateTime<Utc>,
    /// The redemption named by the access token.
    pub redemption_id: Uuid,
    /// SHA-256 of the presented access token.
    pub token_hash: Digest,
    /// RFC 7638 thumbprint of the key of the DPoP proof presented with the token (RFC 9449
    /// §7); `None` for a bearer request. Must equal the redemption's binding.
    pub dpop_jkt: Option<String>,
    /// The configuration issued.
    pub credential_configuration_id: String,
    /// The notification id returned with the credentials.
    pub notification_id: String,
    /// The credentials (one per proof).
    pub credentials: Vec<NewCredential>,
    /// The issuer whose credential endpoint was called (`None`: the default issuer).
    pub issuer_id: Option<String>,
}

/// Record a wallet notification.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordNotification {
    /// The redemption named by the access token.
    pub redemption_id: Uuid,
    /// SHA-256 of the presented access token.
    pub token_hash: Digest,
    /// Thumbprint of the DPoP proof's key presented with the token; `None` for bearer.
    pub dpop_jkt: Option<String>,
    /// The notification id.
    pub notification_id: String,
    /// What happened.
    pub event: NotificationEvent,
    /// The wallet's description.
    pub event_description: Option<String>,
}

/// Expire the offer.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpireOffer {
    /// The current time.
    pub now: DateTime<Utc>,
}

/// Revoke the offer.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeOffer {
    /// The admin's reason.
    pub reason: Option<String>,
}

/// Fail the offer.
#[derive(Debug, Clone, PartialEq)]
pub struct FailOffer {
    /// Machine-readable reason.
    pub code: String,
    /// Human-readable reason.
    pub description: String,
}

/// Record the destruction of the claims' data key.
#[derive(Debug, Clone, PartialEq)]
pub struct EraseClaims {
    /// `retention_policy` or `admin_request`.
    pub reason: String,
}

/// Revoke one access token of the offer. Idempotent; may precede the redemption it names.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeRedemption {
    /// The redemption (access token) to revoke.
    pub redemption_id: Uuid,
    /// Machine-readable reason, e.g. `authorization_code_replayed`.
    pub reason: String,
}

/// Revoke, suspend or reinstate one credential issued from the offer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeCredentialStatus {
    /// The credential.
    pub credential_id: Uuid,
    /// What to do.
    pub action: StatusAction,
    /// The operator's reason.
    pub reason: Option<String>,
    /// Bits per entry of the credential's status list (1-bit lists cannot suspend).
    pub bits: StatusBits,
}

/// Revoke every credential of the offer that carries a status and is not revoked yet.
/// Idempotent: nothing left to revoke records nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeCredentials {
    /// The operator's reason.
    pub reason: Option<String>,
}
