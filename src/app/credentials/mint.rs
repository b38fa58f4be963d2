//! The steps of minting: opening the claims, allocating status entries, signing one
//! credential and describing it for its event.

use chrono::{DateTime, Duration, Utc};
use issuance_credential::VerifiedProof;
use issuance_domain::offer::{NewCredential, Offer};
use issuance_domain::sealed::purpose;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{CredentialSigner, MintError};
use crate::app::offers::personal;
use crate::app::offers::DataKeys;
use crate::crypto::{sealing, sha256};
use crate::status::{Allocated, StatusLists};
use crate::store::DataKey;

/// The offer's data key and its claims, decrypted with it; without a key they were erased.
pub async fn open_claims(
    data_keys: &DataKeys,
    offer: &Offer,
) -> Result<(DataKey, Map<String, Value>), MintError> {
    let definition = offer
        .definition
        .as_ref()
        .ok_or_else(|| MintError::Internal("issuable offer without definition".into()))?;
    let key = data_keys
        .get(definition.offer_id)
        .await?
        .ok_or(MintError::ClaimsErased)?;
    let claims = sealing::open(&key, definition.offer_id, &definition.sealed_claims)
        .map_err(|e| MintError::Internal(e.to_string()))?;
    Ok((key, claims))
}

/// One status list entry per credential (none when status lists are off, or for a format
/// that does not carry one yet): distinct indexes, also for a batch's copies.
pub async fn allocate_statuses(
    status_lists: &StatusLists,
    signer: &CredentialSigner<'_>,
    count: usize,
) -> Result<Vec<Allocated>, MintError> {
    if !status_lists.settings.enabled || !signer.carries_status() {
        return Ok(Vec::new());
    }
    status_lists
        .allocator
        .allocate(count)
        .await
        .map_err(|e| MintError::Internal(e.to_string()))
}

/// Signs one credential for `proof`'s key, with its status list entry, and describes it
/// for the event: its hash (of the `credential` value as sent), the holder key's thumbprint
/// sealed with the offer's data key, and the status entry.
pub fn mint(
    signer: &CredentialSigner,
    (proof, status): (&VerifiedProof, Option<&Allocated>),
    now: DateTime<Utc>,
    (key, offer_id): (&DataKey, Uuid),
) -> Result<(String, NewCredential), MintError> {
    let validity = i64::try_from(signer.validity_seconds()).unwrap_or(i64::MAX / 2);
    // Whole seconds, as in the credential, so the event records exactly that.
    let issued_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let expires_at = issued_at + Duration::seconds(validity);
    let credential = signer.sign(
        proof,
        status.map(|(_, reference)| reference),
        issued_at,
        expires_at,
    )?;
    let record = NewCredential {
        credential_id: Uuid::new_v4(),
        sealed_holder_key_thumbprint: personal::seal_text(
            key,
            offer_id,
            purpose::HOLDER_KEY_THUMBPRINT,
            &proof.thumbprint,
        )
        .map_err(|e| MintError::Internal(e.to_string()))?,
        credential_hash: sha256(credential.as_bytes()),
        credential_expires_at: expires_at,
        status: status.map(|(entry, _)| *entry),
    };
    Ok((credential, record))
}
