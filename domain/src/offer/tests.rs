//! Given/when/then tests of every Offer command in every state, including each rejection.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::digest::Digest;

type OfferTest = TestFramework<Offer>;

const IDENTITY: &str = "IdentityCredential";
const ACCOUNT: &str = "AccountCredential";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

fn offer_id() -> Uuid {
    Uuid::from_u128(0x6a1f0e9e_0000_4000_8000_000000000001)
}

fn code() -> Digest {
    Digest([1; 32])
}

fn tx() -> Digest {
    Digest([2; 32])
}

fn wrong() -> Digest {
    Digest([9; 32])
}

fn token() -> Digest {
    Digest([3; 32])
}

/// The redemption cap of the commands (`offers.max_redemptions`).
const MAX_REDEMPTIONS: u32 = 10_000;

fn redemption_id() -> Uuid {
    Uuid::from_u128(7)
}

fn sealed() -> SealedClaims {
    SealedClaims {
        alg: "A256GCM".into(),
        nonce: "bm9uY2U".into(),
        ciphertext: "Y2lwaGVy".into(),
    }
}

/// An offer of `ids`, pre-authorized with a 6-digit tx code, single use, expiring at +300 s.
fn created_with(ids: &[&str], single_use: bool, tx_code: bool) -> OfferCreated {
    OfferCreated {
        offer_id: offer_id(),
        credential_configuration_ids: ids.iter().map(|s| s.to_string()).collect(),
        grant: OfferGrant::PreAuthorizedCode {
            code_hash: code(),
            tx_code: tx_code.then(|| TxCodeSpec {
                input_mode: TxCodeInputMode::Numeric,
                length: 6,
                description: Some("Code sent by SMS".into()),
                code_hash: tx(),
            }),
        },
        single_use,
        sealed_subject: Some(sealed()),
        callback_url: None,
        sealed_correlation: None,
        expires_at: at(300),
        tx_code_max_attempts: 3,
        sealed_claims: sealed(),
        request_fingerprint: Digest([4; 32]),
        legacy_subject: None,
        legacy_correlation: None,
        issuer_id: None,
        configuration_versions: Default::default(),
    }
}

fn created() -> OfferEvent {
    OfferEvent::OfferCreated(created_with(&[IDENTITY], true, true))
}

fn created_two() -> OfferEvent {
    OfferEvent::OfferCreated(created_with(&[IDENTITY, ACCOUNT], true, true))
}

fn created_multi_use() -> OfferEvent {
    OfferEvent::OfferCreated(created_with(&[IDENTITY], false, false))
}

fn new_redemption(id: Uuid) -> NewRedemption {
    NewRedemption {
        redemption_id: id,
        token_hash: token(),
        token_expires_at: at(400),
        requested_configuration_ids: None,
        client_id: None,
        dpop_jkt: None,
        attested_wallet: None,
    }
}

fn redeem_with(
    code_hash: Digest,
    tx_code_hash: Option<Digest>,
    now: DateTime<Utc>,
) -> OfferCommand {
    OfferCommand::Redeem(RedeemOffer {
        issuer_id: None,
        now,
        grant: PresentedGrant::PreAuthorizedCode {
            code_hash,
            tx_code_hash,
        },
        redemption: new_redemption(redemption_id()),
        max_redemptions: MAX_REDEMPTIONS,
    })
}

fn redeem() -> OfferCommand {
    redeem_with(code(), Some(tx()), at(10))
}

fn redeemed(covering: &[&str]) -> OfferEvent {
    OfferEvent::OfferRedeemed(OfferRedeemed {
        redemption_id: redemption_id(),
        grant: GRANT_PRE_AUTHORIZED_CODE.into(),
        token_hash: token(),
        token_expires_at: at(400),
        credential_configuration_ids: covering.iter().map(|s| s.to_string()).collect(),
        client_id: None,
        dpop_jkt: None,
        attested_wallet: None,
    })
}

fn new_credential(n: u128) -> NewCredential {
    NewCredential {
        credential_id: Uuid::from_u128(100 + n),
        sealed_holder_key_thumbprint: Sealed {
            ciphertext: format!("thumb-{n}"),
            ..sealed()
        },
        credential_hash: Digest([n as u8; 32]),
        credential_expires_at: at(86_400),
        status: Some(entry(n)),
    }
}

/// The status entry of test credential `n`.
fn entry(n: u128) -> StatusEntry {
    StatusEntry {
        list_id: Uuid::from_u128(0x5151),
        idx: 1000 + n as u32,
    }
}

fn issue_cmd(configuration: &str, count: u128) -> OfferCommand {
    OfferCommand::IssueCredentials(IssueCredentials {
        issuer_id: None,
        now: at(20),
        redemption_id: redemption_id(),
        token_hash: token(),
        dpop_jkt: None,
        credential_configuration_id: configuration.into(),
        notification_id: format!("n-{configuration}"),
        credentials: (0..count).map(new_credential).collect(),
    })
}

fn issued(configuration: &str, n: u128) -> OfferEvent {
    let credential = new_credential(n);
    OfferEvent::CredentialIssued(CredentialIssued {
        redemption_id: redemption_id(),
        credential_configuration_id: configuration.into(),
        credential_id: credential.credential_id,
        sealed_holder_key_thumbprint: Some(credential.sealed_holder_key_thumbprint),
        credential_hash: credential.credential_hash,
        notification_id: format!("n-{configuration}"),
        credential_expires_at: credential.credential_expires_at,
        status: credential.status,
        legacy_holder_key_thumbprint: None,
    })
}

fn completed() -> OfferEvent {
    OfferEvent::OfferCompleted(OfferCompleted {})
}

fn notify_cmd(notification_id: &str, event: NotificationEvent) -> OfferCommand {
    OfferCommand::RecordNotification(RecordNotification {
        redemption_id: redemption_id(),
        token_hash: token(),
        dpop_jkt: None,
        notification_id: notification_id.into(),
        event,
        event_description: None,
    })
}

fn failed_tx() -> OfferEvent {
    OfferEvent::OfferFailed(OfferFailed {
        code: FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED.into(),
        description: "the transaction code was entered wrongly too many times".into(),
    })
}

fn rejected(remaining: u32) -> OfferEvent {
    OfferEvent::TxCodeRejected(TxCodeRejected {
        attempts_remaining: remaining,
    })
}

fn expire_at(seconds: i64) -> OfferCommand {
    OfferCommand::Expire(ExpireOffer { now: at(seconds) })
}

fn revoke() -> OfferCommand {
    OfferCommand::Revoke(RevokeOffer {
        reason: Some("customer cancelled".into()),
    })
}

fn revoked() -> OfferEvent {
    OfferEvent::OfferRevoked(OfferRevoked {
        reason: Some("customer cancelled".into()),
    })
}

fn fail() -> OfferCommand {
    OfferCommand::Fail(FailOffer {
        code: "issuance_failed".into(),
        description: "signing key unavailable".into(),
    })
}

fn erase() -> OfferCommand {
    OfferCommand::EraseClaims(EraseClaims {
        reason: "admin_request".into(),
    })
}

fn erased() -> OfferEvent {
    OfferEvent::ClaimsErased(ClaimsErased {
        reason: "admin_request".into(),
    })
}

fn expired() -> OfferEvent {
    OfferEvent::OfferExpired(OfferExpired {})
}

/// The thumbprint of the DPoP key of bound tokens in these tests.
const JKT: &str = "dpop-key-thumbprint";

/// A redemption whose token is DPoP-bound to [`JKT`].
fn redeemed_bound(covering: &[&str]) -> OfferEvent {
    let mut event = redeemed(covering);
    if let OfferEvent::OfferRedeemed(r) = &mut event {
        r.dpop_jkt = Some(JKT.into());
    }
    event
}

fn revoke_redemption_cmd() -> OfferCommand {
    OfferCommand::RevokeRedemption(RevokeRedemption {
        redemption_id: redemption_id(),
        reason: REVOCATION_AUTHORIZATION_CODE_REPLAYED.into(),
    })
}

fn redemption_revoked() -> OfferEvent {
    OfferEvent::RedemptionRevoked(RedemptionRevoked {
        redemption_id: redemption_id(),
        reason: REVOCATION_AUTHORIZATION_CODE_REPLAYED.into(),
    })
}

/// An authorization-code offer of `ids` whose issuer state hashes to [`code`].
fn created_authorization_code(ids: &[&str]) -> OfferEvent {
    let mut offer = created_with(ids, true, false);
    offer.grant = OfferGrant::AuthorizationCode {
        issuer_state_hash: code(),
    };
    OfferEvent::OfferCreated(offer)
}

fn redeem_authorization_code(issuer_state_hash: Digest, now: DateTime<Utc>) -> OfferCommand {
    OfferCommand::Redeem(RedeemOffer {
        issuer_id: None,
        now,
        grant: PresentedGrant::AuthorizationCode { issuer_state_hash },
        redemption: new_redemption(redemption_id()),
        max_redemptions: MAX_REDEMPTIONS,
    })
}

/// The event histories of every reachable state of a single-use, two-credential offer.
fn histories() -> Vec<(&'static str, Vec<OfferEvent>)> {
    vec![
        ("CREATED", vec![created_two()]),
        (
            "REDEEMED",
            vec![created_two(), redeemed(&[IDENTITY, ACCOUNT])],
        ),
        (
            "ISSUING",
            vec![
                created_two(),
                redeemed(&[IDENTITY, ACCOUNT]),
                issued(IDENTITY, 1),
            ],
        ),
        (
            "COMPLETED",
            vec![
                created_two(),
                redeemed(&[IDENTITY, ACCOUNT]),
                issued(IDENTITY, 1),
                issued(ACCOUNT, 2),
                completed(),
            ],
        ),
        ("EXPIRED", vec![created_two(), expired()]),
        (
            "FAILED",
            vec![
                created_two(),
                rejected(2),
                rejected(1),
                rejected(0),
                failed_tx(),
            ],
        ),
        ("REVOKED", vec![created_two(), revoked()]),
    ]
}

fn status_of(history: &[OfferEvent]) -> OfferStatus {
    Offer::from_events(history).status
}

// ---- create ----

#[test]
fn creating_a_new_offer_records_it() {
    OfferTest::with(())
        .given_no_previous_events()
        .when(OfferCommand::Create(CreateOffer {
            now: t0(),
            offer: created_with(&[IDENTITY], true, true),
        }))
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_an_existing_offer_is_rejected_in_every_state() {
    for (state, history) in histories() {
        let result = decide(
            &Offer::from_events(&history),
            OfferCommand::Create(CreateOffer {
                now: t0(),
                offer: created_with(&[IDENTITY], true, true),
            }),
        );
        assert_eq!(result, Err(OfferError::AlreadyExists), "state {state}");
    }
}

#[test]
fn creating_without_configurations_is_rejected() {
    let mut offer = created_with(&[], true, false);
    offer.credential_configuration_ids.clear();
    let result = decide(
        &Offer::default(),
        OfferCommand::Create(CreateOffer { now: t0(), offer }),
    );
    assert!(matches!(result, Err(OfferError::InvalidOffer(_))));
}

#[test]
fn creating_with_repeated_configurations_is_rejected() {
    let offer = created_with(&[IDENTITY, IDENTITY], true, false);
    let result = decide(
        &Offer::default(),
        OfferCommand::Create(CreateOffer { now: t0(), offer }),
    );
    assert!(matches!(result, Err(OfferError::InvalidOffer(_))));
}

#[test]
fn creating_an_already_expired_offer_is_rejected() {
    let offer = created_with(&[IDENTITY], true, false);
    let result = decide(
        &Offer::default(),
        OfferCommand::Create(CreateOffer {
            now: at(300),
            offer,
        }),
    );
    assert!(matches!(result, Err(OfferError::InvalidOffer(_))));
}

#[test]
fn creating_with_a_tx_code_of_bad_length_is_rejected() {
    for length in [3u8, 13] {
        let mut offer = created_with(&[IDENTITY], true, true);
        if let OfferGrant::PreAuthorizedCode {
            tx_code: Some(tx), ..
        } = &mut offer.grant
        {
            tx.length = length;
        }
        let result = decide(
            &Offer::default(),
            OfferCommand::Create(CreateOffer { now: t0(), offer }),
        );
        assert!(
            matches!(result, Err(OfferError::InvalidOffer(_))),
            "length {length}"
        );
    }
}

#[test]
fn creating_with_zero_tx_code_attempts_is_rejected() {
    let mut offer = created_with(&[IDENTITY], true, true);
    offer.tx_code_max_attempts = 0;
    let result = decide(
        &Offer::default(),
        OfferCommand::Create(CreateOffer { now: t0(), offer }),
    );
    assert!(matches!(result, Err(OfferError::InvalidOffer(_))));
}

// ---- commands on an offer that does not exist ----

#[test]
fn every_other_command_on_a_missing_offer_is_not_found() {
    for command in [
        redeem(),
        issue_cmd(IDENTITY, 1),
        notify_cmd("n", NotificationEvent::CredentialAccepted),
        expire_at(400),
        revoke(),
        fail(),
        erase(),
        revoke_redemption_cmd(),
    ] {
        assert_eq!(
            decide(&Offer::default(), command.clone()),
            Err(OfferError::NotFound),
            "{command:?}"
        );
    }
}

// ---- redeem ----

#[test]
fn redeeming_with_the_right_codes_grants_a_token() {
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem())
        .then_expect_events(vec![redeemed(&[IDENTITY])]);
}

#[test]
fn redeeming_moves_a_single_use_offer_to_redeemed() {
    assert_eq!(
        status_of(&[created(), redeemed(&[IDENTITY])]),
        OfferStatus::Redeemed
    );
}

#[test]
fn redeeming_a_wrong_pre_authorized_code_is_rejected_without_counting() {
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem_with(wrong(), Some(tx()), at(10)))
        .then_expect_error(OfferError::InvalidCode);
}

#[test]
fn a_wrong_tx_code_is_recorded_with_attempts_remaining() {
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem_with(code(), Some(wrong()), at(10)))
        .then_expect_events(vec![rejected(2)]);
    OfferTest::with(())
        .given(vec![created(), rejected(2)])
        .when(redeem_with(code(), Some(wrong()), at(10)))
        .then_expect_events(vec![rejected(1)]);
}

#[test]
fn the_third_wrong_tx_code_locks_the_offer() {
    OfferTest::with(())
        .given(vec![created(), rejected(2), rejected(1)])
        .when(redeem_with(code(), Some(wrong()), at(10)))
        .then_expect_events(vec![rejected(0), failed_tx()]);
    assert_eq!(
        status_of(&[
            created(),
            rejected(2),
            rejected(1),
            rejected(0),
            failed_tx()
        ]),
        OfferStatus::Failed
    );
}

#[test]
fn a_fourth_tx_code_attempt_is_rejected_even_when_right() {
    OfferTest::with(())
        .given(vec![
            created(),
            rejected(2),
            rejected(1),
            rejected(0),
            failed_tx(),
        ])
        .when(redeem())
        .then_expect_error(OfferError::Failed(
            FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED.into(),
        ));
}

#[test]
fn a_right_tx_code_after_wrong_ones_redeems() {
    OfferTest::with(())
        .given(vec![created(), rejected(2)])
        .when(redeem())
        .then_expect_events(vec![redeemed(&[IDENTITY])]);
}

#[test]
fn a_missing_tx_code_is_rejected_without_counting() {
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem_with(code(), None, at(10)))
        .then_expect_error(OfferError::TxCodeRequired);
}

#[test]
fn an_unexpected_tx_code_is_rejected() {
    OfferTest::with(())
        .given(vec![created_multi_use()])
        .when(redeem_with(code(), Some(tx()), at(10)))
        .then_expect_error(OfferError::TxCodeNotExpected);
}

#[test]
fn redeeming_an_expired_offer_is_rejected_at_the_deadline() {
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem_with(code(), Some(tx()), at(300)))
        .then_expect_error(OfferError::Expired);
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem_with(code(), Some(tx()), at(299)))
        .then_expect_events(vec![redeemed(&[IDENTITY])]);
}

#[test]
fn redeeming_a_single_use_offer_twice_is_rejected() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(redeem())
        .then_expect_error(OfferError::AlreadyRedeemed);
}

#[test]
fn a_multi_use_offer_can_be_redeemed_many_times_and_stays_created() {
    let first = OfferEvent::OfferRedeemed(OfferRedeemed {
        redemption_id: Uuid::from_u128(1),
        grant: GRANT_PRE_AUTHORIZED_CODE.into(),
        token_hash: Digest([5; 32]),
        token_expires_at: at(400),
        credential_configuration_ids: vec![IDENTITY.into()],
        client_id: None,
        dpop_jkt: None,
        attested_wallet: None,
    });
    OfferTest::with(())
        .given(vec![created_multi_use(), first.clone()])
        .when(redeem_with(code(), None, at(10)))
        .then_expect_events(vec![redeemed(&[IDENTITY])]);
    assert_eq!(
        status_of(&[created_multi_use(), first, redeemed(&[IDENTITY])]),
        OfferStatus::Created
    );
}

/// A multi-use offer redeemed `n` times (redemption ids 1000..).
fn multi_use_redeemed(n: u128) -> Vec<OfferEvent> {
    let mut events = vec![created_multi_use()];
    for i in 0..n {
        let mut event = redeemed(&[IDENTITY]);
        if let OfferEvent::OfferRedeemed(r) = &mut event {
            r.redemption_id = Uuid::from_u128(1000 + i);
        }
        events.push(event);
    }
    events
}

fn redeem_capped(max_redemptions: u32) -> OfferCommand {
    let mut command = redeem_with(code(), None, at(10));
    if let OfferCommand::Redeem(r) = &mut command {
        r.max_redemptions = max_redemptions;
    }
    command
}

#[test]
fn a_multi_use_offer_is_redeemed_up_to_its_cap_and_refused_beyond() {
    OfferTest::with(())
        .given(multi_use_redeemed(2))
        .when(redeem_capped(3))
        .then_expect_events(vec![redeemed(&[IDENTITY])]);
    OfferTest::with(())
        .given(multi_use_redeemed(3))
        .when(redeem_capped(3))
        .then_expect_error(OfferError::RedemptionLimitReached(3));
    // A lowered cap refuses offers already beyond it.
    OfferTest::with(())
        .given(multi_use_redeemed(5))
        .when(redeem_capped(3))
        .then_expect_error(OfferError::RedemptionLimitReached(3));
}

#[test]
fn a_spent_offer_counts_no_transaction_code_attempt() {
    let mut created = created_with(&[IDENTITY], false, true);
    created.single_use = false;
    let mut events = vec![OfferEvent::OfferCreated(created)];
    events.extend(multi_use_redeemed(1).into_iter().skip(1));
    let mut command = redeem_with(code(), Some(wrong()), at(10));
    if let OfferCommand::Redeem(r) = &mut command {
        r.max_redemptions = 1;
    }
    OfferTest::with(())
        .given(events)
        .when(command)
        .then_expect_error(OfferError::RedemptionLimitReached(1));
}

#[test]
fn an_authorization_code_offer_is_capped_too() {
    let mut created = created_with(&[IDENTITY], false, false);
    created.grant = OfferGrant::AuthorizationCode {
        issuer_state_hash: code(),
    };
    let mut events = vec![OfferEvent::OfferCreated(created)];
    events.extend(multi_use_redeemed(2).into_iter().skip(1));
    let offer = Offer::from_events(&events);
    assert_eq!(
        ensure_authorizable(&offer, &code(), None, 2, at(10)),
        Err(OfferError::RedemptionLimitReached(2))
    );
    assert!(ensure_authorizable(&offer, &code(), None, 3, at(10)).is_ok());
    let mut command = redeem_authorization_code(code(), at(10));
    if let OfferCommand::Redeem(r) = &mut command {
        r.max_redemptions = 2;
    }
    assert_eq!(
        decide(&offer, command),
        Err(OfferError::RedemptionLimitReached(2))
    );
}

#[test]
fn redemptions_are_indexed_by_id_and_counted() {
    let offer = Offer::from_events(&multi_use_redeemed(500));
    assert_eq!(offer.redemptions.len(), 500);
    assert!(offer.redemption(Uuid::from_u128(1250), &token()).is_some());
    assert!(offer.redemption(Uuid::from_u128(1250), &wrong()).is_none());
    assert!(offer.redemption(Uuid::from_u128(7), &token()).is_none());
    assert_eq!(offer.latest_token_expires_at, Some(at(400)));
    assert_eq!(offer.deadline(), Some(at(400)));
}

#[test]
fn a_cloned_state_shares_its_redemptions_until_it_changes() {
    let offer = Offer::from_events(&multi_use_redeemed(100));
    let mut copy = offer.clone();
    assert!(std::sync::Arc::ptr_eq(
        &offer.redemptions,
        &copy.redemptions
    ));
    copy.apply(redeemed(&[IDENTITY]));
    assert!(!std::sync::Arc::ptr_eq(
        &offer.redemptions,
        &copy.redemptions
    ));
    assert_eq!(
        (offer.redemptions.len(), copy.redemptions.len()),
        (100, 101)
    );
    // Unchanged redemptions are still shared one by one.
    let id = Uuid::from_u128(1000);
    assert!(std::sync::Arc::ptr_eq(
        &offer.redemptions[&id],
        &copy.redemptions[&id]
    ));
}

#[test]
fn redeeming_in_terminal_states_is_rejected() {
    let expected = [
        ("COMPLETED", OfferError::Completed),
        ("EXPIRED", OfferError::Expired),
        (
            "FAILED",
            OfferError::Failed(FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED.into()),
        ),
        ("REVOKED", OfferError::Revoked),
        ("REDEEMED", OfferError::AlreadyRedeemed),
        ("ISSUING", OfferError::AlreadyRedeemed),
    ];
    for (state, history) in histories() {
        if let Some((_, error)) = expected.iter().find(|(s, _)| *s == state) {
            assert_eq!(
                decide(&Offer::from_events(&history), redeem()),
                Err(error.clone()),
                "state {state}"
            );
        }
    }
}

#[test]
fn redeeming_with_the_wrong_grant_is_rejected() {
    let command = OfferCommand::Redeem(RedeemOffer {
        issuer_id: None,
        now: at(10),
        grant: PresentedGrant::AuthorizationCode {
            issuer_state_hash: code(),
        },
        redemption: new_redemption(redemption_id()),
        max_redemptions: MAX_REDEMPTIONS,
    });
    OfferTest::with(())
        .given(vec![created()])
        .when(command)
        .then_expect_error(OfferError::GrantMismatch);
}

#[test]
fn an_authorization_code_offer_is_redeemed_with_its_issuer_state() {
    let mut offer = created_with(&[IDENTITY], true, false);
    offer.grant = OfferGrant::AuthorizationCode {
        issuer_state_hash: code(),
    };
    let command = |hash| {
        OfferCommand::Redeem(RedeemOffer {
            issuer_id: None,
            now: at(10),
            grant: PresentedGrant::AuthorizationCode {
                issuer_state_hash: hash,
            },
            redemption: new_redemption(redemption_id()),
            max_redemptions: MAX_REDEMPTIONS,
        })
    };
    let result = decide(
        &Offer::from_events(&[OfferEvent::OfferCreated(offer.clone())]),
        command(code()),
    )
    .unwrap();
    assert!(
        matches!(&result[..], [OfferEvent::OfferRedeemed(r)] if r.grant == GRANT_AUTHORIZATION_CODE)
    );
    let wrong_state = decide(
        &Offer::from_events(&[OfferEvent::OfferCreated(offer)]),
        command(wrong()),
    );
    assert_eq!(wrong_state, Err(OfferError::InvalidCode));
}

#[test]
fn redeeming_may_narrow_to_requested_configurations() {
    let mut command = redeem();
    if let OfferCommand::Redeem(r) = &mut command {
        r.redemption.requested_configuration_ids = Some(vec![ACCOUNT.into()]);
    }
    OfferTest::with(())
        .given(vec![created_two()])
        .when(command)
        .then_expect_events(vec![redeemed(&[ACCOUNT])]);
}

#[test]
fn requesting_a_configuration_that_was_not_offered_is_rejected() {
    let mut command = redeem();
    if let OfferCommand::Redeem(r) = &mut command {
        r.redemption.requested_configuration_ids = Some(vec![ACCOUNT.into()]);
    }
    OfferTest::with(())
        .given(vec![created()])
        .when(command)
        .then_expect_error(OfferError::NotOffered(ACCOUNT.into()));
}

#[test]
fn requesting_no_configuration_is_rejected() {
    let mut command = redeem();
    if let OfferCommand::Redeem(r) = &mut command {
        r.redemption.requested_configuration_ids = Some(vec![]);
    }
    assert!(matches!(
        decide(&Offer::from_events(&[created()]), command),
        Err(OfferError::InvalidOffer(_))
    ));
}

// ---- issue ----

#[test]
fn issuing_the_only_configuration_completes_the_offer() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_events(vec![issued(IDENTITY, 0), completed()]);
}

#[test]
fn a_batch_records_one_event_per_credential() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(issue_cmd(IDENTITY, 2))
        .then_expect_events(vec![issued(IDENTITY, 0), issued(IDENTITY, 1), completed()]);
}

#[test]
fn issuing_one_of_two_configurations_moves_to_issuing_then_completed() {
    let history = vec![created_two(), redeemed(&[IDENTITY, ACCOUNT])];
    OfferTest::with(())
        .given(history.clone())
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_events(vec![issued(IDENTITY, 0)]);
    let mut issuing = history;
    issuing.push(issued(IDENTITY, 0));
    assert_eq!(status_of(&issuing), OfferStatus::Issuing);
    OfferTest::with(())
        .given(issuing)
        .when(issue_cmd(ACCOUNT, 1))
        .then_expect_events(vec![issued(ACCOUNT, 0), completed()]);
}

#[test]
fn issuing_the_same_configuration_twice_is_rejected() {
    OfferTest::with(())
        .given(vec![
            created_two(),
            redeemed(&[IDENTITY, ACCOUNT]),
            issued(IDENTITY, 0),
        ])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_error(OfferError::AlreadyIssued(IDENTITY.into()));
}

#[test]
fn issuing_without_a_redemption_is_rejected() {
    OfferTest::with(())
        .given(vec![created()])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_error(OfferError::InvalidToken);
}

#[test]
fn issuing_with_a_wrong_token_is_rejected() {
    let mut command = issue_cmd(IDENTITY, 1);
    if let OfferCommand::IssueCredentials(c) = &mut command {
        c.token_hash = wrong();
    }
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(command)
        .then_expect_error(OfferError::InvalidToken);
}

#[test]
fn issuing_with_an_expired_token_is_rejected() {
    let mut command = issue_cmd(IDENTITY, 1);
    if let OfferCommand::IssueCredentials(c) = &mut command {
        c.now = at(400);
    }
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(command)
        .then_expect_error(OfferError::TokenExpired);
}

#[test]
fn issuing_a_configuration_not_offered_is_rejected() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(issue_cmd(ACCOUNT, 1))
        .then_expect_error(OfferError::NotOffered(ACCOUNT.into()));
}

#[test]
fn issuing_a_configuration_the_token_does_not_cover_is_rejected() {
    OfferTest::with(())
        .given(vec![created_two(), redeemed(&[ACCOUNT])])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_error(OfferError::NotCovered(IDENTITY.into()));
}

#[test]
fn issuing_nothing_is_rejected() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(issue_cmd(IDENTITY, 0))
        .then_expect_error(OfferError::NoCredentials);
}

#[test]
fn issuing_after_erasure_is_rejected() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY]), erased()])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_error(OfferError::ClaimsErased);
}

#[test]
fn issuing_in_terminal_states_is_rejected() {
    let expected = [
        ("COMPLETED", OfferError::Completed),
        ("EXPIRED", OfferError::Expired),
        (
            "FAILED",
            OfferError::Failed(FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED.into()),
        ),
        ("REVOKED", OfferError::Revoked),
    ];
    for (state, history) in histories() {
        if let Some((_, error)) = expected.iter().find(|(s, _)| *s == state) {
            assert_eq!(
                decide(&Offer::from_events(&history), issue_cmd(IDENTITY, 1)),
                Err(error.clone()),
                "state {state}"
            );
        }
    }
}

#[test]
fn a_token_of_a_revoked_offer_no_longer_issues() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY]), revoked()])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_error(OfferError::Revoked);
}

#[test]
fn a_multi_use_offer_issues_per_redemption_and_never_completes() {
    OfferTest::with(())
        .given(vec![created_multi_use(), redeemed(&[IDENTITY])])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_events(vec![issued(IDENTITY, 0)]);
    assert_eq!(
        status_of(&[
            created_multi_use(),
            redeemed(&[IDENTITY]),
            issued(IDENTITY, 0)
        ]),
        OfferStatus::Created
    );
}

#[test]
fn the_issuance_pre_check_agrees_with_decide_in_every_state() {
    let mut cases = histories();
    cases.push(("ERASED", vec![created(), redeemed(&[IDENTITY]), erased()]));
    cases.push(("NARROWED", vec![created_two(), redeemed(&[ACCOUNT])]));
    cases.push((
        "TOKEN_REVOKED",
        vec![created(), redeemed(&[IDENTITY]), redemption_revoked()],
    ));
    cases.push(("DPOP_BOUND", vec![created(), redeemed_bound(&[IDENTITY])]));
    for (state, history) in cases {
        let offer = Offer::from_events(&history);
        for configuration in [IDENTITY, ACCOUNT, "Unknown"] {
            for (token_hash, now) in [(token(), at(20)), (wrong(), at(20)), (token(), at(400))] {
                for jkt in [None, Some(JKT), Some("other-key")] {
                    let mut command = issue_cmd(configuration, 1);
                    if let OfferCommand::IssueCredentials(c) = &mut command {
                        c.token_hash = token_hash;
                        c.now = now;
                        c.dpop_jkt = jkt.map(str::to_string);
                    }
                    let decided = decide(&offer, command).map(|_| ());
                    let checked = ensure_issuable(
                        &offer,
                        redemption_id(),
                        &token_hash,
                        jkt,
                        configuration,
                        now,
                    )
                    .map(|_| ());
                    assert_eq!(checked, decided, "state {state}, {configuration}, {jkt:?}");
                }
            }
        }
    }
}

#[test]
fn the_issuance_pre_check_returns_the_redemption_and_its_client() {
    let mut redemption = redeemed(&[IDENTITY]);
    if let OfferEvent::OfferRedeemed(r) = &mut redemption {
        r.client_id = Some("wallet-app".into());
    }
    let offer = Offer::from_events(&[created(), redemption]);
    let found = ensure_issuable(&offer, redemption_id(), &token(), None, IDENTITY, at(20)).unwrap();
    assert_eq!(found.client_id.as_deref(), Some("wallet-app"));
    assert_eq!(
        found.credential_configuration_ids,
        vec![IDENTITY.to_string()]
    );
}

// ---- notification ----

#[test]
fn a_notification_for_an_issued_credential_is_recorded() {
    OfferTest::with(())
        .given(vec![
            created(),
            redeemed(&[IDENTITY]),
            issued(IDENTITY, 0),
            completed(),
        ])
        .when(notify_cmd(
            "n-IdentityCredential",
            NotificationEvent::CredentialAccepted,
        ))
        .then_expect_events(vec![OfferEvent::NotificationReceived(
            NotificationReceived {
                notification_id: "n-IdentityCredential".into(),
                event: NotificationEvent::CredentialAccepted,
                event_description: None,
            },
        )]);
}

#[test]
fn a_repeated_notification_is_idempotent() {
    let received = OfferEvent::NotificationReceived(NotificationReceived {
        notification_id: "n-IdentityCredential".into(),
        event: NotificationEvent::CredentialAccepted,
        event_description: None,
    });
    OfferTest::with(())
        .given(vec![
            created(),
            redeemed(&[IDENTITY]),
            issued(IDENTITY, 0),
            completed(),
            received,
        ])
        .when(notify_cmd(
            "n-IdentityCredential",
            NotificationEvent::CredentialAccepted,
        ))
        .then_expect_events(vec![]);
}

#[test]
fn an_unknown_notification_id_is_rejected() {
    OfferTest::with(())
        .given(vec![
            created(),
            redeemed(&[IDENTITY]),
            issued(IDENTITY, 0),
            completed(),
        ])
        .when(notify_cmd("n-other", NotificationEvent::CredentialDeleted))
        .then_expect_error(OfferError::UnknownNotificationId);
}

#[test]
fn a_notification_with_a_foreign_token_is_rejected() {
    let mut command = notify_cmd("n-IdentityCredential", NotificationEvent::CredentialFailure);
    if let OfferCommand::RecordNotification(n) = &mut command {
        n.token_hash = wrong();
    }
    OfferTest::with(())
        .given(vec![
            created(),
            redeemed(&[IDENTITY]),
            issued(IDENTITY, 0),
            completed(),
        ])
        .when(command)
        .then_expect_error(OfferError::InvalidToken);
}

#[test]
fn a_notification_before_issuance_is_rejected() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(notify_cmd(
            "n-IdentityCredential",
            NotificationEvent::CredentialAccepted,
        ))
        .then_expect_error(OfferError::UnknownNotificationId);
}

// ---- expire ----

#[test]
fn expiring_after_the_deadline_records_it() {
    OfferTest::with(())
        .given(vec![created()])
        .when(expire_at(300))
        .then_expect_events(vec![expired()]);
    assert_eq!(status_of(&[created(), expired()]), OfferStatus::Expired);
}

#[test]
fn expiring_before_the_deadline_is_rejected() {
    OfferTest::with(())
        .given(vec![created()])
        .when(expire_at(299))
        .then_expect_error(OfferError::NotYetExpired);
}

#[test]
fn a_live_access_token_extends_the_deadline() {
    let history = vec![created(), redeemed(&[IDENTITY])];
    OfferTest::with(())
        .given(history.clone())
        .when(expire_at(350))
        .then_expect_error(OfferError::NotYetExpired);
    OfferTest::with(())
        .given(history)
        .when(expire_at(400))
        .then_expect_events(vec![expired()]);
}

#[test]
fn expiring_a_terminal_offer_is_rejected() {
    for (state, history) in histories() {
        let status = status_of(&history);
        if status.is_terminal() {
            assert_eq!(
                decide(&Offer::from_events(&history), expire_at(10_000)),
                Err(OfferError::Terminal(status)),
                "state {state}"
            );
        } else {
            assert_eq!(
                decide(&Offer::from_events(&history), expire_at(10_000)),
                Ok(vec![expired()]),
                "state {state}"
            );
        }
    }
}

// ---- revoke ----

#[test]
fn revoking_a_live_offer_records_it_in_every_live_state() {
    for (state, history) in histories() {
        let status = status_of(&history);
        let result = decide(&Offer::from_events(&history), revoke());
        if status.is_terminal() {
            assert_eq!(result, Err(OfferError::Terminal(status)), "state {state}");
        } else {
            assert_eq!(result, Ok(vec![revoked()]), "state {state}");
        }
    }
}

#[test]
fn revoking_a_completed_offer_is_rejected() {
    OfferTest::with(())
        .given(vec![
            created(),
            redeemed(&[IDENTITY]),
            issued(IDENTITY, 0),
            completed(),
        ])
        .when(revoke())
        .then_expect_error(OfferError::Terminal(OfferStatus::Completed));
}

// ---- fail ----

#[test]
fn failing_a_live_offer_records_it_in_every_live_state() {
    for (state, history) in histories() {
        let status = status_of(&history);
        let result = decide(&Offer::from_events(&history), fail());
        if status.is_terminal() {
            assert_eq!(result, Err(OfferError::Terminal(status)), "state {state}");
        } else {
            assert!(
                matches!(&result.unwrap()[..], [OfferEvent::OfferFailed(f)] if f.code == "issuance_failed"),
                "state {state}"
            );
        }
    }
}

// ---- erase ----

#[test]
fn erasing_claims_is_possible_in_every_state_and_revokes_a_live_offer_first() {
    let revoked_for_erasure = |n| {
        OfferEvent::CredentialRevoked(CredentialStatusChanged {
            credential_id: Uuid::from_u128(100 + n),
            list_id: entry(n).list_id,
            idx: entry(n).idx,
            reason: Some(REVOCATION_CLAIMS_ERASED.into()),
        })
    };
    let offer_revoked = OfferEvent::OfferRevoked(OfferRevoked {
        reason: Some(REVOCATION_CLAIMS_ERASED.into()),
    });
    for (state, history) in histories() {
        let expected = match state {
            "CREATED" | "REDEEMED" => vec![offer_revoked.clone(), erased()],
            "ISSUING" => vec![revoked_for_erasure(1), offer_revoked.clone(), erased()],
            _ => vec![erased()],
        };
        assert_eq!(
            decide(&Offer::from_events(&history), erase()),
            Ok(expected),
            "state {state}"
        );
    }
}

#[test]
fn erasing_twice_is_rejected() {
    OfferTest::with(())
        .given(vec![created(), erased()])
        .when(erase())
        .then_expect_error(OfferError::ClaimsAlreadyErased);
}

// ---- revoke one access token ----

#[test]
fn revoking_a_redemption_records_it() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(revoke_redemption_cmd())
        .then_expect_events(vec![redemption_revoked()]);
}

#[test]
fn revoking_a_redemption_twice_records_nothing_the_second_time() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY]), redemption_revoked()])
        .when(revoke_redemption_cmd())
        .then_expect_events(vec![]);
}

#[test]
fn revoking_a_redemption_is_possible_in_every_state() {
    for (state, history) in histories() {
        let result = decide(&Offer::from_events(&history), revoke_redemption_cmd());
        assert_eq!(result, Ok(vec![redemption_revoked()]), "state {state}");
    }
}

#[test]
fn a_revoked_token_issues_nothing() {
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY]), redemption_revoked()])
        .when(issue_cmd(IDENTITY, 1))
        .then_expect_error(OfferError::TokenRevoked);
}

#[test]
fn a_revoked_token_records_no_notification() {
    OfferTest::with(())
        .given(vec![
            created_two(),
            redeemed(&[IDENTITY, ACCOUNT]),
            issued(IDENTITY, 1),
            redemption_revoked(),
        ])
        .when(notify_cmd(
            "n-IdentityCredential",
            NotificationEvent::CredentialAccepted,
        ))
        .then_expect_error(OfferError::TokenRevoked);
}

#[test]
fn revoking_before_the_redemption_refuses_the_redemption() {
    // A replayed authorization code revokes the token while its first exchange is still
    // redeeming the offer: the revocation must win whichever lands first.
    OfferTest::with(())
        .given(vec![
            created_authorization_code(&[IDENTITY]),
            redemption_revoked(),
        ])
        .when(redeem_authorization_code(code(), at(10)))
        .then_expect_error(OfferError::TokenRevoked);
}

#[test]
fn revoking_one_redemption_leaves_the_others_working() {
    let mut other = redeemed(&[IDENTITY]);
    if let OfferEvent::OfferRedeemed(r) = &mut other {
        r.redemption_id = Uuid::from_u128(8);
    }
    let offer = Offer::from_events(&[
        created_multi_use(),
        redeemed(&[IDENTITY]),
        other,
        redemption_revoked(),
    ]);
    assert!(offer.redemptions[&redemption_id()].revoked);
    assert!(!offer.redemptions[&Uuid::from_u128(8)].revoked);
    assert!(ensure_issuable(&offer, Uuid::from_u128(8), &token(), None, IDENTITY, at(20)).is_ok());
    assert_eq!(
        ensure_issuable(&offer, redemption_id(), &token(), None, IDENTITY, at(20)).err(),
        Some(OfferError::TokenRevoked)
    );
}

// ---- sender-constrained (DPoP) tokens ----

#[test]
fn a_dpop_bound_token_issues_with_a_proof_of_its_key() {
    let mut command = issue_cmd(IDENTITY, 1);
    if let OfferCommand::IssueCredentials(c) = &mut command {
        c.dpop_jkt = Some(JKT.into());
    }
    OfferTest::with(())
        .given(vec![created(), redeemed_bound(&[IDENTITY])])
        .when(command)
        .then_expect_events(vec![issued(IDENTITY, 0), completed()]);
}

#[test]
fn a_dpop_bound_token_is_refused_with_another_key_or_as_a_bearer_token() {
    for presented in [None, Some("another-key")] {
        let mut command = issue_cmd(IDENTITY, 1);
        if let OfferCommand::IssueCredentials(c) = &mut command {
            c.dpop_jkt = presented.map(str::to_string);
        }
        OfferTest::with(())
            .given(vec![created(), redeemed_bound(&[IDENTITY])])
            .when(command)
            .then_expect_error(OfferError::TokenBindingMismatch);
    }
}

#[test]
fn a_bearer_token_presented_as_dpop_is_refused() {
    let mut command = issue_cmd(IDENTITY, 1);
    if let OfferCommand::IssueCredentials(c) = &mut command {
        c.dpop_jkt = Some(JKT.into());
    }
    OfferTest::with(())
        .given(vec![created(), redeemed(&[IDENTITY])])
        .when(command)
        .then_expect_error(OfferError::TokenBindingMismatch);
}

#[test]
fn notifications_under_a_dpop_bound_token_need_its_key() {
    let given = vec![
        created_two(),
        redeemed_bound(&[IDENTITY, ACCOUNT]),
        issued(IDENTITY, 1),
    ];
    let with_key = |jkt: Option<&str>| {
        let mut command = notify_cmd(
            "n-IdentityCredential",
            NotificationEvent::CredentialAccepted,
        );
        if let OfferCommand::RecordNotification(c) = &mut command {
            c.dpop_jkt = jkt.map(str::to_string);
        }
        command
    };
    assert_eq!(
        decide(&Offer::from_events(&given), with_key(None)),
        Err(OfferError::TokenBindingMismatch)
    );
    assert!(matches!(
        decide(&Offer::from_events(&given), with_key(Some(JKT))).as_deref(),
        Ok([OfferEvent::NotificationReceived(_)])
    ));
}

#[test]
fn a_redemption_records_its_dpop_binding_and_client() {
    let mut command = redeem_authorization_code(code(), at(10));
    if let OfferCommand::Redeem(r) = &mut command {
        r.redemption.dpop_jkt = Some(JKT.into());
        r.redemption.client_id = Some("wallet".into());
    }
    let mut expected = redeemed_bound(&[IDENTITY]);
    if let OfferEvent::OfferRedeemed(r) = &mut expected {
        r.grant = GRANT_AUTHORIZATION_CODE.into();
        r.client_id = Some("wallet".into());
    }
    OfferTest::with(())
        .given(vec![created_authorization_code(&[IDENTITY])])
        .when(command)
        .then_expect_events(vec![expected]);
}

// ---- the authorization pre-check ----

#[test]
fn an_authorization_code_offer_is_authorizable_with_its_issuer_state() {
    let offer = Offer::from_events(&[created_authorization_code(&[IDENTITY, ACCOUNT])]);
    assert_eq!(
        ensure_authorizable(&offer, &code(), None, MAX_REDEMPTIONS, at(10)),
        Ok(vec![IDENTITY.to_string(), ACCOUNT.to_string()])
    );
    assert_eq!(
        ensure_authorizable(
            &offer,
            &code(),
            Some(&[ACCOUNT.to_string()]),
            MAX_REDEMPTIONS,
            at(10)
        ),
        Ok(vec![ACCOUNT.to_string()])
    );
}

/// An offer, a presented issuer state, the configurations asked for, the time, and the
/// expected refusal.
type PreCheckCase = (
    Offer,
    Digest,
    Option<Vec<String>>,
    DateTime<Utc>,
    OfferError,
);

#[test]
fn the_authorization_pre_check_refuses_what_the_redemption_would_refuse() {
    let offer = |events: Vec<OfferEvent>| Offer::from_events(&events);
    let authorization_code = created_authorization_code(&[IDENTITY]);
    let redeemed_once = OfferEvent::OfferRedeemed(OfferRedeemed {
        grant: GRANT_AUTHORIZATION_CODE.into(),
        ..match redeemed(&[IDENTITY]) {
            OfferEvent::OfferRedeemed(r) => r,
            _ => unreachable!(),
        }
    });
    let cases: Vec<PreCheckCase> = vec![
        (offer(vec![]), code(), None, at(10), OfferError::NotFound),
        (
            offer(vec![authorization_code.clone()]),
            wrong(),
            None,
            at(10),
            OfferError::InvalidCode,
        ),
        (
            offer(vec![created()]),
            code(),
            None,
            at(10),
            OfferError::GrantMismatch,
        ),
        (
            offer(vec![authorization_code.clone()]),
            code(),
            None,
            at(300),
            OfferError::Expired,
        ),
        (
            offer(vec![authorization_code.clone(), revoked()]),
            code(),
            None,
            at(10),
            OfferError::Revoked,
        ),
        (
            offer(vec![authorization_code.clone(), redeemed_once]),
            code(),
            None,
            at(10),
            OfferError::AlreadyRedeemed,
        ),
        (
            offer(vec![authorization_code.clone()]),
            code(),
            Some(vec![ACCOUNT.into()]),
            at(10),
            OfferError::NotOffered(ACCOUNT.into()),
        ),
    ];
    for (offer, issuer_state, requested, now, expected) in cases {
        assert_eq!(
            ensure_authorizable(
                &offer,
                &issuer_state,
                requested.as_deref(),
                MAX_REDEMPTIONS,
                now
            ),
            Err(expected.clone())
        );
        let mut command = redeem_authorization_code(issuer_state, now);
        if let OfferCommand::Redeem(r) = &mut command {
            r.redemption.requested_configuration_ids = requested;
        }
        assert_eq!(decide(&offer, command), Err(expected));
    }
}

// ---- state and serialisation ----

#[test]
fn the_fold_counts_versions_and_tracks_attempts() {
    let offer = Offer::from_events(&[created(), rejected(2)]);
    assert_eq!(offer.version, 2);
    assert_eq!(offer.tx_code_attempts_remaining, 2);
    assert_eq!(offer.status, OfferStatus::Created);
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    let events = vec![
        created(),
        rejected(2),
        redeemed(&[IDENTITY]),
        issued(IDENTITY, 0),
        completed(),
        failed_tx(),
        expired(),
        revoked(),
        OfferEvent::NotificationReceived(NotificationReceived {
            notification_id: "n".into(),
            event: NotificationEvent::CredentialDeleted,
            event_description: Some("gone".into()),
        }),
        erased(),
        redemption_revoked(),
    ];
    let mut events = events;
    let changed = CredentialStatusChanged {
        credential_id: Uuid::from_u128(100),
        list_id: entry(0).list_id,
        idx: entry(0).idx,
        reason: None,
    };
    events.extend([
        OfferEvent::CredentialRevoked(changed.clone()),
        OfferEvent::CredentialSuspended(changed.clone()),
        OfferEvent::CredentialReinstated(changed),
    ]);
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, EVENT_TYPES.to_vec());
    for event in events {
        let decoded =
            OfferEvent::decode(event.event_type(), event.event_version(), &event.payload())
                .unwrap();
        assert_eq!(decoded, event);
    }
}

#[test]
fn decoding_rejects_unknown_types_and_future_versions() {
    let payload = serde_json::json!({});
    assert!(matches!(
        OfferEvent::decode("Nope", 1, &payload),
        Err(DecodeError::UnknownType(_))
    ));
    assert!(matches!(
        OfferEvent::decode("OfferCompleted", 2, &payload),
        Err(DecodeError::UnsupportedVersion { .. })
    ));
    assert!(matches!(
        OfferEvent::decode("OfferCreated", 3, &payload),
        Err(DecodeError::UnsupportedVersion { .. })
    ));
    assert!(matches!(
        OfferEvent::decode("TxCodeRejected", 1, &payload),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn events_that_held_personal_data_are_written_at_version_2_without_plaintext() {
    let created = created();
    let issued = issued(IDENTITY, 0);
    assert_eq!(created.event_version(), 2);
    assert_eq!(issued.event_version(), 2);
    assert_eq!(rejected(2).event_version(), 1);
    for event in [&created, &issued] {
        let payload = event.payload();
        for plaintext in [
            "subject",
            "correlation",
            "holder_key_thumbprint",
            "legacy_subject",
        ] {
            assert!(payload.get(plaintext).is_none(), "{plaintext} in {payload}");
        }
    }
    assert_eq!(
        created.payload()["sealed_subject"],
        serde_json::json!(sealed())
    );
}

#[test]
fn version_1_events_are_upcast_with_their_plaintext_kept_apart() {
    let OfferEvent::OfferCreated(mut v2) = created() else {
        unreachable!()
    };
    v2.sealed_subject = None;
    let mut v1 = OfferEvent::OfferCreated(v2.clone()).payload();
    v1["subject"] = serde_json::json!("customer-4711");
    v1["correlation"] = serde_json::json!({"case": 17});
    let OfferEvent::OfferCreated(upcast) = OfferEvent::decode("OfferCreated", 1, &v1).unwrap()
    else {
        unreachable!()
    };
    assert_eq!(upcast.legacy_subject.as_deref(), Some("customer-4711"));
    assert_eq!(
        upcast.legacy_correlation,
        Some(serde_json::json!({"case": 17}))
    );
    assert_eq!(
        OfferCreated {
            legacy_subject: None,
            legacy_correlation: None,
            issuer_id: None,
            configuration_versions: Default::default(),
            ..upcast.clone()
        },
        v2
    );
    // Written again (it never is), the plaintext would not be.
    assert!(OfferEvent::OfferCreated(upcast)
        .payload()
        .get("subject")
        .is_none());
    // A version-2 payload's stray plaintext is not read as such.
    let stray = OfferEvent::decode("OfferCreated", 2, &v1).unwrap();
    assert_eq!(stray, OfferEvent::OfferCreated(v2));

    let OfferEvent::CredentialIssued(mut issued) = issued(IDENTITY, 0) else {
        unreachable!()
    };
    issued.sealed_holder_key_thumbprint = None;
    let mut v1 = OfferEvent::CredentialIssued(issued.clone()).payload();
    v1["holder_key_thumbprint"] = serde_json::json!("thumb");
    let upcast = OfferEvent::decode("CredentialIssued", 1, &v1).unwrap();
    issued.legacy_holder_key_thumbprint = Some("thumb".into());
    assert_eq!(upcast, OfferEvent::CredentialIssued(issued));
    // Version 1 required the thumbprint.
    v1.as_object_mut().unwrap().remove("holder_key_thumbprint");
    assert!(matches!(
        OfferEvent::decode("CredentialIssued", 1, &v1),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn an_offer_is_never_created_with_plaintext_personal_data() {
    for (subject, correlation) in [
        (Some("customer-4711".to_string()), None),
        (None, Some(serde_json::json!({"case": 1}))),
    ] {
        let mut offer = created_with(&[IDENTITY], true, true);
        offer.legacy_subject = subject;
        offer.legacy_correlation = correlation;
        let command = OfferCommand::Create(CreateOffer { now: at(0), offer });
        assert!(matches!(
            decide(&Offer::default(), command),
            Err(OfferError::InvalidOffer(_))
        ));
    }
}

#[test]
fn stream_ids_round_trip() {
    assert_eq!(offer_id_of_stream(&stream_id(offer_id())), Some(offer_id()));
    assert_eq!(offer_id_of_stream("authz-123"), None);
}

#[test]
fn statuses_parse_their_api_names() {
    for (_, history) in histories() {
        let status = status_of(&history);
        assert_eq!(OfferStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(OfferStatus::parse("nope"), None);
}

/// Revoke, suspend, reinstate.
#[path = "tests_status.rs"]
mod status;

#[path = "tests_issuer.rs"]
mod issuer;
