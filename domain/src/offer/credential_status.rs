//! Status changes of the credentials issued from an offer: revoke, suspend, reinstate
//! (decided with
//! [`CredentialStatus::after`](crate::status_list::CredentialStatus::after)), and the
//! revocation of every credential at once (an operator's request, or erasure of a live
//! offer's claims).

use uuid::Uuid;

use super::command::{ChangeCredentialStatus, RevokeCredentials};
use super::error::OfferError;
use super::event::{CredentialStatusChanged, OfferEvent};
use super::state::Offer;
use crate::status_list::{StatusAction, StatusBits};

/// The event of `command`, or why it is refused: an unknown credential, one without a
/// status entry, or a change its status does not allow.
pub(super) fn change(
    offer: &Offer,
    command: ChangeCredentialStatus,
) -> Result<Vec<OfferEvent>, OfferError> {
    offer.definition()?;
    let credential = offer
        .credential(command.credential_id)
        .ok_or(OfferError::UnknownCredential)?;
    let entry = credential.entry.ok_or(OfferError::NoCredentialStatus)?;
    credential.status.after(command.action, command.bits)?;
    let changed = CredentialStatusChanged {
        credential_id: command.credential_id,
        list_id: entry.list_id,
        idx: entry.idx,
        reason: command.reason,
    };
    Ok(vec![match command.action {
        StatusAction::Revoke => OfferEvent::CredentialRevoked(changed),
        StatusAction::Suspend => OfferEvent::CredentialSuspended(changed),
        StatusAction::Reinstate => OfferEvent::CredentialReinstated(changed),
    }])
}

/// `CredentialRevoked` for each credential with a status that is not revoked yet.
pub(super) fn revoke_all(
    offer: &Offer,
    command: RevokeCredentials,
) -> Result<Vec<OfferEvent>, OfferError> {
    offer.definition()?;
    Ok(revocations(offer, command.reason.as_deref()))
}

/// The revocations of every credential of `offer` that may still be revoked, in credential
/// id order.
pub(super) fn revocations(offer: &Offer, reason: Option<&str>) -> Vec<OfferEvent> {
    offer
        .credentials
        .iter()
        // Revocation needs no particular width: any list can say INVALID.
        .filter(|(_, c)| {
            c.status
                .after(StatusAction::Revoke, StatusBits::One)
                .is_ok()
        })
        .filter_map(|(id, c)| Some((*id, c.entry?)))
        .map(|(credential_id, entry): (Uuid, _)| {
            OfferEvent::CredentialRevoked(CredentialStatusChanged {
                credential_id,
                list_id: entry.list_id,
                idx: entry.idx,
                reason: reason.map(str::to_owned),
            })
        })
        .collect()
}
