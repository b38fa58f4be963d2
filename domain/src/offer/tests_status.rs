//! Given/when/then tests of credential status changes on the offer stream, including each
//! rejection.

use super::*;
use crate::status_list::{CredentialStatus, StatusAction, StatusBits, StatusError};

fn change(n: u128, action: StatusAction, bits: StatusBits) -> OfferCommand {
    OfferCommand::ChangeCredentialStatus(ChangeCredentialStatus {
        credential_id: Uuid::from_u128(100 + n),
        action,
        reason: Some("device lost".into()),
        bits,
    })
}

fn revoke_cmd(n: u128) -> OfferCommand {
    change(n, StatusAction::Revoke, StatusBits::Two)
}

fn suspend_cmd(n: u128) -> OfferCommand {
    change(n, StatusAction::Suspend, StatusBits::Two)
}

fn reinstate_cmd(n: u128) -> OfferCommand {
    change(n, StatusAction::Reinstate, StatusBits::Two)
}

fn changed(n: u128, reason: Option<&str>) -> CredentialStatusChanged {
    CredentialStatusChanged {
        credential_id: Uuid::from_u128(100 + n),
        list_id: entry(n).list_id,
        idx: entry(n).idx,
        reason: reason.map(str::to_owned),
    }
}

fn revoked_credential(n: u128) -> OfferEvent {
    OfferEvent::CredentialRevoked(changed(n, Some("device lost")))
}

fn suspended(n: u128) -> OfferEvent {
    OfferEvent::CredentialSuspended(changed(n, Some("device lost")))
}

fn reinstated(n: u128) -> OfferEvent {
    OfferEvent::CredentialReinstated(changed(n, Some("device lost")))
}

/// An offer that issued credentials 1 and 2 (a batch) and completed.
fn issued_two() -> Vec<OfferEvent> {
    vec![
        created(),
        redeemed(&[IDENTITY]),
        issued(IDENTITY, 1),
        issued(IDENTITY, 2),
        completed(),
    ]
}

fn with(mut history: Vec<OfferEvent>, more: &[OfferEvent]) -> Vec<OfferEvent> {
    history.extend_from_slice(more);
    history
}

#[test]
fn an_issued_credential_starts_valid_with_its_entry() {
    let offer = Offer::from_events(&issued_two());
    let credential = offer.credential(Uuid::from_u128(101)).unwrap();
    assert_eq!(credential.entry, Some(entry(1)));
    assert_eq!(credential.status, CredentialStatus::Valid);
}

#[test]
fn issuing_records_the_status_entries() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(issue_cmd(IDENTITY, 2))
        .then_expect_events(vec![issued(IDENTITY, 0), issued(IDENTITY, 1), completed()]);
}

#[test]
fn a_valid_credential_is_revoked_suspended_and_the_suspended_one_reinstated() {
    OfferTest::with(())
        .given(issued_two())
        .when(revoke_cmd(1))
        .then_expect_events(vec![revoked_credential(1)]);
    OfferTest::with(())
        .given(issued_two())
        .when(suspend_cmd(2))
        .then_expect_events(vec![suspended(2)]);
    OfferTest::with(())
        .given(with(issued_two(), &[suspended(2)]))
        .when(reinstate_cmd(2))
        .then_expect_events(vec![reinstated(2)]);
    OfferTest::with(())
        .given(with(issued_two(), &[suspended(2)]))
        .when(revoke_cmd(2))
        .then_expect_events(vec![revoked_credential(2)]);
}

#[test]
fn the_state_follows_the_changes() {
    let offer = Offer::from_events(&with(issued_two(), &[suspended(2), revoked_credential(1)]));
    assert_eq!(
        offer.credential(Uuid::from_u128(101)).unwrap().status,
        CredentialStatus::Revoked
    );
    assert_eq!(
        offer.credential(Uuid::from_u128(102)).unwrap().status,
        CredentialStatus::Suspended
    );
    let offer = Offer::from_events(&with(issued_two(), &[suspended(2), reinstated(2)]));
    assert_eq!(
        offer.credential(Uuid::from_u128(102)).unwrap().status,
        CredentialStatus::Valid
    );
}

#[test]
fn revoked_is_final() {
    for command in [revoke_cmd(1), suspend_cmd(1), reinstate_cmd(1)] {
        OfferTest::with(())
            .given(with(issued_two(), &[revoked_credential(1)]))
            .when(command)
            .then_expect_error(OfferError::CredentialStatus(StatusError::AlreadyRevoked));
    }
}

#[test]
fn reinstate_only_from_suspended() {
    OfferTest::with(())
        .given(issued_two())
        .when(reinstate_cmd(1))
        .then_expect_error(OfferError::CredentialStatus(StatusError::NotSuspended));
}

#[test]
fn suspending_twice_is_rejected() {
    OfferTest::with(())
        .given(with(issued_two(), &[suspended(1)]))
        .when(suspend_cmd(1))
        .then_expect_error(OfferError::CredentialStatus(StatusError::AlreadySuspended));
}

#[test]
fn a_one_bit_list_cannot_suspend_but_can_revoke() {
    OfferTest::with(())
        .given(issued_two())
        .when(change(1, StatusAction::Suspend, StatusBits::One))
        .then_expect_error(OfferError::CredentialStatus(
            StatusError::SuspensionUnsupported,
        ));
    OfferTest::with(())
        .given(issued_two())
        .when(change(1, StatusAction::Revoke, StatusBits::One))
        .then_expect_events(vec![revoked_credential(1)]);
}

#[test]
fn an_unknown_credential_is_rejected() {
    OfferTest::with(())
        .given(issued_two())
        .when(revoke_cmd(9))
        .then_expect_error(OfferError::UnknownCredential);
}

#[test]
fn a_status_change_on_a_missing_offer_is_rejected() {
    OfferTest::with(())
        .given_no_previous_events()
        .when(revoke_cmd(1))
        .then_expect_error(OfferError::NotFound);
    OfferTest::with(())
        .given_no_previous_events()
        .when(OfferCommand::RevokeCredentials(RevokeCredentials {
            reason: None,
        }))
        .then_expect_error(OfferError::NotFound);
}

#[test]
fn a_credential_issued_before_status_existed_has_no_status_to_change() {
    let mut old = issued(IDENTITY, 1);
    if let OfferEvent::CredentialIssued(issued) = &mut old {
        issued.status = None;
    }
    let history = vec![created(), redeemed(&[IDENTITY]), old, completed()];
    assert_eq!(
        Offer::from_events(&history)
            .credential(Uuid::from_u128(101))
            .unwrap()
            .entry,
        None
    );
    OfferTest::with(())
        .given(history.clone())
        .when(revoke_cmd(1))
        .then_expect_error(OfferError::NoCredentialStatus);
    // Revoking all of them finds nothing to revoke.
    OfferTest::with(())
        .given(history)
        .when(OfferCommand::RevokeCredentials(RevokeCredentials {
            reason: None,
        }))
        .then_expect_events(vec![]);
}

#[test]
fn status_changes_are_possible_after_the_offer_ended_and_after_erasure() {
    for tail in [vec![], vec![revoked()], vec![erased()]] {
        OfferTest::with(())
            .given(with(issued_two(), &tail))
            .when(revoke_cmd(1))
            .then_expect_events(vec![revoked_credential(1)]);
    }
}

#[test]
fn revoking_all_credentials_skips_the_revoked_ones_and_is_idempotent() {
    let all = OfferCommand::RevokeCredentials(RevokeCredentials {
        reason: Some("account closed".into()),
    });
    let revoked_all = |n| OfferEvent::CredentialRevoked(changed(n, Some("account closed")));
    OfferTest::with(())
        .given(with(issued_two(), &[suspended(2)]))
        .when(all.clone())
        .then_expect_events(vec![revoked_all(1), revoked_all(2)]);
    OfferTest::with(())
        .given(with(issued_two(), &[revoked_credential(1)]))
        .when(all.clone())
        .then_expect_events(vec![revoked_all(2)]);
    OfferTest::with(())
        .given(with(
            issued_two(),
            &[revoked_credential(1), revoked_credential(2)],
        ))
        .when(all)
        .then_expect_events(vec![]);
}

#[test]
fn erasing_a_live_multi_use_offer_revokes_its_issued_credentials_and_the_offer() {
    let history = vec![
        created_multi_use(),
        redeemed(&[IDENTITY]),
        issued(IDENTITY, 1),
        issued(IDENTITY, 2),
        revoked_credential(2),
    ];
    let reason = Some(REVOCATION_CLAIMS_ERASED);
    OfferTest::with(())
        .given(history)
        .when(erase())
        .then_expect_events(vec![
            OfferEvent::CredentialRevoked(changed(1, reason)),
            OfferEvent::OfferRevoked(OfferRevoked {
                reason: reason.map(str::to_owned),
            }),
            erased(),
        ]);
}

#[test]
fn erasing_a_completed_offer_leaves_its_credentials_valid() {
    OfferTest::with(())
        .given(issued_two())
        .when(erase())
        .then_expect_events(vec![erased()]);
}

#[test]
fn status_events_round_trip_through_the_codec_and_old_issued_events_decode() {
    for event in [
        revoked_credential(1),
        suspended(1),
        reinstated(1),
        issued(IDENTITY, 1),
    ] {
        let decoded =
            OfferEvent::decode(event.event_type(), event.event_version(), &event.payload())
                .unwrap();
        assert_eq!(decoded, event);
    }
    let mut payload = issued(IDENTITY, 1).payload();
    payload.as_object_mut().unwrap().remove("status");
    let OfferEvent::CredentialIssued(old) =
        OfferEvent::decode("CredentialIssued", 2, &payload).unwrap()
    else {
        panic!("not a CredentialIssued");
    };
    assert_eq!(old.status, None);
    assert_eq!(
        revoked_credential(1).payload(),
        serde_json::json!({
            "credential_id": Uuid::from_u128(101),
            "list_id": entry(1).list_id,
            "idx": 1001,
            "reason": "device lost",
        })
    );
}
