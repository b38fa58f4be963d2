//! Redeeming an offer for an access token: where both grants (pre-authorized code, and
//! authorization code once its session accepted the exchange) end.
//!
//! The access token is minted first (its hash goes into `OfferRedeemed`), then the offer
//! decides; a DPoP proof's `jti` is spent with the events, only if the offer accepts. A
//! wrong transaction code is a decision too (`TxCodeRejected`, and `OfferFailed` on the last
//! attempt): recorded, then answered as [`RedeemError::WrongTxCode`].

use chrono::Duration;
use issuance_domain::offer::{
    AttestedWallet, NewRedemption, OfferCommand, OfferEvent, PresentedGrant, RedeemOffer,
};
use uuid::Uuid;

use super::{CommandError, CommandMeta, OfferRepository};
use crate::clock::Clock;
use crate::crypto::access_token;
use crate::crypto::server_secret::ServerSecret;
use crate::store::NonceUse;

/// A grant checked as far as the protocol adapter can, to be redeemed on its offer.
pub struct Redeem {
    /// The offer redeemed.
    pub offer_id: Uuid,
    /// What the wallet presented, hashed.
    pub grant: PresentedGrant,
    /// The redemption (access token) to create.
    pub redemption_id: Uuid,
    /// The configurations the token is to cover (`None`: all offered).
    pub requested: Option<Vec<String>>,
    /// The client, if it identified itself.
    pub client_id: Option<String>,
    /// The DPoP key to bind the token to.
    pub dpop_jkt: Option<String>,
    /// The DPoP proof's `jti`, spent with the redemption (`None`: none, or spent already
    /// with the code exchange).
    pub jti: Option<NonceUse>,
    /// The issuer whose token endpoint was called (`None`: the default issuer).
    pub issuer_id: Option<String>,
    /// The wallet's attestation, when it authenticated with one.
    pub attested_wallet: Option<AttestedWallet>,
}

/// A redeemed offer's access token.
pub struct Redeemed {
    /// The token text (the event keeps only its hash).
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The configurations it covers.
    pub covered: Vec<String>,
}

/// Why an offer was not redeemed.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// The transaction code was wrong (recorded; the offer failed when none remain).
    #[error("the transaction code is wrong; {remaining} attempts remain")]
    WrongTxCode {
        /// Attempts left.
        remaining: u32,
    },
    /// The offer refused, or the store failed (a spent `jti` is
    /// [`crate::store::StoreError::NonceReused`]).
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// Redeems offers.
pub struct Redeemer<'a> {
    /// Offer commands.
    pub offers: &'a OfferRepository,
    /// MACs access tokens.
    pub server_secret: &'a ServerSecret,
    /// The clock (the token's expiry).
    pub clock: &'a dyn Clock,
    /// `tokens.access_token_ttl`, seconds.
    pub access_token_ttl: u64,
    /// `offers.max_redemptions`.
    pub max_redemptions: u32,
}

impl Redeemer<'_> {
    /// Redeems the offer (`OfferRedeemed`) for a new access token.
    pub async fn redeem(&self, meta: &CommandMeta, grant: Redeem) -> Result<Redeemed, RedeemError> {
        let ttl = self.access_token_ttl;
        let expires_at = self.clock.now() + Duration::seconds(i64::try_from(ttl).unwrap_or(300));
        let (access_token, token_hash) = access_token::mint(
            self.server_secret,
            grant.offer_id,
            grant.redemption_id,
            expires_at,
        );
        let redemption = NewRedemption {
            redemption_id: grant.redemption_id,
            token_hash,
            token_expires_at: expires_at,
            requested_configuration_ids: grant.requested,
            client_id: grant.client_id,
            dpop_jkt: grant.dpop_jkt,
            attested_wallet: grant.attested_wallet,
        };
        let max_redemptions = self.max_redemptions;
        let executed = self
            .offers
            .execute_consuming(
                grant.offer_id,
                meta,
                grant.jti.into_iter().collect(),
                |_, now| {
                    OfferCommand::Redeem(RedeemOffer {
                        now,
                        grant: grant.grant.clone(),
                        redemption: redemption.clone(),
                        max_redemptions,
                        issuer_id: grant.issuer_id.clone(),
                    })
                },
            )
            .await?;
        let covered = executed.events.iter().find_map(|event| match event {
            OfferEvent::OfferRedeemed(redeemed) => {
                Some(redeemed.credential_configuration_ids.clone())
            }
            _ => None,
        });
        match covered {
            Some(covered) => Ok(Redeemed {
                access_token,
                expires_in: ttl,
                covered,
            }),
            // The only successful decision without `OfferRedeemed`: a wrong transaction code.
            None => Err(RedeemError::WrongTxCode {
                remaining: executed.state.tx_code_attempts_remaining,
            }),
        }
    }
}
