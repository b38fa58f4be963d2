//! Command-line arguments.

use std::path::PathBuf;

use clap::Parser;

use crate::receiver::Mode;

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
    /// Callback benchmark: run a receiver on this address (e.g. `127.0.0.1:18090`); the
    /// service's `ISSUANCE_CALLBACK_URL` must be `http://<address>/callbacks`.
    #[arg(long)]
    pub callbacks: Option<std::net::SocketAddr>,
    /// How the receiver at `--callbacks` answers.
    #[arg(long, value_enum, default_value = "fast")]
    pub callbacks_mode: Mode,
    /// A second receiver (e.g. a slow one beside the healthy one): every
    /// `--other-every`th offer names it as its own `callback_url` (the service needs
    /// `callbacks.allowed_networks` for loopback).
    #[arg(long)]
    pub other_callbacks: Option<std::net::SocketAddr>,
    /// How the second receiver answers.
    #[arg(long, value_enum, default_value = "slow")]
    pub other_mode: Mode,
    /// Every n-th offer calls back the second receiver.
    #[arg(long, default_value_t = 25)]
    pub other_every: u64,
    /// Delay of the `slow` and `slow-accept` modes, milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub callback_delay_ms: u64,
    /// The callback secret (`ISSUANCE_CALLBACK_SECRET`), to verify signatures.
    #[arg(long, env = "ISSUANCE_CALLBACK_SECRET", default_value = "")]
    pub callback_secret: String,
    /// After the load, wait at most this long for the receivers to get every callback.
    #[arg(long, default_value_t = 60)]
    pub drain_timeout: u64,
    /// Spread the flows over this many issuers managed at runtime (created before the load,
    /// see `issuers.rs`); 0: the default issuer only.
    #[arg(long, default_value_t = 0)]
    pub issuers: usize,
    /// Configurations of each issuer created by `--issuers` (copies of `--configuration`).
    #[arg(long, default_value_t = 10)]
    pub configurations_per_issuer: usize,
    /// Scale-out: spread the default issuer's flows over several nodes sharing one store,
    /// as a load balancer would (`WALLET_URL,MANAGEMENT_URL`, once per node; flow *n* goes
    /// to node *n* mod N). `--target` stays the public identifier; URLs under it are sent
    /// to the flow's node.
    #[arg(long = "node", value_parser = parse_node)]
    pub nodes: Vec<(String, String)>,
    /// Instead of issuance flows, fetch this Status List Token URI `--flows` times.
    #[arg(long)]
    pub status_list: Option<String>,
}

/// `WALLET_URL,MANAGEMENT_URL`.
fn parse_node(value: &str) -> Result<(String, String), String> {
    let (wallet, management) = value
        .split_once(',')
        .ok_or("expected WALLET_URL,MANAGEMENT_URL")?;
    let trim = |url: &str| url.trim().trim_end_matches('/').to_string();
    Ok((trim(wallet), trim(management)))
}
