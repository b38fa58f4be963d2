//! `GET /audit/export` over 50,000 entries: the response is streamed (chunked, produced page
//! by page), complete, in order, and available as NDJSON and CSV. That the server reads
//! one page per chunk on demand is shown by the unit test beside the stream
//! (`the_export_reads_one_page_per_chunk_on_demand`); a precise memory bound is a
//! benchmark's job, not a timed test's.

use chrono::Duration;
use issuance::store::ExpectedVersion;
use issuance_domain::offer::{
    stream_id, NotificationEvent, NotificationReceived, OfferCreated, OfferEvent, OfferGrant,
    SealedClaims,
};
use issuance_domain::Digest;
use issuance_eventlog::{EventMetadata, NewEvent};
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::audit_support::*;
use crate::support::*;

const OFFERS: usize = 50;
const EVENTS_PER_OFFER: usize = 1000;
const ENTRIES: usize = OFFERS * EVENTS_PER_OFFER;

fn new_event(event: OfferEvent, request_id: String) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: event.event_type().into(),
        event_version: event.event_version(),
        payload: event.payload(),
        metadata: EventMetadata {
            issuer_id: None,
            actor: "wallet".into(),
            request_id: Some(request_id),
            occurred_at: chrono::DateTime::UNIX_EPOCH + Duration::days(20_000),
            client_ip: None,
            holder_key_thumbprint: Some(HOLDER.into()),
        },
    }
}

/// Appends `OFFERS` streams of one creation and 999 notifications each, straight into the
/// event store: 50 appends instead of 50,000 commands.
async fn fill(app: &TestApp) {
    for _ in 0..OFFERS {
        let offer_id = Uuid::new_v4();
        let mut events = vec![new_event(
            OfferEvent::OfferCreated(OfferCreated {
                offer_id,
                credential_configuration_ids: vec!["IdentityCredential".into()],
                grant: OfferGrant::PreAuthorizedCode {
                    code_hash: Digest([1; 32]),
                    tx_code: None,
                },
                single_use: false,
                sealed_subject: None,
                callback_url: None,
                sealed_correlation: None,
                expires_at: chrono::DateTime::UNIX_EPOCH + Duration::days(30_000),
                tx_code_max_attempts: 3,
                sealed_claims: SealedClaims {
                    alg: "A256GCM".into(),
                    nonce: "AAAAAAAAAAAAAAAA".into(),
                    ciphertext: "AAAA".into(),
                },
                request_fingerprint: Digest([2; 32]),
                legacy_subject: None,
                legacy_correlation: None,
                issuer_id: None,
                configuration_versions: Default::default(),
            }),
            format!("create-{offer_id}"),
        )];
        for n in 1..EVENTS_PER_OFFER {
            events.push(new_event(
                OfferEvent::NotificationReceived(NotificationReceived {
                    notification_id: format!("n-{n}"),
                    event: NotificationEvent::CredentialAccepted,
                    event_description: None,
                }),
                format!("notify-{n}"),
            ));
        }
        app.state
            .events
            .append(&stream_id(offer_id), ExpectedVersion::NoStream, events)
            .await
            .unwrap();
    }
    wait_for_projections(app).await;
}

/// Reads a streamed response chunk by chunk, never holding the whole body: returns the
/// number of chunks and calls `line` for every complete line.
async fn read_lines(mut response: reqwest::Response, mut line: impl FnMut(&str)) -> usize {
    let mut chunks = 0;
    let mut pending = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks += 1;
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(length) = pending[start..].iter().position(|b| *b == b'\n') {
            line(std::str::from_utf8(&pending[start..start + length]).unwrap());
            start += length + 1;
        }
        pending.drain(..start);
    }
    assert!(pending.is_empty(), "the body ends with a complete line");
    chunks
}

fn assert_streamed(response: &reqwest::Response, content_type: &str) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], content_type);
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(
        response.headers().get("content-length").is_none(),
        "a buffered body would have a length"
    );
}

backend_test! {
    async fn an_export_of_50000_entries_is_streamed_complete_and_in_order(backend) {
        // Arrange
        let app = spawn_app_on(backend).await;
        let startup = app.startup_events().await;
        fill(&app).await;

        // Act: NDJSON.
        let response = app
            .with_key(Method::GET, "/audit/export", AUDITOR_KEY)
            .send()
            .await
            .unwrap();

        // Assert: chunked, every entry once, ascending, each line a complete entry (fully
        // parsed every thousandth line; the positions of all).
        assert_streamed(&response, "application/x-ndjson");
        let mut count = 0u64;
        let chunks = read_lines(response, |line| {
            count += 1;
            assert!(
                line.starts_with(&format!("{{\"position\":{count},")),
                "{line}"
            );
            if count > startup && (count - startup) % 1000 == 1 {
                let entry: Value = serde_json::from_str(line).unwrap();
                assert_eq!(entry["actor"], "wallet");
                assert_eq!(entry["hash"].as_str().unwrap().len(), 64);
            }
        })
        .await;
        assert_eq!(count, ENTRIES as u64 + startup);
        assert!(chunks > 1, "{chunks} chunk(s)");

        // CSV: a header and one row per entry.
        let response = app
            .with_key(Method::GET, "/audit/export", AUDITOR_KEY)
            .header("Accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_streamed(&response, "text/csv; charset=utf-8");
        let mut rows = 0usize;
        read_lines(response, |line| {
            if rows == 0 {
                assert!(line.starts_with("position,log_commit_position,"), "{line}");
            }
            rows += 1;
        })
        .await;
        assert_eq!(rows as u64, ENTRIES as u64 + startup + 1);

        // Filters and a limit apply to exports as to listings.
        let response = app
            .with_key(
                Method::GET,
                "/audit/export?type=OfferCreated&limit=20",
                AUDITOR_KEY,
            )
            .send()
            .await
            .unwrap();
        let mut created = 0;
        read_lines(response, |line| {
            assert!(line.contains(r#""type":"OfferCreated""#));
            created += 1;
        })
        .await;
        assert_eq!(created, 20);
        let report = verify(&app, "").await;
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["entries"], ENTRIES as u64 + startup);
    }
}
