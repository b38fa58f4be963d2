//! Two nodes on one PostgreSQL database: the audit projector runs on one, and the other's
//! audit reads still see every write that completed before them, without running into
//! the read-your-write bound (the node follows the stored audit checkpoint).

use std::time::{Duration, Instant};

use crate::stale_cache::two_nodes;
use crate::support::*;

/// How long a read may take before it counts as having waited out the 5 s bound.
const WELL_WITHIN_THE_BOUND: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread")]
async fn the_other_node_lists_and_signs_the_audit_entries_of_a_write_just_made() {
    let (a, b) = two_nodes().await;
    for _ in 0..3 {
        let created = a.create_offer(&identity_offer()).await;
        let offer_id = created["offer_id"].as_str().unwrap();

        let started = Instant::now();
        let (status, page) = b
            .get_json(&format!("/audit?offer_id={offer_id}&type=OfferCreated"))
            .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["items"][0]["offer_id"], offer_id, "{page}");
        assert!(
            started.elapsed() < WELL_WITHIN_THE_BOUND,
            "the read waited out its bound: {:?}",
            started.elapsed()
        );

        let started = Instant::now();
        let (status, head) = b.get_json("/audit/head").await;
        assert_eq!(status, 200, "{head}");
        assert!(
            started.elapsed() < WELL_WITHIN_THE_BOUND,
            "the signed head waited out its bound: {:?}",
            started.elapsed()
        );
    }
}
