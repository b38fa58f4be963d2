//! Command-line arguments.

use std::path::PathBuf;

use clap::Parser;

/// Load generator for complete OID4VCI pre-authorized issuance flows.
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
pub struct Args {
    /// Number of complete flows to run.
    #[arg(long, default_value_t = 10_000)]
    pub flows: u64,
    /// Stop after this many seconds even if fewer flows ran.
    #[arg(long)]
    pub duration: Option<u64>,
    /// Start at most this many flows per second (open-loop pacing; default: as fast as the
    /// wallets can go). Used to measure latency at a fixed share of the maximum.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Concurrent simulated wallets.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Wallet API base URL (the credential issuer identifier).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: String,
    /// Management API base URL.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    pub management: String,
    /// Management API key with `offers:write`.
    #[arg(long, env = "ISSUANCE_ADMIN_KEY")]
    pub admin_key: String,
    /// Credential configuration to offer.
    #[arg(long, default_value = "IdentityCredential")]
    pub configuration: String,
    /// Verify the issuer signature of every n-th credential (0 = none).
    #[arg(long, default_value_t = 100)]
    pub verify_every: u64,
    /// Write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Print progress every n seconds (0 = never).
    #[arg(long, default_value_t = 5)]
    pub progress_interval: u64,
    /// Exit non-zero if any flow failed.
    #[arg(long)]
    pub fail_on_errors: bool,
}
