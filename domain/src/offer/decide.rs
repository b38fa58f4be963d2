//! `decide(state, command)`: every business rule of the Offer aggregate.
//!
//! A rejected command returns a typed [`OfferError`] and no events. One rejection is itself
//! a fact worth recording: a wrong transaction code returns `Ok` with a `TxCodeRejected`
//! event (and `OfferFailed` when it was the last attempt), and the caller reports the
//! rejection to the wallet after appending them.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::command::*;
use super::credential_status;
use super::error::OfferError;
use super::event::*;
use super::state::{Offer, OfferStatus, Redemption};
use crate::digest::Digest;

mod redeem;
pub use redeem::ensure_authorizable;
use redeem::redeem;

/// Smallest and largest transaction code length (management API contract).
pub const TX_CODE_LENGTH_RANGE: std::ops::RangeInclusive<u8> = 4..=12;

/// Decides which events a command produces against the current state.
pub fn decide(offer: &Offer, command: OfferCommand) -> Result<Vec<OfferEvent>, OfferError> {
    match command {
        OfferCommand::Create(c) => create(offer, c),
        OfferCommand::Redeem(c) => redeem(offer, c),
        OfferCommand::IssueCredentials(c) => issue(offer, c),
        OfferCommand::RecordNotification(c) => notify(offer, c),
        OfferCommand::Expire(c) => expire(offer, c),
        OfferCommand::Revoke(c) => revoke(offer, c),
        OfferCommand::Fail(c) => fail(offer, c),
        OfferCommand::EraseClaims(c) => erase(offer, c),
        OfferCommand::RevokeRedemption(c) => revoke_redemption(offer, c),
        OfferCommand::ChangeCredentialStatus(c) => credential_status::change(offer, c),
        OfferCommand::RevokeCredentials(c) => credential_status::revoke_all(offer, c),
    }
}

fn create(offer: &Offer, command: CreateOffer) -> Result<Vec<OfferEvent>, OfferError> {
    if offer.definition.is_some() {
        return Err(OfferError::AlreadyExists);
    }
    let created = command.offer;
    let ids = &created.credential_configuration_ids;
    let tx_code_length_valid = match &created.grant {
        OfferGrant::PreAuthorizedCode {
            tx_code: Some(tx), ..
        } => TX_CODE_LENGTH_RANGE.contains(&tx.length),
        _ => true,
    };
    // The first problem found, in this order.
    let problems = [
        (ids.is_empty(), "no credential configuration offered"),
        (
            ids.iter().collect::<BTreeSet<_>>().len() != ids.len(),
            "credential configurations repeat",
        ),
        (
            created.expires_at <= command.now,
            "expires_at must be in the future",
        ),
        // Personal data enters the log sealed only (it must become unreadable on erasure).
        (
            created.legacy_subject.is_some() || created.legacy_correlation.is_some(),
            "subject and correlation must be sealed",
        ),
        (
            created.tx_code_max_attempts == 0,
            "tx_code_max_attempts must be at least 1",
        ),
        (!tx_code_length_valid, "tx_code length must be 4 to 12"),
    ];
    if let Some((_, problem)) = problems.iter().find(|(found, _)| *found) {
        return Err(OfferError::InvalidOffer((*problem).to_string()));
    }
    Ok(vec![OfferEvent::OfferCreated(created)])
}

/// Rejects commands on offers that are gone for the wallet: terminal or past the deadline.
fn ensure_live(offer: &Offer) -> Result<(), OfferError> {
    offer.definition()?;
    match offer.status {
        OfferStatus::Expired => Err(OfferError::Expired),
        OfferStatus::Revoked => Err(OfferError::Revoked),
        OfferStatus::Completed => Err(OfferError::Completed),
        OfferStatus::Failed => Err(OfferError::Failed(
            offer
                .failure
                .as_ref()
                .map_or_else(String::new, |f| f.code.clone()),
        )),
        OfferStatus::Created | OfferStatus::Redeemed | OfferStatus::Issuing => Ok(()),
    }
}

/// Checks that credentials of `configuration_id` may be issued now under the access token
/// `(redemption_id, token_hash)` presented with the DPoP key `dpop_jkt` (`None`: a bearer
/// request), and returns its redemption.
///
/// [`decide`] applies the same checks to `IssueCredentials`; the credential endpoint calls
/// this first so that it can refuse a request before consuming nonces or signing anything.
pub fn ensure_issuable<'a>(
    offer: &'a Offer,
    redemption_id: Uuid,
    token_hash: &Digest,
    dpop_jkt: Option<&str>,
    configuration_id: &str,
    now: DateTime<Utc>,
) -> Result<&'a Redemption, OfferError> {
    ensure_live(offer)?;
    let definition = offer.definition()?;
    if offer.claims_erased {
        return Err(OfferError::ClaimsErased);
    }
    let redemption = offer.usable_redemption(redemption_id, token_hash, dpop_jkt)?;
    if now >= redemption.token_expires_at {
        return Err(OfferError::TokenExpired);
    }
    let configuration_id = configuration_id.to_string();
    if !definition
        .credential_configuration_ids
        .contains(&configuration_id)
    {
        return Err(OfferError::NotOffered(configuration_id));
    }
    if !redemption
        .credential_configuration_ids
        .contains(&configuration_id)
    {
        return Err(OfferError::NotCovered(configuration_id));
    }
    if redemption
        .issued_configuration_ids
        .contains(&configuration_id)
    {
        return Err(OfferError::AlreadyIssued(configuration_id));
    }
    Ok(redemption)
}

fn issue(offer: &Offer, command: IssueCredentials) -> Result<Vec<OfferEvent>, OfferError> {
    ensure_issuable(
        offer,
        command.redemption_id,
        &command.token_hash,
        command.dpop_jkt.as_deref(),
        &command.credential_configuration_id,
        command.now,
    )?;
    let definition = offer.definition()?;
    redeem::ensure_issuer(definition, command.issuer_id.as_deref())?;
    let configuration_id = command.credential_configuration_id;
    if command.credentials.is_empty() {
        return Err(OfferError::NoCredentials);
    }
    let mut events: Vec<OfferEvent> = command
        .credentials
        .into_iter()
        .map(|credential| {
            OfferEvent::CredentialIssued(CredentialIssued {
                redemption_id: command.redemption_id,
                credential_configuration_id: configuration_id.clone(),
                credential_id: credential.credential_id,
                sealed_holder_key_thumbprint: Some(credential.sealed_holder_key_thumbprint),
                credential_hash: credential.credential_hash,
                notification_id: command.notification_id.clone(),
                credential_expires_at: credential.credential_expires_at,
                status: credential.status,
                legacy_holder_key_thumbprint: None,
            })
        })
        .collect();
    if offer.is_single_use() {
        let mut issued: BTreeSet<&str> = offer.issued_configuration_ids().collect();
        issued.insert(&configuration_id);
        let all_issued = definition
            .credential_configuration_ids
            .iter()
            .all(|id| issued.contains(id.as_str()));
        if all_issued {
            events.push(OfferEvent::OfferCompleted(OfferCompleted {}));
        }
    }
    Ok(events)
}

fn notify(offer: &Offer, command: RecordNotification) -> Result<Vec<OfferEvent>, OfferError> {
    offer.definition()?;
    let redemption = offer.usable_redemption(
        command.redemption_id,
        &command.token_hash,
        command.dpop_jkt.as_deref(),
    )?;
    if !redemption
        .notification_ids
        .contains(&command.notification_id)
    {
        return Err(OfferError::UnknownNotificationId);
    }
    if offer.was_notified(&command.notification_id, command.event) {
        // The notification endpoint is idempotent (OID4VCI 1.0 §11).
        return Ok(vec![]);
    }
    Ok(vec![OfferEvent::NotificationReceived(
        NotificationReceived {
            notification_id: command.notification_id,
            event: command.event,
            event_description: command.event_description,
        },
    )])
}

fn ensure_not_terminal(offer: &Offer) -> Result<(), OfferError> {
    offer.definition()?;
    if offer.status.is_terminal() {
        return Err(OfferError::Terminal(offer.status));
    }
    Ok(())
}

fn expire(offer: &Offer, command: ExpireOffer) -> Result<Vec<OfferEvent>, OfferError> {
    ensure_not_terminal(offer)?;
    match offer.deadline() {
        Some(deadline) if command.now >= deadline => {
            Ok(vec![OfferEvent::OfferExpired(OfferExpired {})])
        }
        _ => Err(OfferError::NotYetExpired),
    }
}

fn revoke(offer: &Offer, command: RevokeOffer) -> Result<Vec<OfferEvent>, OfferError> {
    ensure_not_terminal(offer)?;
    Ok(vec![OfferEvent::OfferRevoked(OfferRevoked {
        reason: command.reason,
    })])
}

fn fail(offer: &Offer, command: FailOffer) -> Result<Vec<OfferEvent>, OfferError> {
    ensure_not_terminal(offer)?;
    Ok(vec![OfferEvent::OfferFailed(OfferFailed {
        code: command.code,
        description: command.description,
    })])
}

/// Erasing the claims of a live offer first revokes its credentials and the offer itself:
/// nothing can be issued from it any more, and what was issued from claims the issuer
/// no longer holds is withdrawn. A finished offer's credentials stay as they are.
fn erase(offer: &Offer, command: EraseClaims) -> Result<Vec<OfferEvent>, OfferError> {
    offer.definition()?;
    if offer.claims_erased {
        return Err(OfferError::ClaimsAlreadyErased);
    }
    let mut events = Vec::new();
    if !offer.status.is_terminal() {
        events.extend(credential_status::revocations(
            offer,
            Some(REVOCATION_CLAIMS_ERASED),
        ));
        events.push(OfferEvent::OfferRevoked(OfferRevoked {
            reason: Some(REVOCATION_CLAIMS_ERASED.into()),
        }));
    }
    events.push(OfferEvent::ClaimsErased(ClaimsErased {
        reason: command.reason,
    }));
    Ok(events)
}

fn revoke_redemption(
    offer: &Offer,
    command: RevokeRedemption,
) -> Result<Vec<OfferEvent>, OfferError> {
    offer.definition()?;
    if offer.is_revoked(command.redemption_id) {
        return Ok(vec![]);
    }
    Ok(vec![OfferEvent::RedemptionRevoked(RedemptionRevoked {
        redemption_id: command.redemption_id,
        reason: command.reason,
    })])
}
