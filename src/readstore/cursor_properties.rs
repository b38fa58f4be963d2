//! Property tests of the opaque page cursors: any text decodes to a cursor or to nothing
//! (never a panic), and every cursor the service hands out decodes to itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::Config;
use uuid::Uuid;

use super::audit::AuditCursor;
use super::OfferCursor;

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    #[test]
    fn any_text_decodes_or_is_refused(text in ".{0,80}", inner in ".{0,60}") {
        let _ = OfferCursor::decode(&text);
        let _ = AuditCursor::decode(&text);
        let encoded = URL_SAFE_NO_PAD.encode(&inner);
        let _ = OfferCursor::decode(&encoded);
        let _ = AuditCursor::decode(&encoded);
    }

    #[test]
    fn cursors_round_trip(micros in any::<i64>(), id in any::<u128>(), position in any::<u64>()) {
        let offer = OfferCursor { created_at_micros: micros, offer_id: Uuid::from_u128(id) };
        prop_assert_eq!(OfferCursor::decode(&offer.encode()), Some(offer));
        let audit = AuditCursor(position);
        prop_assert_eq!(AuditCursor::decode(&audit.encode()), Some(audit));
    }
}
