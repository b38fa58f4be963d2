//! The callback benchmark around a load: starts the receivers, and after the load waits
//! for them to get every callback due (or the drain timeout) and reports, per receiver,
//! deliveries per second during the load, delay percentiles, and how long after the load
//! the backlog was drained.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::Args;
use crate::flow::FlowContext;
use crate::receiver::{Mode, Receiver};

/// The receivers `args` asks for: the default one first, then the second one.
pub async fn start_receivers(args: &Args) -> anyhow::Result<Vec<Arc<Receiver>>> {
    let delay = Duration::from_millis(args.callback_delay_ms);
    let mut receivers = Vec::new();
    if let Some(address) = args.callbacks {
        let receiver = Receiver::start(
            "default",
            address,
            args.callbacks_mode,
            delay,
            &args.callback_secret,
        )
        .await?;
        eprintln!(
            "loadgen: callback receiver ({:?}) at {}",
            args.callbacks_mode, receiver.url
        );
        receivers.push(receiver);
    }
    if let Some(address) = args.other_callbacks {
        let receiver = Receiver::start(
            "other",
            address,
            args.other_mode,
            delay,
            &args.callback_secret,
        )
        .await?;
        eprintln!(
            "loadgen: second receiver ({:?}) at {} for every {}th offer",
            args.other_mode, receiver.url, args.other_every
        );
        receivers.push(receiver);
    }
    Ok(receivers)
}

/// Waits for the healthy receivers (`fast`, `hold`) to get every callback due, then prints
/// and returns every receiver's report.
pub async fn drain_and_report(
    args: &Args,
    receivers: &[Arc<Receiver>],
    context: &FlowContext,
    load_started: Instant,
) -> Value {
    let load_ended = Instant::now();
    for receiver in receivers {
        receiver.release();
    }
    let due = |index: usize| {
        // The second receiver's callbacks are counted at index 1 only when it exists.
        let slot = if args.callbacks.is_none() { 1 } else { index };
        context.expected(slot)
    };
    let deadline = load_ended + Duration::from_secs(args.drain_timeout);
    loop {
        // Only healthy receivers are waited for: a slow one's backlog may take minutes.
        let waiting = receivers
            .iter()
            .enumerate()
            .any(|(i, r)| matches!(r.mode(), Mode::Fast | Mode::Hold) && r.delivered() < due(i));
        if !waiting || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut reports = Vec::new();
    for (i, receiver) in receivers.iter().enumerate() {
        let load_from = receiver.since_start(load_started);
        let load_to = receiver.since_start(load_ended);
        let drained = receiver.delivered() >= due(i);
        let drained_after = receiver
            .last_arrival()
            .filter(|_| drained)
            .map(|last| last.saturating_sub(load_to).as_secs_f64());
        let mut report = receiver.report();
        report["due"] = json!(due(i));
        report["drained"] = json!(drained);
        report["drained_after_load_s"] = json!(drained_after);
        report["deliveries_per_second_during_load"] =
            json!(receiver.rate_between(load_from, load_to));
        println!(
            "callbacks {:>7} ({:?}): {}/{} delivered{}, {:.0}/s during the load, delay p50 {} ms p99 {} ms max {} ms, {} invalid signatures, {} duplicates, {} out of order",
            receiver.name,
            receiver.mode(),
            report["delivered"],
            due(i),
            drained_after.map_or(" (not drained)".to_string(), |s| format!(", drained {s:.1} s after the load")),
            report["deliveries_per_second_during_load"].as_f64().unwrap_or_default(),
            report["delay_ms"]["p50"],
            report["delay_ms"]["p99"],
            report["delay_ms"]["max"],
            report["invalid_signatures"],
            report["duplicates"],
            report["out_of_order"],
        );
        reports.push(report);
    }
    Value::Array(reports)
}
