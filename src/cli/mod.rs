//! The command line: `serve` (default), `replay`, `audit verify`, `migrate`, `schemas`,
//! `openapi`, `keys`.

pub mod audit;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::LoadedConfig;
use crate::crypto::server_secret::ServerSecret;
use crate::data_dir::lock::DataDirLock;
use crate::http::management::auth::{create_key, Scope};
use crate::node::shutdown::ShutdownSignals;
use crate::node::startup::{Application, BuildOptions};
use crate::node::stores;
use crate::projector::{self, AuditProjection, OfferViewProjection, Projection};

/// The issuance engine.
#[derive(Debug, Parser)]
#[command(
    name = "issuance",
    version,
    about = "Event-sourced OpenID4VCI 1.0 credential issuance engine"
)]
pub struct Cli {
    /// TOML configuration file (default: the built-in example configuration).
    #[arg(long, global = true, env = "ISSUANCE_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (wallet and management APIs, projectors, integrations).
    Serve {
        /// Refuse to start when RabbitMQ is configured but unreachable.
        #[arg(long)]
        require_broker: bool,
    },
    /// Rebuild read models from position 0 of the event log (stop the service first).
    Replay {
        /// Only this projection (default: all).
        #[arg(long)]
        projection: Option<String>,
    },
    /// Work with the audit view.
    Audit {
        /// The audit action.
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Create or upgrade the stores' schemas and exit.
    Migrate {
        /// Also record this node's server secret and signing key (their fingerprints) as
        /// the deployment's, after changing them on purpose on every node.
        #[arg(long)]
        record_secrets: bool,
    },
    /// Print the contracts (JSON Schemas of events, AMQP messages and callbacks, and the
    /// AsyncAPI document) as one JSON object, or write them as files into `--out`.
    Schemas {
        /// Write `asyncapi.json`, `schemas.json` and `schemas/<name>.json` here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the OpenAPI 3.1 document of the management API (default) or the wallet API
    /// (at the root path, without the configuration's type metadata routes).
    Openapi {
        /// Which API.
        #[arg(long, value_enum, default_value_t = OpenapiApi::Management)]
        api: OpenapiApi,
    },
    /// Manage management API keys.
    Keys {
        /// The key action.
        #[command(subcommand)]
        action: KeysAction,
    },
}

/// Key actions.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create an API key; prints it once and stores only its hash in the data directory.
    Create {
        /// The key's name (recorded as the actor of its events).
        #[arg(long)]
        name: String,
        /// Scopes (repeatable): offers:write, offers:read, audit:read, credentials:write,
        /// issuers:read, issuers:write, admin.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Restrict the key to this issuer (repeatable; `default` is the configuration
        /// file's): it sees only these issuers' offers, audit entries and configurations.
        /// Without it the key sees every issuer.
        #[arg(long = "issuer")]
        issuers: Vec<String>,
    },
    /// Generate a new issuer signing key and make it active; older keys stay published in
    /// the JWKS so credentials they signed keep verifying.
    Rotate,
}

/// Audit actions.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Recompute the audit chain; name the first broken entry and exit with status 1 if
    /// there is one.
    Verify {
        /// Also prove the chain still contains this head (a JWS from `GET /audit/head`).
        #[arg(long)]
        signed_head: Option<String>,
        /// Also re-derive every entry from the event log and require it to be identical.
        #[arg(long)]
        against_log: bool,
    },
}

/// The APIs `issuance openapi --api` can print.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OpenapiApi {
    /// The management API (management listener).
    Management,
    /// The wallet API (wallet listener).
    Wallet,
}

/// `issuance openapi`: needs no configuration.
fn openapi(api: OpenapiApi) {
    use crate::contracts::openapi::Api;
    let api = match api {
        OpenapiApi::Management => Api::Management,
        OpenapiApi::Wallet => Api::Wallet,
    };
    print!(
        "{}",
        crate::contracts::output::render(&api.default_document())
    );
}

/// `issuance schemas`: needs no configuration.
fn schemas(out: Option<&std::path::Path>) -> anyhow::Result<()> {
    use crate::contracts::output;
    match out {
        Some(dir) => {
            let written = output::write_all(dir)
                .with_context(|| format!("cannot write the contracts to {}", dir.display()))?;
            println!("wrote {written} documents to {}", dir.display());
        }
        None => print!("{}", output::render(&output::bundle())),
    }
    Ok(())
}

/// Loads the configuration or exits with every problem listed.
pub fn load_config(path: Option<&std::path::Path>) -> LoadedConfig {
    match LoadedConfig::load(path) {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("The configuration is invalid:");
            for error in errors {
                eprintln!("  - {error}");
            }
            std::process::exit(2);
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Schemas { out }) = &cli.command {
        return schemas(out.as_deref());
    }
    if let Some(Command::Openapi { api }) = &cli.command {
        openapi(*api);
        return Ok(());
    }
    let mut config = load_config(cli.config.as_deref());
    crate::node::telemetry::init(config.settings.log_format);
    let command = cli.command.unwrap_or(Command::Serve {
        require_broker: false,
    });
    match command {
        Command::Serve { require_broker } => {
            config.settings.require_broker |= require_broker;
            tracing::info!(config = %config.source_name, "starting");
            // Caught from here on: a SIGTERM during start-up shuts down once built.
            let signals =
                ShutdownSignals::install().context("cannot install the signal handlers")?;
            let app = Application::build(config, BuildOptions::default()).await?;
            tracing::info!(
                wallet_port = app.wallet_port(),
                management_port = app.management_port(),
                "listening"
            );
            app.with_signals(signals).run_until_stopped().await
        }
        Command::Replay { projection } => {
            stores::require_existing(&config.settings).await?;
            let _lock = DataDirLock::acquire(&config.settings.data_dir)?;
            replay(&config, projection.as_deref()).await
        }
        Command::Audit {
            action:
                AuditAction::Verify {
                    signed_head,
                    against_log,
                },
        } => {
            // No lock: verifying reads only, and may run beside the service.
            stores::require_existing(&config.settings).await?;
            crate::cli::audit::verify(&config, signed_head.as_deref(), against_log).await
        }
        Command::Migrate { record_secrets } => {
            crate::data_dir::private_files::create_data_dir(&config.settings.data_dir)
                .with_context(|| {
                    format!(
                        "cannot create data directory {}",
                        config.settings.data_dir.display()
                    )
                })?;
            let _lock = DataDirLock::acquire(&config.settings.data_dir)?;
            let opened = stores::open(&config.settings).await?;
            println!("Schemas are up to date.");
            if record_secrets {
                let secret = ServerSecret::from_settings(&config.settings)?;
                let keys = crate::node::bootstrap_keys::load_issuer_keys(&config.settings)?;
                crate::node::deployment::record(opened.secrets.as_ref(), &secret, &keys).await?;
                println!(
                    "Recorded this node's server secret and signing key {} as the deployment's.",
                    keys.active().kid()
                );
            }
            Ok(())
        }
        Command::Schemas { out } => schemas(out.as_deref()),
        Command::Openapi { api } => {
            openapi(api);
            Ok(())
        }
        Command::Keys { action } => {
            // Keys belong to a deployment: refuse a directory that holds none.
            stores::require_existing(&config.settings).await?;
            keys(&config, action)
        }
    }
}

/// `keys create` and `keys rotate`.
fn keys(config: &LoadedConfig, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Create {
            name,
            scopes,
            issuers,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    Scope::parse(s).with_context(|| {
                        format!("unknown scope `{s}`; use one of {:?}", Scope::NAMES)
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            // Configured keys (and the bootstrap admin key) hold their names too.
            let configured: Vec<&str> = config
                .settings
                .admin_key
                .iter()
                .map(|_| "admin")
                .chain(config.settings.api_keys.iter().map(|k| k.name.as_str()))
                .collect();
            crate::http::management::auth::check_key_name(&name, &configured)
                .map_err(|problem| anyhow::anyhow!("cannot create the key: {problem}"))?;
            let issuers = (!issuers.is_empty()).then_some(issuers.as_slice());
            let key = create_key(&config.settings.data_dir, &name, &scopes, issuers)
                .map_err(|e| anyhow::anyhow!("cannot create the key: {e}"))?;
            println!("Created API key `{name}` (shown only this once):\n\n    {key}\n");
            Ok(())
        }
        KeysAction::Rotate => {
            if config.settings.issuer.signing_key_file.is_some() {
                anyhow::bail!(
                    "the signing key comes from issuer.signing_key_file; rotate it there"
                );
            }
            let kid =
                issuance_credential::IssuerKeys::rotate(&config.settings.data_dir.join("keys"))?;
            println!("New active issuer signing key: kid {kid} (restart the service to use it).");
            Ok(())
        }
    }
}

/// Every projection the service maintains.
pub fn projections(
    opened: &stores::OpenedStores,
    server_secret: &ServerSecret,
) -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(OfferViewProjection::new(
            opened.views.clone(),
            opened.secrets.clone(),
            server_secret.clone(),
        )),
        Arc::new(AuditProjection::new(opened.audit.clone())),
    ]
}

async fn replay(config: &LoadedConfig, only: Option<&str>) -> anyhow::Result<()> {
    let opened = stores::open(&config.settings).await?;
    let server_secret = ServerSecret::from_settings(&config.settings)?;
    let selected: Vec<_> = projections(&opened, &server_secret)
        .into_iter()
        .filter(|p| only.is_none_or(|name| p.name() == name))
        .collect();
    if selected.is_empty() {
        anyhow::bail!("unknown projection `{}`", only.unwrap_or_default());
    }
    // Each projection's lease, as its projector takes it: no node projects into a view
    // while it is rebuilt (held until the replay ends).
    let mut leases = Vec::new();
    for projection in &selected {
        let name = projection.name();
        match opened.leases.try_acquire(name).await {
            Ok(Some(lease)) => leases.push(lease),
            Ok(None) => anyhow::bail!(
                "the `{name}` projector lease is held by a running node sharing these stores; \
                 stop every node before replaying"
            ),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot take the `{name}` lease"))
            }
        }
    }
    // The offer view holds pseudonyms keyed with the server secret: rebuilt under another
    // secret than the deployment's, subject lookups would find nothing.
    crate::node::deployment::check_server_secret(opened.secrets.as_ref(), &server_secret).await?;
    let head = opened.events.head().await?;
    for projection in selected {
        let started = std::time::Instant::now();
        projection.reset().await?;
        // `prepare` counts events on SQL backends (PostgreSQL's `commit` is a transaction).
        let bar = ProgressBar::new(head.prepare);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:12} [{bar:40}] {pos}/{len} positions ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(projection.name());
        let mut events = 0usize;
        let end = projector::catch_up(
            opened.events.as_ref(),
            projection.as_ref(),
            |position, count| {
                events += count;
                bar.set_position(position.prepare.min(head.prepare));
            },
        )
        .await?;
        bar.finish();
        println!(
            "{}: replayed {events} events up to position {} in {:.1}s",
            projection.name(),
            end.prepare,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
