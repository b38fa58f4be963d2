//! Fills a store with complete offer histories, for the scaling benchmarks (BENCHMARKS.md):
//! the per-flow cost with 10k and with 1M offers already stored must be the same.
//!
//! Uses the service's configuration (`ISSUANCE_*`, `--config`), appends directly through
//! the event store (no HTTP), six events per offer — created, redeemed, issued, completed,
//! notified, claims erased — as a finished real flow leaves them. Start the service
//! afterwards; its projectors catch up before `/health/ready` answers 200.
//!
//! ```sh
//! cargo run --release --bin prefill -- --offers 1000000
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use clap::Parser;
use issuance::clock::{Clock, SystemClock};
use issuance::store::{EventStore, ExpectedVersion};
use issuance_domain::offer::*;
use issuance_domain::Digest;
use issuance_eventlog::{EventMetadata, NewEvent};
use uuid::Uuid;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prefill arguments.
#[derive(Debug, Parser)]
#[command(name = "prefill")]
struct Args {
    /// Offers to create.
    #[arg(long, default_value_t = 10_000)]
    offers: u64,
    /// Concurrent appenders (group commit batches their appends).
    #[arg(long, default_value_t = 256)]
    concurrency: u64,
    /// TOML configuration file (default: the built-in example).
    #[arg(long, env = "ISSUANCE_CONFIG")]
    config: Option<std::path::PathBuf>,
}

fn event(event: OfferEvent, metadata: &EventMetadata) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event.event_type().to_string(),
        event_version: event.event_version(),
        payload: event.payload(),
        metadata: metadata.clone(),
    }
}

fn random_digest() -> Digest {
    Digest(issuance::crypto::random_bytes())
}

/// Random bytes shaped like a value sealed with a (long destroyed) data key: `N` bytes of
/// ciphertext.
fn random_sealed<const N: usize>() -> Sealed {
    Sealed {
        alg: "A256GCM".into(),
        nonce: issuance::crypto::random_token::<12>(),
        ciphertext: issuance::crypto::random_token::<N>(),
    }
}

/// The six events of a finished pre-authorized flow (claims already erased).
fn history(offer_id: Uuid, now: DateTime<Utc>) -> Vec<NewEvent> {
    let institution = EventMetadata {
        actor: "prefill".into(),
        ..EventMetadata::system(now)
    };
    let wallet = EventMetadata {
        actor: "wallet".into(),
        ..EventMetadata::system(now)
    };
    let redemption_id = Uuid::new_v4();
    vec![
        event(
            OfferEvent::OfferCreated(OfferCreated {
                offer_id,
                credential_configuration_ids: vec!["IdentityCredential".into()],
                grant: OfferGrant::PreAuthorizedCode {
                    code_hash: random_digest(),
                    tx_code: Some(TxCodeSpec {
                        input_mode: TxCodeInputMode::Numeric,
                        length: 6,
                        description: None,
                        code_hash: random_digest(),
                    }),
                },
                single_use: true,
                sealed_subject: None,
                callback_url: None,
                sealed_correlation: None,
                expires_at: now + Duration::minutes(5),
                tx_code_max_attempts: 3,
                sealed_claims: random_sealed::<300>(),
                request_fingerprint: random_digest(),
                legacy_subject: None,
                legacy_correlation: None,
                issuer_id: None,
                configuration_versions: Default::default(),
            }),
            &institution,
        ),
        event(
            OfferEvent::OfferRedeemed(OfferRedeemed {
                redemption_id,
                grant: GRANT_PRE_AUTHORIZED_CODE.into(),
                token_hash: random_digest(),
                token_expires_at: now + Duration::minutes(5),
                credential_configuration_ids: vec!["IdentityCredential".into()],
                client_id: None,
                dpop_jkt: None,
                attested_wallet: None,
            }),
            &wallet,
        ),
        event(
            OfferEvent::CredentialIssued(CredentialIssued {
                redemption_id,
                credential_configuration_id: "IdentityCredential".into(),
                credential_id: Uuid::new_v4(),
                sealed_holder_key_thumbprint: Some(random_sealed::<59>()),
                credential_hash: random_digest(),
                notification_id: issuance::crypto::random_token::<16>(),
                credential_expires_at: now + Duration::days(365),
                status: None,
                legacy_holder_key_thumbprint: None,
            }),
            &wallet,
        ),
        event(OfferEvent::OfferCompleted(OfferCompleted {}), &wallet),
        event(
            OfferEvent::NotificationReceived(NotificationReceived {
                notification_id: "n".into(),
                event: NotificationEvent::CredentialAccepted,
                event_description: None,
            }),
            &wallet,
        ),
        event(
            OfferEvent::ClaimsErased(ClaimsErased {
                reason: "retention_policy".into(),
            }),
            &EventMetadata::system(now),
        ),
    ]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = issuance::cli::load_config(args.config.as_deref());
    let opened = issuance::node::stores::open(&config.settings).await?;
    let events: Arc<dyn EventStore> = opened.events.clone();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let events = events.clone();
        let done = done.clone();
        let (offers, concurrency) = (args.offers, args.concurrency);
        workers.push(tokio::spawn(async move {
            let mut i = worker;
            while i < offers {
                let offer_id = Uuid::now_v7();
                events
                    .append(
                        &stream_id(offer_id),
                        ExpectedVersion::NoStream,
                        history(offer_id, SystemClock.now()),
                    )
                    .await?;
                let total = done.fetch_add(1, Ordering::Relaxed) + 1;
                if total % 100_000 == 0 {
                    eprintln!("  {total} offers");
                }
                i += concurrency;
            }
            anyhow::Ok(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let offers = done.load(Ordering::Relaxed);
    println!(
        "prefilled {offers} offers ({} events) in {elapsed:.1} s: {:.0} events/s",
        offers * 6,
        (offers * 6) as f64 / elapsed
    );
    Ok(())
}
