//! Every rule of the status list model, including every refused change.

use chrono::{DateTime, TimeZone, Utc};

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_750_000_000 + seconds, 0).unwrap()
}

const ALL_BITS: [StatusBits; 4] = [
    StatusBits::One,
    StatusBits::Two,
    StatusBits::Four,
    StatusBits::Eight,
];

fn list(bits: StatusBits) -> StatusListState {
    StatusListState::open(bits, 16, at(0)).unwrap()
}

/// A 2-bit list of 16 entries with index 3 allocated at t=1.
fn list_with_3() -> StatusListState {
    let mut state = list(StatusBits::Two);
    let fact = state.allocate(3, at(1)).unwrap();
    state.apply(&fact);
    state
}

fn apply_change(state: &mut StatusListState, index: u32, action: StatusAction, t: i64) {
    let fact = state.change(index, action, at(t)).unwrap();
    state.apply(&fact);
}

// --- bits and values -------------------------------------------------------------------

#[test]
fn bit_widths_are_1_2_4_and_8_and_nothing_else() {
    for bits in 0..=u8::MAX {
        let expected = [1, 2, 4, 8].contains(&bits);
        assert_eq!(StatusBits::new(bits).is_some(), expected, "bits {bits}");
        assert_eq!(StatusBits::try_from(bits).is_ok(), expected, "bits {bits}");
    }
    assert_eq!(StatusBits::try_from(3), Err(StatusError::InvalidBits(3)));
}

#[test]
fn each_width_knows_its_entries_per_byte_and_largest_value() {
    let table = [(1, 8, 1), (2, 4, 3), (4, 2, 15), (8, 1, 255)];
    for (bits, per_byte, max) in table {
        let width = StatusBits::new(bits).unwrap();
        assert_eq!(width.get(), bits);
        assert_eq!(u8::from(width), bits);
        assert_eq!(width.per_byte(), per_byte);
        assert_eq!(width.max_value(), max);
        assert!(width.holds(max));
        assert!(max == u8::MAX || !width.holds(max + 1));
    }
}

#[test]
fn bits_serialise_as_a_number_and_refuse_other_widths() {
    assert_eq!(serde_json::to_value(StatusBits::Two).unwrap(), 2);
    assert_eq!(
        serde_json::from_value::<StatusBits>(serde_json::json!(8)).unwrap(),
        StatusBits::Eight
    );
    assert!(serde_json::from_value::<StatusBits>(serde_json::json!(3)).is_err());
}

#[test]
fn status_types_are_the_drafts_values() {
    assert_eq!(status_type::VALID, 0);
    assert_eq!(status_type::INVALID, 1);
    assert_eq!(status_type::SUSPENDED, 2);
    assert_eq!(status_type::APPLICATION_SPECIFIC, 3);
    assert_eq!(status_type::APPLICATION_SPECIFIC_RANGE, 0x0C..=0x0F);
    assert_eq!(CredentialStatus::Valid.status_type(), status_type::VALID);
    assert_eq!(
        CredentialStatus::Revoked.status_type(),
        status_type::INVALID
    );
    assert_eq!(
        CredentialStatus::Suspended.status_type(),
        status_type::SUSPENDED
    );
}

#[test]
fn statuses_have_api_names() {
    assert_eq!(CredentialStatus::Valid.to_string(), "VALID");
    assert_eq!(CredentialStatus::Suspended.to_string(), "SUSPENDED");
    assert_eq!(CredentialStatus::Revoked.to_string(), "REVOKED");
    assert_eq!(
        serde_json::to_value(CredentialStatus::Suspended).unwrap(),
        "SUSPENDED"
    );
    assert_eq!(
        serde_json::to_value(StatusAction::Reinstate).unwrap(),
        "reinstate"
    );
}

// --- one credential's lifecycle ----------------------------------------------------------

#[test]
fn every_status_action_and_width_has_the_expected_outcome() {
    use CredentialStatus::*;
    use StatusAction::*;
    for bits in ALL_BITS {
        let one_bit = bits == StatusBits::One;
        let suspend_from_valid = if one_bit {
            Err(StatusError::SuspensionUnsupported)
        } else {
            Ok(Suspended)
        };
        let suspend_from_suspended = if one_bit {
            Err(StatusError::SuspensionUnsupported)
        } else {
            Err(StatusError::AlreadySuspended)
        };
        let cases = [
            (Valid, Revoke, Ok(Revoked)),
            (Valid, Suspend, suspend_from_valid),
            (Valid, Reinstate, Err(StatusError::NotSuspended)),
            (Suspended, Revoke, Ok(Revoked)),
            (Suspended, Suspend, suspend_from_suspended),
            (Suspended, Reinstate, Ok(Valid)),
            (Revoked, Revoke, Err(StatusError::AlreadyRevoked)),
            (Revoked, Suspend, Err(StatusError::AlreadyRevoked)),
            (Revoked, Reinstate, Err(StatusError::AlreadyRevoked)),
        ];
        for (from, action, expected) in cases {
            assert_eq!(
                from.after(action, bits),
                expected,
                "{from:?} {action:?} on {bits:?}"
            );
        }
    }
}

// --- the list ----------------------------------------------------------------------------

#[test]
fn a_list_has_between_one_and_max_entries() {
    assert_eq!(
        StatusListState::open(StatusBits::Two, 0, at(0)),
        Err(StatusError::InvalidSize(0))
    );
    assert_eq!(
        StatusListState::open(StatusBits::Two, MAX_LIST_SIZE + 1, at(0)),
        Err(StatusError::InvalidSize(MAX_LIST_SIZE + 1))
    );
    let state = StatusListState::open(StatusBits::Two, MAX_LIST_SIZE, at(0)).unwrap();
    assert_eq!(state.size(), MAX_LIST_SIZE);
    assert_eq!(state.bits(), StatusBits::Two);
    assert_eq!(state.opened_at(), at(0));
    assert_eq!(state.changed_at(), at(0));
    assert_eq!(state.allocated(), 0);
}

#[test]
fn an_allocated_index_starts_valid() {
    let state = list_with_3();
    assert_eq!(state.status(3), Some(CredentialStatus::Valid));
    assert_eq!(state.status(4), None);
    assert_eq!(state.allocated(), 1);
    assert_eq!(state.changed_at(), at(1));
    assert_eq!(state.status_types().count(), 0);
}

#[test]
fn an_index_is_never_allocated_twice() {
    let mut state = list_with_3();
    assert_eq!(
        state.allocate(3, at(2)),
        Err(StatusError::AlreadyAllocated(3))
    );
    apply_change(&mut state, 3, StatusAction::Revoke, 2);
    assert_eq!(
        state.allocate(3, at(3)),
        Err(StatusError::AlreadyAllocated(3))
    );
}

#[test]
fn indexes_outside_the_list_are_refused() {
    let state = list_with_3();
    let out = StatusError::IndexOutOfRange {
        index: 16,
        size: 16,
    };
    assert_eq!(state.allocate(16, at(2)), Err(out.clone()));
    assert_eq!(state.change(16, StatusAction::Revoke, at(2)), Err(out));
}

#[test]
fn an_unallocated_index_cannot_change() {
    let state = list_with_3();
    for action in [
        StatusAction::Revoke,
        StatusAction::Suspend,
        StatusAction::Reinstate,
    ] {
        assert_eq!(
            state.change(4, action, at(2)),
            Err(StatusError::NotAllocated(4))
        );
    }
}

#[test]
fn revoke_suspend_and_reinstate_produce_facts_with_their_time() {
    let state = list_with_3();
    let fact = state.change(3, StatusAction::Suspend, at(5)).unwrap();
    assert_eq!(
        fact,
        StatusFact {
            at: at(5),
            index: 3,
            change: StatusChange::Suspended
        }
    );
}

#[test]
fn suspend_then_reinstate_returns_to_valid() {
    let mut state = list_with_3();
    apply_change(&mut state, 3, StatusAction::Suspend, 2);
    assert_eq!(state.status(3), Some(CredentialStatus::Suspended));
    assert_eq!(state.status_types().collect::<Vec<_>>(), vec![(3, 2)]);
    apply_change(&mut state, 3, StatusAction::Reinstate, 3);
    assert_eq!(state.status(3), Some(CredentialStatus::Valid));
    assert_eq!(state.status_types().count(), 0);
    assert_eq!(state.changed_at(), at(3));
}

#[test]
fn revocation_is_final() {
    let mut state = list_with_3();
    apply_change(&mut state, 3, StatusAction::Revoke, 2);
    assert_eq!(state.status(3), Some(CredentialStatus::Revoked));
    assert_eq!(state.status_types().collect::<Vec<_>>(), vec![(3, 1)]);
    for action in [
        StatusAction::Revoke,
        StatusAction::Suspend,
        StatusAction::Reinstate,
    ] {
        assert_eq!(
            state.change(3, action, at(3)),
            Err(StatusError::AlreadyRevoked)
        );
    }
}

#[test]
fn a_suspended_credential_can_be_revoked() {
    let mut state = list_with_3();
    apply_change(&mut state, 3, StatusAction::Suspend, 2);
    apply_change(&mut state, 3, StatusAction::Revoke, 3);
    assert_eq!(state.status(3), Some(CredentialStatus::Revoked));
}

#[test]
fn suspension_is_refused_on_a_one_bit_list() {
    let mut state = list(StatusBits::One);
    let fact = state.allocate(0, at(1)).unwrap();
    state.apply(&fact);
    assert_eq!(
        state.change(0, StatusAction::Suspend, at(2)),
        Err(StatusError::SuspensionUnsupported)
    );
    apply_change(&mut state, 0, StatusAction::Revoke, 2);
    assert_eq!(state.status_types().collect::<Vec<_>>(), vec![(0, 1)]);
}

#[test]
fn apply_ignores_facts_outside_the_list_and_keeps_the_newest_time() {
    let mut state = list_with_3();
    state.apply(&StatusFact {
        at: at(9),
        index: 99,
        change: StatusChange::Revoked,
    });
    assert_eq!(state.allocated(), 1);
    assert_eq!(state.changed_at(), at(1));
    // An older fact (another node's clock) does not move `changed_at` back.
    state.apply(&StatusFact {
        at: at(0),
        index: 5,
        change: StatusChange::Allocated,
    });
    assert_eq!(state.changed_at(), at(1));
}

#[test]
fn status_types_are_in_index_order() {
    let mut state = list(StatusBits::Two);
    for index in [9, 2, 5] {
        let fact = state.allocate(index, at(1)).unwrap();
        state.apply(&fact);
    }
    apply_change(&mut state, 9, StatusAction::Revoke, 2);
    apply_change(&mut state, 2, StatusAction::Suspend, 2);
    assert_eq!(
        state.status_types().collect::<Vec<_>>(),
        vec![(2, 2), (9, 1)]
    );
}

// --- history -----------------------------------------------------------------------------

fn facts() -> Vec<StatusFact> {
    let fact = |t, index, change| StatusFact {
        at: at(t),
        index,
        change,
    };
    vec![
        fact(10, 1, StatusChange::Allocated),
        fact(10, 2, StatusChange::Allocated),
        fact(20, 1, StatusChange::Suspended),
        fact(30, 2, StatusChange::Revoked),
        fact(40, 1, StatusChange::Reinstated),
    ]
}

fn as_of(t: i64) -> Option<HistoricalList> {
    list_as_of(StatusBits::Two, 16, at(5), &facts(), at(t)).unwrap()
}

#[test]
fn before_its_opening_a_list_did_not_exist() {
    assert_eq!(as_of(4), None);
}

#[test]
fn at_its_opening_a_list_is_empty_until_the_first_change() {
    let list = as_of(5).unwrap();
    assert_eq!(list.state.allocated(), 0);
    assert_eq!(list.valid_from, at(5));
    assert_eq!(list.valid_until, Some(at(10)));
}

#[test]
fn the_list_at_an_instant_holds_the_changes_up_to_and_including_it() {
    let list = as_of(20).unwrap();
    assert_eq!(list.state.status(1), Some(CredentialStatus::Suspended));
    assert_eq!(list.state.status(2), Some(CredentialStatus::Valid));
    assert_eq!(list.valid_from, at(20));
    assert_eq!(list.valid_until, Some(at(30)));

    let list = as_of(35).unwrap();
    assert_eq!(list.state.status(1), Some(CredentialStatus::Suspended));
    assert_eq!(list.state.status(2), Some(CredentialStatus::Revoked));
    assert_eq!(list.valid_from, at(30));
    assert_eq!(list.valid_until, Some(at(40)));
}

#[test]
fn after_the_last_change_the_list_is_the_current_one_with_no_end() {
    let list = as_of(1_000).unwrap();
    let mut current = StatusListState::open(StatusBits::Two, 16, at(5)).unwrap();
    facts().iter().for_each(|fact| current.apply(fact));
    assert_eq!(list.state, current);
    assert_eq!(list.valid_from, at(40));
    assert_eq!(list.valid_until, None);
}

#[test]
fn history_takes_facts_of_different_entries_in_log_order_not_time_order() {
    // Two streams interleaved in the log: index 2's facts logged before index 1's.
    let all = facts();
    let (one, two): (Vec<StatusFact>, Vec<StatusFact>) =
        all.into_iter().partition(|fact| fact.index == 1);
    let logged: Vec<StatusFact> = two.into_iter().chain(one).collect();
    let list = list_as_of(StatusBits::Two, 16, at(5), &logged, at(25))
        .unwrap()
        .unwrap();
    assert_eq!(list.state.status(1), Some(CredentialStatus::Suspended));
    assert_eq!(list.state.status(2), Some(CredentialStatus::Valid));
    assert_eq!(list.valid_from, at(20));
    assert_eq!(list.valid_until, Some(at(30)));
}

#[test]
fn history_refuses_an_impossible_list() {
    assert_eq!(
        list_as_of(StatusBits::Two, 0, at(5), &facts(), at(25)),
        Err(StatusError::InvalidSize(0))
    );
}

// --- index blocks ------------------------------------------------------------------------

#[test]
fn blocks_need_a_list_and_a_length() {
    assert_eq!(IndexBlocks::new(0, 8), Err(StatusError::InvalidSize(0)));
    assert_eq!(
        IndexBlocks::new(MAX_LIST_SIZE + 1, 8),
        Err(StatusError::InvalidSize(MAX_LIST_SIZE + 1))
    );
    assert_eq!(
        IndexBlocks::new(16, 0),
        Err(StatusError::InvalidBlockLength)
    );
}

#[test]
fn blocks_are_reserved_in_order_until_the_list_is_full() {
    let mut blocks = IndexBlocks::new(20, 8).unwrap();
    assert_eq!(blocks.block_count(), 3);
    for expected in 0..3 {
        assert_eq!(blocks.next_block(), Ok(expected));
        blocks.apply(expected);
        assert_eq!(blocks.reserved(), expected + 1);
    }
    assert_eq!(blocks.next_block(), Err(StatusError::ListFull));
}

#[test]
fn block_positions_cover_the_list_once_and_the_last_block_is_short() {
    let blocks = IndexBlocks::new(20, 8).unwrap();
    assert_eq!(blocks.positions(0), 0..8);
    assert_eq!(blocks.positions(1), 8..16);
    assert_eq!(blocks.positions(2), 16..20);
    assert!(blocks.positions(3).is_empty());
    assert!(blocks.positions(u32::MAX).is_empty());
    let covered: Vec<u32> = (0..blocks.block_count())
        .flat_map(|block| blocks.positions(block))
        .collect();
    assert_eq!(covered, (0..20).collect::<Vec<_>>());
}

#[test]
fn a_replayed_or_skipped_reservation_never_hands_a_block_out_again() {
    let mut blocks = IndexBlocks::new(64, 8).unwrap();
    blocks.apply(2);
    assert_eq!(blocks.next_block(), Ok(3));
    blocks.apply(0);
    assert_eq!(blocks.next_block(), Ok(3));
    blocks.apply(u32::MAX);
    assert_eq!(blocks.next_block(), Err(StatusError::ListFull));
}
