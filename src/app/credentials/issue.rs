//! Issuing credentials for verified holder keys: the offer's claims opened with its data
//! key, one credential signed per key (with its status list entry), and
//! `IssueCredentials` appended with the proofs' nonces spent in the same transaction. A
//! credential leaves only once its `CredentialIssued` event is durable.

use chrono::{DateTime, Utc};
use issuance_credential::VerifiedProof;
use issuance_domain::catalog::CatalogEntry;
use issuance_domain::offer::{IssueCredentials, OfferCommand};
use issuance_domain::Digest;
use uuid::Uuid;

use super::{allocate_statuses, mint, open_claims, CredentialSigner, MintError, SignerKeys};
use crate::app::offers::{CommandError, CommandMeta, DataKeys, OfferRepository};
use crate::crypto::random_token;
use crate::status::StatusLists;
use crate::store::NonceUse;

/// What to issue, once the wallet's request and proofs checked out.
pub struct Issue<'a> {
    /// The offer, as loaded (it allowed the issuance; the append proves it current).
    pub offer: &'a issuance_domain::offer::Offer,
    /// The access token's redemption.
    pub redemption_id: Uuid,
    /// SHA-256 of the access token.
    pub token_hash: Digest,
    /// The DPoP key the token was presented with.
    pub dpop_jkt: Option<String>,
    /// The configuration.
    pub configuration_id: String,
    /// One credential per proof, in order.
    pub proofs: &'a [VerifiedProof],
    /// The proofs' nonces, spent with the events.
    pub nonces: Vec<NonceUse>,
    /// The time of issuance.
    pub now: DateTime<Utc>,
    /// The issuer whose endpoint issues (`None`: the default issuer).
    pub issuer_id: Option<String>,
}

/// The issued credentials.
pub struct Issued {
    /// Compact credentials, in proof order.
    pub credentials: Vec<String>,
    /// For the Notification Endpoint.
    pub notification_id: String,
}

/// Why nothing was issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Minting failed (holder key, erased or misfit claims, our own failure).
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The offer refused the issuance, or the store failed (a spent nonce is
    /// [`crate::store::StoreError::NonceReused`]).
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// Issues credentials from offers.
pub struct CredentialIssuer<'a> {
    /// Offer commands.
    pub offers: &'a OfferRepository,
    /// The offers' data keys.
    pub data_keys: &'a DataKeys,
    /// Status list entries.
    pub status_lists: &'a StatusLists,
    /// The configuration to sign.
    pub configuration: CatalogEntry<'a>,
    /// The keys that sign it.
    pub keys: SignerKeys<'a>,
}

impl CredentialIssuer<'_> {
    /// Mints one credential per proof and records them (`CredentialIssued`).
    pub async fn issue(self, meta: &CommandMeta, request: Issue<'_>) -> Result<Issued, IssueError> {
        let offer_id = request.offer.definition.as_ref().map(|d| d.offer_id);
        let offer_id = offer_id
            .ok_or_else(|| MintError::Internal("issuable offer without definition".into()))?;
        let (key, claims) = open_claims(self.data_keys, request.offer).await?;
        let signer = CredentialSigner::prepare(self.keys, self.configuration, &claims)?;
        let statuses = allocate_statuses(self.status_lists, &signer, request.proofs.len()).await?;
        let credentials = request
            .proofs
            .iter()
            .enumerate()
            .map(|(i, proof)| {
                mint(
                    &signer,
                    (proof, statuses.get(i)),
                    request.now,
                    (&key, offer_id),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;

        let notification_id = random_token::<16>();
        let command = IssueCredentials {
            now: request.now,
            redemption_id: request.redemption_id,
            token_hash: request.token_hash,
            dpop_jkt: request.dpop_jkt,
            credential_configuration_id: request.configuration_id,
            issuer_id: request.issuer_id,
            notification_id: notification_id.clone(),
            credentials: credentials
                .iter()
                .map(|(_, record)| record.clone())
                .collect(),
        };
        // Every `CredentialIssued` records its holder key sealed; metadata, which erasure
        // cannot reach, records none.
        self.offers
            .execute_consuming(offer_id, meta, request.nonces, |_, now| {
                OfferCommand::IssueCredentials(IssueCredentials {
                    now,
                    ..command.clone()
                })
            })
            .await?;
        Ok(Issued {
            credentials: credentials
                .into_iter()
                .map(|(credential, _)| credential)
                .collect(),
            notification_id,
        })
    }
}
