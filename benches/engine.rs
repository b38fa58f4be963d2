//! Micro-benchmarks of the write path: aggregate load (decode + fold of a typical stream)
//! and event appends to the embedded store, single and group-committed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use issuance::store::sqlite::{Durability, SqliteStore};
use issuance::store::{EventStore, ExpectedVersion};
use issuance_domain::offer::*;
use issuance_domain::Digest;
use issuance_eventlog::{EventMetadata, NewEvent};
use uuid::Uuid;

/// A sealed value with `length` characters of ciphertext.
fn sealed(length: usize) -> SealedClaims {
    SealedClaims {
        alg: "A256GCM".into(),
        nonce: "AAAAAAAAAAAAAAAA".into(),
        ciphertext: "A".repeat(length),
    }
}

fn typical_stream() -> Vec<OfferEvent> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let redemption_id = Uuid::new_v4();
    vec![
        OfferEvent::OfferCreated(OfferCreated {
            offer_id: Uuid::new_v4(),
            credential_configuration_ids: vec!["IdentityCredential".into()],
            grant: OfferGrant::PreAuthorizedCode {
                code_hash: Digest([1; 32]),
                tx_code: Some(TxCodeSpec {
                    input_mode: TxCodeInputMode::Numeric,
                    length: 6,
                    description: None,
                    code_hash: Digest([2; 32]),
                }),
            },
            single_use: true,
            sealed_subject: Some(sealed(45)),
            callback_url: None,
            sealed_correlation: None,
            expires_at: t0 + Duration::minutes(5),
            tx_code_max_attempts: 3,
            sealed_claims: sealed(400),
            request_fingerprint: Digest([3; 32]),
            legacy_subject: None,
            legacy_correlation: None,
            issuer_id: None,
            configuration_versions: Default::default(),
        }),
        OfferEvent::OfferRedeemed(OfferRedeemed {
            redemption_id,
            grant: GRANT_PRE_AUTHORIZED_CODE.into(),
            token_hash: Digest([4; 32]),
            token_expires_at: t0 + Duration::minutes(5),
            credential_configuration_ids: vec!["IdentityCredential".into()],
            client_id: None,
            dpop_jkt: None,
            attested_wallet: None,
        }),
        OfferEvent::CredentialIssued(CredentialIssued {
            redemption_id,
            credential_configuration_id: "IdentityCredential".into(),
            credential_id: Uuid::new_v4(),
            sealed_holder_key_thumbprint: Some(sealed(82)),
            credential_hash: Digest([5; 32]),
            notification_id: "n-1".into(),
            credential_expires_at: t0 + Duration::days(365),
            status: None,
            legacy_holder_key_thumbprint: None,
        }),
        OfferEvent::OfferCompleted(OfferCompleted {}),
        OfferEvent::NotificationReceived(NotificationReceived {
            notification_id: "n-1".into(),
            event: NotificationEvent::CredentialAccepted,
            event_description: None,
        }),
    ]
}

fn new_event(event: &OfferEvent) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: event.event_type().into(),
        event_version: event.event_version(),
        payload: event.payload(),
        metadata: EventMetadata::system(Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()),
    }
}

fn aggregate_load(c: &mut Criterion) {
    let stored: Vec<(String, u32, String)> = typical_stream()
        .iter()
        .map(|e| {
            (
                e.event_type().to_string(),
                e.event_version(),
                e.payload().to_string(),
            )
        })
        .collect();
    c.bench_function("aggregate_load_typical_stream", |b| {
        b.iter(|| {
            let mut offer = Offer::default();
            for (event_type, version, payload) in &stored {
                let value: serde_json::Value = serde_json::from_str(payload).unwrap();
                offer.apply(OfferEvent::decode(event_type, *version, &value).unwrap());
            }
            offer
        })
    });
}

fn appends(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(SqliteStore::open(&dir.path().join("events.db"), Durability::Full).unwrap());
    let event = typical_stream().remove(0);

    let mut group = c.benchmark_group("event_append");
    group.throughput(Throughput::Elements(1));
    group.bench_function("single_durable", |b| {
        b.to_async(&runtime).iter(|| {
            let store = store.clone();
            let event = new_event(&event);
            async move {
                let stream = format!("offer-{}", Uuid::new_v4());
                store
                    .append(&stream, ExpectedVersion::NoStream, vec![event])
                    .await
                    .unwrap();
            }
        })
    });
    const CONCURRENT: u64 = 64;
    group.throughput(Throughput::Elements(CONCURRENT));
    group.bench_function("group_commit_64_concurrent", |b| {
        b.to_async(&runtime).iter_batched(
            || {
                (0..CONCURRENT)
                    .map(|_| new_event(&event))
                    .collect::<Vec<_>>()
            },
            |events| {
                let store = store.clone();
                async move {
                    let appends = events.into_iter().map(|e| {
                        let store = store.clone();
                        tokio::spawn(async move {
                            let stream = format!("offer-{}", Uuid::new_v4());
                            store
                                .append(&stream, ExpectedVersion::NoStream, vec![e])
                                .await
                                .unwrap();
                        })
                    });
                    for append in appends.collect::<Vec<_>>() {
                        append.await.unwrap();
                    }
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, aggregate_load, appends);
criterion_main!(benches);
