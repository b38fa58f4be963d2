//! `--status-list <uri>`: instead of issuance flows, N concurrent relying parties fetch one
//! Status List Token (served from the node's cache) `--flows` times in all; reports
//! requests/s and latency percentiles.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::args::Args;

/// Runs the status list mode against `uri`.
pub async fn run(args: &Args, client: reqwest::Client, uri: &str) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    eprintln!(
        "loadgen: {} status list requests with {} concurrent clients against {uri}",
        args.flows, args.concurrency
    );
    let started = Instant::now();
    let mut clients = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let (client, next, failures, latencies) = (
            client.clone(),
            next.clone(),
            failures.clone(),
            latencies.clone(),
        );
        let (uri, total) = (uri.to_string(), args.flows);
        clients.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let sent = Instant::now();
                let ok = match client
                    .get(&uri)
                    .header("accept", "application/statuslist+jwt")
                    .send()
                    .await
                {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await.is_ok()
                    }
                    _ => false,
                };
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                local.saturating_record(sent.elapsed().as_micros() as u64);
            }
            if let Ok(mut all) = latencies.lock() {
                all.add(&local)?;
            }
            anyhow::Ok(())
        }));
    }
    for client in clients {
        client.await??;
    }
    let elapsed = started.elapsed().max(Duration::from_micros(1));
    let latencies = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("latency histogram poisoned"))?;
    let done = latencies.len();
    println!(
        "status list: {done} requests in {:.1} s: {:.0} requests/s, {} failed; \
         latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        failures.load(Ordering::Relaxed),
        latencies.value_at_quantile(0.5) as f64 / 1000.0,
        latencies.value_at_quantile(0.99) as f64 / 1000.0,
        latencies.max() as f64 / 1000.0,
    );
    Ok(())
}
