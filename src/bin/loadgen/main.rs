//! Load generator: N concurrent simulated wallets run complete pre-authorized issuance flows
//! (create offer with tx code → resolve offer → token → nonce → credential with a proof →
//! notification) against a running service, and report throughput, latency percentiles per
//! endpoint (HDR histograms), errors by kind, and a signature check of sampled credentials.
//!
//! `--status-list <uri>` measures the status list endpoint instead (requests/s from cache).
//!
//! ```sh
//! cargo run --release --bin loadgen -- --flows 20000 --concurrency 64 \
//!   --target http://127.0.0.1:8080 --management http://127.0.0.1:8081 --admin-key "$KEY"
//! ```

mod args;
mod callbacks;
mod flow;
mod holder;
mod issuers;
mod mdoc_check;
mod receiver;
mod stats;
mod status_list;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use args::Args;
use flow::{Flow, FlowContext};
use stats::{Recorder, Report};

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(error) = run(args).await {
        eprintln!("loadgen: {error:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency * 2)
        // Below actix-web's 5 s keep-alive: a connection the server is closing must not be
        // picked for a request (a race that shows up as a transport error in paced runs).
        .pool_idle_timeout(Duration::from_secs(4))
        .timeout(Duration::from_secs(30))
        .build()?;
    if let Some(uri) = &args.status_list {
        return status_list::run(&args, client, uri).await;
    }
    let receivers = callbacks::start_receivers(&args).await?;
    let context = Arc::new(FlowContext::prepare(&args, client).await?);
    let recorder = Arc::new(Recorder::new()?);
    let next_flow = Arc::new(AtomicU64::new(0));
    let deadline = args
        .duration
        .map(|seconds| Instant::now() + Duration::from_secs(seconds));
    eprintln!(
        "loadgen: {} flows{} with {} concurrent wallets against {}",
        args.flows,
        args.duration
            .map(|d| format!(" (or {d} s)"))
            .unwrap_or_default(),
        args.concurrency,
        args.target
    );
    let started = Instant::now();
    let mut wallets = Vec::with_capacity(args.concurrency);
    for wallet in 0..args.concurrency {
        let context = context.clone();
        let recorder = recorder.clone();
        let next_flow = next_flow.clone();
        let flows = args.flows;
        let rate = args.rate;
        wallets.push(tokio::spawn(async move {
            let holder = holder::HolderKey::generate()?;
            loop {
                let number = next_flow.fetch_add(1, Ordering::Relaxed);
                if number >= flows || deadline.is_some_and(|d| Instant::now() >= d) {
                    return anyhow::Ok(());
                }
                if let Some(rate) = rate {
                    // Flow n starts no earlier than n / rate seconds after the start.
                    tokio::time::sleep_until(
                        (started + Duration::from_secs_f64(number as f64 / rate)).into(),
                    )
                    .await;
                }
                let flow = Flow {
                    number,
                    wallet,
                    holder: &holder,
                    context: &context,
                    recorder: &recorder,
                };
                flow.run().await;
            }
        }));
    }
    let progress = tokio::spawn({
        let recorder = recorder.clone();
        let interval = args.progress_interval;
        async move {
            if interval == 0 {
                return;
            }
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(interval)).await;
                let done = recorder.flows_completed();
                eprintln!(
                    "  {:>8} flows, {:>7.0} flows/s",
                    done,
                    (done - last) as f64 / interval as f64
                );
                last = done;
            }
        }
    });
    for wallet in wallets {
        wallet.await??;
    }
    progress.abort();
    let elapsed = started.elapsed();
    let report = Report::build(&recorder, elapsed, &args);
    println!("{}", report.render_text());
    let mut json = report.to_json();
    if !receivers.is_empty() {
        let callbacks = callbacks::drain_and_report(&args, &receivers, &context, started).await;
        json["callbacks"] = callbacks;
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&json)?)?;
        eprintln!("loadgen: results written to {}", path.display());
    }
    if report.failed_flows > 0 && args.fail_on_errors {
        anyhow::bail!("{} flows failed", report.failed_flows);
    }
    Ok(())
}
