//! Creating an offer: a validated request sealed under a new data key and recorded as
//! `OfferCreated`.
//!
//! With an idempotency key the offer id is derived from it (by the caller), so a retry
//! addresses the same stream and the event store's `NoStream` expectation makes creation
//! exactly-once. The retry is recognised by a fingerprint of the request keyed with the
//! offer's data key: the same request gives back the offer it created, another is refused.

use chrono::{DateTime, Duration, Utc};
use issuance_domain::offer::{
    CreateOffer, Offer, OfferCommand, OfferCreated, OfferError, OfferGrant, TxCodeInputMode,
    TxCodeSpec,
};
use issuance_domain::sealed::purpose;
use issuance_domain::Digest;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{personal, CommandError, CommandMeta, DataKeys, Executed, OfferRepository};
use crate::crypto::codes;
use crate::crypto::sealing::{self, SealError};
use crate::crypto::server_secret::ServerSecret;
use crate::store::{DataKey, KeyChange, StoreError};

/// The requested transaction code.
#[derive(Debug, Clone)]
pub struct TxCodeChoice {
    /// Digits or text.
    pub input_mode: TxCodeInputMode,
    /// Its length.
    pub length: u8,
    /// Shown to the user by the wallet.
    pub description: Option<String>,
}

/// A validated offer request.
#[derive(Debug, Clone)]
pub struct ValidOffer {
    /// The offered configurations.
    pub configuration_ids: Vec<String>,
    /// The claims (sealed before they reach an event).
    pub claims: Map<String, Value>,
    /// The authorization-code grant instead of the pre-authorized code.
    pub authorization_code: bool,
    /// The transaction code, if one is required.
    pub tx_code: Option<TxCodeChoice>,
    /// Lifetime, seconds.
    pub expires_in: i64,
    /// Whether one redemption ends the offer.
    pub single_use: bool,
    /// The institution's subject identifier (sealed).
    pub subject: Option<String>,
    /// Where this offer's callbacks go.
    pub callback_url: Option<String>,
    /// Echoed in callbacks (sealed).
    pub correlation: Option<Value>,
    /// The issuer (`None`: the default issuer).
    pub issuer_id: Option<String>,
    /// The version of each offered configuration it is made from.
    pub configuration_versions: std::collections::BTreeMap<String, u32>,
}

/// What creation needs besides the request.
pub struct Creator<'a> {
    /// Offer commands.
    pub offers: &'a OfferRepository,
    /// Data keys.
    pub data_keys: &'a DataKeys,
    /// Derives codes.
    pub server_secret: &'a ServerSecret,
    /// Wrong transaction codes before the offer fails.
    pub tx_code_max_attempts: u32,
}

/// What [`Creator::create`] did.
pub enum Creation {
    /// The offer was created.
    Created(Executed),
    /// An idempotent retry: the offer already existed, created from the same request.
    Existing(Offer),
}

/// Why an offer was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The offer of this idempotency key had its claims erased: the request can no longer
    /// be compared with it.
    #[error("the offer created with this Idempotency-Key has had its claims erased; the request can no longer be compared with it")]
    ClaimsAlreadyErased,
    /// The idempotency key was used with another request.
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyKeyReused,
    /// A concurrent creation won and then vanished (should not happen).
    #[error("the offer was created concurrently")]
    CreatedConcurrently,
    /// The command failed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The secret store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing the personal data failed.
    #[error("cannot seal the offer's data: {0}")]
    Seal(#[from] SealError),
}

impl Creator<'_> {
    /// Records `offer` as offer `offer_id`, its personal data sealed with a new data key;
    /// `canonical_request` is the request as fingerprinted. With `idempotent`, an offer
    /// `offer_id` created from the same request is returned as [`Creation::Existing`].
    pub async fn create(
        &self,
        offer_id: Uuid,
        offer: &ValidOffer,
        canonical_request: &[u8],
        meta: &CommandMeta,
        idempotent: bool,
    ) -> Result<Creation, CreateError> {
        // What an earlier request with the same Idempotency-Key created, if anything.
        let prior = match idempotent {
            true => Some(self.offers.load(offer_id).await?),
            false => None,
        };
        if prior.as_ref().is_some_and(|offer| offer.claims_erased) {
            // The fingerprint was keyed by the destroyed data key, and a new key must not
            // appear for an erased offer.
            return Err(CreateError::ClaimsAlreadyErased);
        }
        // A fresh id (no Idempotency-Key) is known to no one else: its key is stored with
        // the offer's creation. Retries of one idempotent request may race, so they agree
        // on a key first.
        let data_key = if idempotent {
            self.data_keys
                .get_or_insert(offer_id, sealing::generate_key())
                .await?
        } else {
            sealing::generate_key()
        };
        let fingerprint = sealing::fingerprint(&data_key, canonical_request);
        if let Some(offer) = prior {
            if let Some(existing) = same_request(offer, &fingerprint)? {
                return Ok(Creation::Existing(existing));
            }
        }
        let created = self.offer_created(offer_id, offer, &data_key, fingerprint)?;
        let expires_in = Duration::seconds(offer.expires_in);
        let command = |_: &_, now| {
            OfferCommand::Create(CreateOffer {
                now,
                offer: created(now + expires_in),
            })
        };
        let executed = if idempotent {
            self.offers.execute(offer_id, meta, command).await
        } else {
            let key = KeyChange::Insert(data_key);
            self.offers
                .execute_changing_key(offer_id, meta, key, command)
                .await
        };
        match executed {
            Ok(executed) => Ok(Creation::Created(executed)),
            Err(CommandError::Rejected(OfferError::AlreadyExists)) => {
                // A concurrent retry with the same idempotency key won the race.
                same_request(self.offers.load(offer_id).await?, &fingerprint)?
                    .map(Creation::Existing)
                    .ok_or(CreateError::CreatedConcurrently)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The `OfferCreated` of a validated request: codes hashed, claims, subject and
    /// correlation sealed with the offer's data key.
    fn offer_created(
        &self,
        offer_id: Uuid,
        offer: &ValidOffer,
        data_key: &DataKey,
        fingerprint: Digest,
    ) -> Result<impl Fn(DateTime<Utc>) -> OfferCreated, SealError> {
        let secret = self.server_secret;
        let grant = if offer.authorization_code {
            OfferGrant::AuthorizationCode {
                issuer_state_hash: codes::code_hash(&codes::issuer_state(secret, offer_id)),
            }
        } else {
            OfferGrant::PreAuthorizedCode {
                code_hash: codes::code_hash(&codes::pre_authorized_code(secret, offer_id)),
                tx_code: offer.tx_code.as_ref().map(|tx| TxCodeSpec {
                    input_mode: tx.input_mode,
                    length: tx.length,
                    description: tx.description.clone(),
                    code_hash: codes::tx_code_hash(
                        secret,
                        offer_id,
                        &codes::tx_code(secret, offer_id, tx.input_mode, tx.length),
                    ),
                }),
            }
        };
        let sealed_subject = offer
            .subject
            .as_deref()
            .map(|subject| personal::seal_text(data_key, offer_id, purpose::SUBJECT, subject))
            .transpose()?;
        let sealed_correlation = offer
            .correlation
            .as_ref()
            .map(|c| sealing::seal_value(data_key, offer_id, purpose::CORRELATION, c))
            .transpose()?;
        let sealed_claims = sealing::seal(data_key, offer_id, &offer.claims)?;
        let (ids, single_use) = (offer.configuration_ids.clone(), offer.single_use);
        let callback_url = offer.callback_url.clone();
        let tx_code_max_attempts = self.tx_code_max_attempts;
        let (issuer_id, versions) = (
            offer.issuer_id.clone(),
            offer.configuration_versions.clone(),
        );
        // Sealed once; the deadline follows from the time of the decision (every retry's).
        Ok(move |expires_at| OfferCreated {
            offer_id,
            credential_configuration_ids: ids.clone(),
            grant: grant.clone(),
            single_use,
            sealed_subject: sealed_subject.clone(),
            callback_url: callback_url.clone(),
            sealed_correlation: sealed_correlation.clone(),
            expires_at,
            tx_code_max_attempts,
            sealed_claims: sealed_claims.clone(),
            request_fingerprint: fingerprint,
            legacy_subject: None,
            legacy_correlation: None,
            issuer_id: issuer_id.clone(),
            configuration_versions: versions.clone(),
        })
    }
}

/// `existing` if it was created from the request with `fingerprint` (`None` if it does not
/// exist); refused if it was created from another.
fn same_request(existing: Offer, fingerprint: &Digest) -> Result<Option<Offer>, CreateError> {
    let Some(definition) = existing.definition.as_ref() else {
        return Ok(None);
    };
    if !definition.request_fingerprint.ct_eq(fingerprint) {
        return Err(CreateError::IdempotencyKeyReused);
    }
    Ok(Some(existing))
}
