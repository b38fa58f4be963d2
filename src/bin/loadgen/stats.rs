//! Latency histograms per endpoint, error counts by kind, and the final report.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use crate::args::Args;

/// The steps of a flow, in order.
pub const STEPS: [&str; 6] = [
    "create_offer",
    "resolve_offer",
    "token",
    "nonce",
    "credential",
    "notification",
];

/// Thread-safe recorder shared by all wallets.
pub struct Recorder {
    histograms: Mutex<BTreeMap<&'static str, Histogram<u64>>>,
    errors: Mutex<BTreeMap<String, u64>>,
    flows_ok: AtomicU64,
    flows_failed: AtomicU64,
    verified: AtomicU64,
    verification_failures: AtomicU64,
}

impl Recorder {
    /// A recorder with a histogram (1 µs to 60 s, 3 significant digits) per step.
    pub fn new() -> anyhow::Result<Recorder> {
        let mut histograms = BTreeMap::new();
        for step in STEPS {
            histograms.insert(step, Histogram::new_with_bounds(1, 60_000_000, 3)?);
        }
        Ok(Recorder {
            histograms: Mutex::new(histograms),
            errors: Mutex::default(),
            flows_ok: AtomicU64::default(),
            flows_failed: AtomicU64::default(),
            verified: AtomicU64::default(),
            verification_failures: AtomicU64::default(),
        })
    }

    /// Records one request's latency.
    pub fn request(&self, step: &'static str, latency: Duration) {
        if let Ok(mut histograms) = self.histograms.lock() {
            if let Some(histogram) = histograms.get_mut(step) {
                let _ = histogram.record(latency.as_micros().clamp(1, 60_000_000) as u64);
            }
        }
    }

    /// Records a failed flow and why.
    pub fn failure(&self, kind: String) {
        self.flows_failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry(kind).or_default() += 1;
        }
    }

    /// Records a completed flow.
    pub fn success(&self) {
        self.flows_ok.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a sampled credential signature check.
    pub fn verification(&self, ok: bool) {
        if ok {
            self.verified.fetch_add(1, Ordering::Relaxed);
        } else {
            self.verification_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Flows finished so far (ok or failed).
    pub fn flows_completed(&self) -> u64 {
        self.flows_ok.load(Ordering::Relaxed) + self.flows_failed.load(Ordering::Relaxed)
    }
}

/// Percentiles of one endpoint, microseconds.
pub struct StepReport {
    step: &'static str,
    count: u64,
    p50: u64,
    p95: u64,
    p99: u64,
    max: u64,
    mean: f64,
}

/// The run's results.
pub struct Report {
    pub elapsed: Duration,
    pub concurrency: usize,
    pub completed_flows: u64,
    pub failed_flows: u64,
    pub requests: u64,
    pub steps: Vec<StepReport>,
    pub errors: BTreeMap<String, u64>,
    pub verified: u64,
    pub verification_failures: u64,
}

impl Report {
    /// Summarises the recorder.
    pub fn build(recorder: &Recorder, elapsed: Duration, args: &Args) -> Report {
        let histograms = recorder
            .histograms
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default();
        let steps: Vec<StepReport> = STEPS
            .iter()
            .filter_map(|step| {
                histograms
                    .get(step)
                    .filter(|h| !h.is_empty())
                    .map(|h| StepReport {
                        step,
                        count: h.len(),
                        p50: h.value_at_quantile(0.50),
                        p95: h.value_at_quantile(0.95),
                        p99: h.value_at_quantile(0.99),
                        max: h.max(),
                        mean: h.mean(),
                    })
            })
            .collect();
        Report {
            elapsed,
            concurrency: args.concurrency,
            completed_flows: recorder.flows_ok.load(Ordering::Relaxed),
            failed_flows: recorder.flows_failed.load(Ordering::Relaxed),
            requests: steps.iter().map(|s| s.count).sum(),
            steps,
            errors: recorder
                .errors
                .lock()
                .map(|e| e.clone())
                .unwrap_or_default(),
            verified: recorder.verified.load(Ordering::Relaxed),
            verification_failures: recorder.verification_failures.load(Ordering::Relaxed),
        }
    }

    fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Human-readable table.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "\n{} flows completed, {} failed in {:.2} s with {} wallets\n{:.0} flows/s, {:.0} requests/s\n\n",
            self.completed_flows,
            self.failed_flows,
            self.elapsed.as_secs_f64(),
            self.concurrency,
            self.per_second(self.completed_flows),
            self.per_second(self.requests)
        ));
        out.push_str(&format!(
            "{:<15} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "endpoint", "count", "mean ms", "p50 ms", "p95 ms", "p99 ms", "max ms"
        ));
        for s in &self.steps {
            out.push_str(&format!(
                "{:<15} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
                s.step,
                s.count,
                s.mean / 1000.0,
                s.p50 as f64 / 1000.0,
                s.p95 as f64 / 1000.0,
                s.p99 as f64 / 1000.0,
                s.max as f64 / 1000.0
            ));
        }
        out.push_str(&format!(
            "\ncredential signatures verified: {} ok, {} failed\n",
            self.verified, self.verification_failures
        ));
        if !self.errors.is_empty() {
            out.push_str("errors:\n");
            for (kind, count) in &self.errors {
                out.push_str(&format!("  {count:>8}  {kind}\n"));
            }
        }
        out
    }

    /// Machine-readable results for comparison runs.
    pub fn to_json(&self) -> Value {
        json!({
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "concurrency": self.concurrency,
            "completed_flows": self.completed_flows,
            "failed_flows": self.failed_flows,
            "flows_per_second": self.per_second(self.completed_flows),
            "requests_per_second": self.per_second(self.requests),
            "latency_us": self.steps.iter().map(|s| (s.step.to_string(), json!({
                "count": s.count, "mean": s.mean, "p50": s.p50, "p95": s.p95, "p99": s.p99, "max": s.max,
            }))).collect::<serde_json::Map<_, _>>(),
            "errors": self.errors,
            "credentials_verified": self.verified,
            "credential_verification_failures": self.verification_failures,
        })
    }
}
