//! Given/when/then tests of the status list aggregate, including each rejection.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::aggregate::StoredEvent;

type ListTest = TestFramework<StatusListStream>;

fn opened(size: u32, block_len: u32) -> StatusListOpened {
    StatusListOpened {
        bits: StatusBits::Two,
        size,
        block_len,
        uri: "https://issuer.example/status-lists/1".into(),
        key_fingerprint: "k1".into(),
    }
}

fn reserve(fingerprint: &str) -> StatusListCommand {
    StatusListCommand::ReserveBlock {
        node: "node-a".into(),
        key_fingerprint: fingerprint.into(),
    }
}

fn reserved(block: u32) -> StatusListEvent {
    StatusListEvent::StatusIndexBlockReserved(StatusIndexBlockReserved {
        block,
        node: "node-a".into(),
    })
}

#[test]
fn a_list_opens_once() {
    ListTest::with(())
        .given_no_previous_events()
        .when(StatusListCommand::Open(opened(100, 10)))
        .then_expect_events(vec![StatusListEvent::StatusListOpened(opened(100, 10))]);
    ListTest::with(())
        .given(vec![StatusListEvent::StatusListOpened(opened(100, 10))])
        .when(StatusListCommand::Open(opened(100, 10)))
        .then_expect_error(StatusListStreamError::AlreadyOpened);
}

#[test]
fn an_invalid_shape_is_rejected() {
    ListTest::with(())
        .given_no_previous_events()
        .when(StatusListCommand::Open(opened(0, 10)))
        .then_expect_error(StatusListStreamError::Status(StatusError::InvalidSize(0)));
    ListTest::with(())
        .given_no_previous_events()
        .when(StatusListCommand::Open(opened(100, 0)))
        .then_expect_error(StatusListStreamError::Status(
            StatusError::InvalidBlockLength,
        ));
}

#[test]
fn blocks_are_reserved_in_order_until_the_list_is_full() {
    let open = StatusListEvent::StatusListOpened(opened(25, 10));
    ListTest::with(())
        .given(vec![open.clone()])
        .when(reserve("k1"))
        .then_expect_events(vec![reserved(0)]);
    ListTest::with(())
        .given(vec![open.clone(), reserved(0), reserved(1)])
        .when(reserve("k1"))
        .then_expect_events(vec![reserved(2)]);
    ListTest::with(())
        .given(vec![open, reserved(0), reserved(1), reserved(2)])
        .when(reserve("k1"))
        .then_expect_error(StatusListStreamError::Status(StatusError::ListFull));
}

#[test]
fn reserving_needs_an_open_list_and_its_key() {
    ListTest::with(())
        .given_no_previous_events()
        .when(reserve("k1"))
        .then_expect_error(StatusListStreamError::NotFound);
    ListTest::with(())
        .given(vec![StatusListEvent::StatusListOpened(opened(25, 10))])
        .when(reserve("k2"))
        .then_expect_error(StatusListStreamError::KeyMismatch);
}

#[test]
fn events_round_trip_and_streams_are_named_by_list() {
    for event in [
        StatusListEvent::StatusListOpened(opened(25, 10)),
        reserved(3),
    ] {
        let decoded =
            StatusListEvent::decode(event.event_type(), event.event_version(), &event.payload())
                .unwrap();
        assert_eq!(decoded, event);
    }
    assert!(StatusListEvent::decode("Other", 1, &serde_json::json!({})).is_err());
    assert!(StatusListEvent::decode("StatusListOpened", 2, &serde_json::json!({})).is_err());
    let id = Uuid::from_u128(5);
    assert_eq!(list_id_of_stream(&stream_id(id)), Some(id));
    assert_eq!(list_id_of_stream("offer-1"), None);
    assert_eq!(
        serde_json::to_value(opened(25, 10)).unwrap()["bits"],
        serde_json::json!(2)
    );
}
