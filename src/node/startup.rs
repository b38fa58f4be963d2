//! Building and running the service: stores, state, background tasks, both listeners.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::log_head::LogHead;
use crate::app::nonce_ledger::NonceLedger;
use crate::app::offers::queries::OfferQueries;
use crate::app::offers::DataKeys;
use crate::app::offers::OfferRepository;
use crate::app::readiness::Readiness;
use crate::audit::AuditTrail;
use crate::clock::{Clock, SystemClock};
use crate::component_health::HealthRegistry;
use crate::config::LoadedConfig;
use crate::crypto::server_secret::ServerSecret;
use crate::data_dir::lock::DataDirLock;
use crate::http::client_addr::TrustedProxies;
use crate::http::state::{Common, ManagementApi, WalletApi};
use crate::http::wallet;
use crate::integration;
use crate::metrics::Metrics;
use crate::node::bootstrap_keys::{bootstrap_api_keys, load_issuer_keys};
use crate::node::default_issuer;
use crate::node::default_wallet;
use crate::node::listeners;
use crate::node::projectors::{follow_checkpoints, spawn_projector};
use crate::node::retention;
use crate::node::shutdown::{self, ShutdownSignals};
use crate::node::state::NodeState;
use crate::node::stores;
use crate::projector::{self, AuditProjection, OfferViewProjection, ProjectionProgress};
use crate::readstore::{AUDIT_VIEW, OFFER_VIEW};
use crate::store::layered::Layered;
use crate::store::lease;
use crate::store::metered::Metered;

/// A built service: listeners bound, background tasks started.
pub struct Application {
    wallet_port: u16,
    management_port: u16,
    wallet_server: Server,
    management_server: Server,
    state: web::Data<NodeState>,
    health: HealthRegistry,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    signals: Option<ShutdownSignals>,
    lock: DataDirLock,
}

/// Options for building.
#[derive(Default)]
pub struct BuildOptions {
    /// Pre-bound wallet listener (tests bind port 0 first to learn the public URL).
    pub wallet_listener: Option<TcpListener>,
    /// Pre-bound management listener.
    pub management_listener: Option<TcpListener>,
    /// A clock to use instead of the system clock.
    pub clock: Option<Arc<dyn Clock>>,
}

impl Application {
    /// Builds the service from its configuration.
    pub async fn build(config: LoadedConfig, options: BuildOptions) -> anyhow::Result<Application> {
        let settings = Arc::new(config.settings);
        crate::data_dir::private_files::create_data_dir(&settings.data_dir).with_context(|| {
            format!(
                "cannot create data directory {}",
                settings.data_dir.display()
            )
        })?;
        // Held until the service stops: a second process on this directory refuses to start.
        let lock = DataDirLock::acquire(&settings.data_dir)?;
        let mut opened = stores::open(&settings)
            .await
            .context("cannot open the stores")?;
        let server_secret = ServerSecret::from_settings(&settings)?;
        let api_keys = bootstrap_api_keys(&settings)?;
        let issuer_keys = Arc::new(load_issuer_keys(&settings)?);
        // Every node of a deployment must use the same secrets as the shared store's.
        crate::node::deployment::check(opened.secrets.as_ref(), &server_secret, &issuer_keys)
            .await?;
        let clock: Arc<dyn Clock> = options.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let metrics = Metrics::new().context("cannot register metrics")?;
        // Every append of this node passes here: events are counted in one place.
        opened.events = Arc::new(Layered::new(opened.events, Metered::new(metrics.clone())));
        let start = opened
            .views
            .checkpoint(OFFER_VIEW)
            .await
            .context("cannot read the offer view checkpoint")?;
        let (progress_tx, offer_view_progress) = ProjectionProgress::new(start);
        let audit_start = opened
            .audit
            .audit_head()
            .await
            .context("cannot read the audit view checkpoint")?
            .checkpoint;
        let (audit_progress_tx, audit_progress) = ProjectionProgress::new(audit_start);
        let issuer_url = settings.public_url.trim_end_matches('/').to_string();
        let wallet_api = default_wallet::prepare(
            &settings,
            &config.catalog,
            &issuer_keys,
            (&issuer_url, &server_secret),
            clock.as_ref(),
        )?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let offers = OfferRepository::new(opened.events.clone(), clock.clone());
        let health = HealthRegistry::default();
        let (integration, integration_tasks) = integration::start(
            &settings,
            integration::Dependencies {
                events: opened.events.clone(),
                secrets: opened.secrets.clone(),
                views: opened.views.clone(),
                offers: offers.clone(),
                clock: clock.clone(),
                metrics: metrics.clone(),
                health: health.clone(),
                leases: opened.leases.clone(),
                store: opened.integration.clone(),
            },
            &shutdown_rx,
        )
        .await
        .context("cannot start the integration side (relay, callbacks, expiry)")?;
        let authorization = crate::http::authorization::Authorization::new(
            &settings.authorization,
            opened.events.clone(),
            clock.clone(),
        );
        let status_lists = Arc::new(crate::status::StatusLists::new(
            &settings.status_lists,
            &issuer_url,
            &server_secret,
            issuer_keys.clone(),
            opened.events.clone(),
            clock.clone(),
        ));
        let log = LogHead::new(opened.events.clone());
        let data_keys = DataKeys::new(opened.secrets.clone());
        let (issuers, issuer_follower) = crate::app::issuers::start(
            opened.events.clone(),
            crate::app::issuers::KeyVault::new(opened.secrets.clone(), &server_secret),
            clock.clone(),
            log.clone(),
            settings.profile.issuer_profile(),
        );
        // Followed from now on: recording the file waits for the registry to read it.
        let issuer_registry = tokio::spawn(issuer_follower.run(shutdown_rx.clone()));
        default_issuer::apply(&issuers, &settings)
            .await
            .context("cannot record the configuration file as the default issuer")?;
        let catalog = Arc::new(config.catalog);
        let common = Common {
            settings: settings.clone(),
            catalog,
            issuer_url: issuer_url.clone(),
            issuer_id: None,
            issuers: issuers.clone(),
            server_secret: server_secret.clone(),
            clock: clock.clone(),
            offers: offers.clone(),
            data_keys: data_keys.clone(),
            issuer_keys: issuer_keys.clone(),
            status_lists: status_lists.clone(),
            authorization,
            log: log.clone(),
        };
        let wallet_state = web::Data::new(WalletApi {
            common: common.clone(),
            wallet: wallet_api,
            nonces: NonceLedger::new(opened.secrets.clone()),
        });
        let served_wallets = web::Data::new(wallet::served::ServedWallets::new(
            issuers.clone(),
            wallet_state.clone(),
        ));
        let management_state = web::Data::new(ManagementApi {
            common,
            api_keys,
            queries: OfferQueries::new(
                opened.views.clone(),
                data_keys.clone(),
                log.clone(),
                offer_view_progress.clone(),
                server_secret.clone(),
            ),
            audit: AuditTrail::new(
                opened.audit.clone(),
                opened.events.clone(),
                audit_progress.clone(),
                (issuer_keys.clone(), issuer_url),
                clock.clone(),
            ),
            integration: integration.clone(),
        });
        let readiness = web::Data::new(Readiness {
            log: log.clone(),
            views: opened.views.clone(),
            offer_view_progress: offer_view_progress.clone(),
            audit_progress: audit_progress.clone(),
            integration,
            leases: opened.leases.clone(),
            health: health.clone(),
            metrics: metrics.clone(),
            clock: clock.clone(),
        });
        let state = web::Data::new(NodeState {
            settings: settings.clone(),
            events: opened.events.clone(),
            secrets: opened.secrets.clone(),
            views: opened.views.clone(),
            audit: opened.audit.clone(),
            offers,
            data_keys,
            issuer_keys,
            server_secret: server_secret.clone(),
            clock,
            offer_view_progress,
            audit_progress,
            status_lists: status_lists.clone(),
            metrics,
            log,
            issuers: issuers.clone(),
        });

        let leases = opened.leases.clone();
        let mut tasks = Vec::new();
        // Singleton work runs under a lease: one node at a time (this one when embedded).
        tasks.push(spawn_projector(
            &leases,
            OFFER_VIEW,
            opened.events.clone(),
            Arc::new(OfferViewProjection::new(
                opened.views.clone(),
                opened.secrets.clone(),
                server_secret.clone(),
            )),
            progress_tx.clone(),
            // Management reads wait for it (read-your-write), hurrying it; wallets never do.
            projector::Pacing::read_model(&state.offer_view_progress, leases.is_shared()),
            &shutdown_rx,
        ));
        tasks.push(spawn_projector(
            &leases,
            AUDIT_VIEW,
            opened.events.clone(),
            Arc::new(AuditProjection::new(opened.audit.clone())),
            audit_progress_tx.clone(),
            // Audit reads wait for it (5 s bound); other nodes' waits may take the linger.
            projector::Pacing::read_model(&state.audit_progress, false),
            &shutdown_rx,
        ));
        if leases.is_shared() {
            // Read-your-write on a node whose projectors may run elsewhere.
            let followed = [
                (OFFER_VIEW, progress_tx, state.offer_view_progress.clone()),
                (AUDIT_VIEW, audit_progress_tx, state.audit_progress.clone()),
            ];
            tasks.extend(follow_checkpoints(&opened.views, followed, &shutdown_rx));
        }
        // Every node folds the status lists itself (no lease): it serves them and
        // allocates from them.
        tasks.push(tokio::spawn(projector::run(
            opened.events.clone(),
            Arc::new(crate::status::RegistryProjection(
                status_lists.registry.clone(),
            )),
            watch::channel(issuance_eventlog::LogPosition::START).0,
            // Status changes show within a second (the signer adds up to 500 ms).
            projector::Pacing::lingering(std::time::Duration::from_millis(50)),
            shutdown_rx.clone(),
        )));
        tasks.push(issuer_registry);
        tasks.push(tokio::spawn(
            status_lists.tokens.clone().run(shutdown_rx.clone()),
        ));
        tasks.push(tokio::spawn(
            NonceLedger::new(opened.secrets.clone())
                .purge_periodically(state.clock.clone(), shutdown_rx.clone()),
        ));
        if let Some(hours) = settings.retention.erase_claims_after_hours {
            let retention_state = state.clone();
            tasks.push(tokio::spawn(lease::run_with_lease(
                leases.clone(),
                "retention",
                shutdown_rx.clone(),
                move |shutdown| retention::run(retention_state.clone(), hours, shutdown),
            )));
        }
        tasks.extend(integration_tasks);

        let wallet_listener = match options.wallet_listener {
            Some(listener) => listener,
            None => TcpListener::bind(&settings.wallet_addr)
                .with_context(|| format!("cannot listen on {}", settings.wallet_addr))?,
        };
        let management_listener = match options.management_listener {
            Some(listener) => listener,
            None => TcpListener::bind(&settings.management_addr)
                .with_context(|| format!("cannot listen on {}", settings.management_addr))?,
        };
        let wallet_port = wallet_listener.local_addr()?.port();
        let management_port = management_listener.local_addr()?.port();
        let node_health = web::Data::new(health);
        let shared = listeners::Shared {
            settings: &settings,
            proxies: web::Data::new(TrustedProxies::new(&settings.limits.trusted_proxies)),
            health: node_health.clone(),
            metrics: web::Data::new(state.metrics.clone()),
        };
        let wallet_server =
            listeners::wallet(&shared, (wallet_state, served_wallets), wallet_listener)?;
        let management_server =
            listeners::management(&shared, management_state, readiness, management_listener)?;

        Ok(Application {
            wallet_port,
            management_port,
            wallet_server,
            management_server,
            state,
            health: node_health.get_ref().clone(),
            shutdown,
            tasks,
            signals: None,
            lock,
        })
    }

    /// Shuts down gracefully on these signals (see [`crate::node::shutdown`]).
    pub fn with_signals(mut self, signals: ShutdownSignals) -> Application {
        self.signals = Some(signals);
        self
    }

    /// The wallet listener's port.
    pub fn wallet_port(&self) -> u16 {
        self.wallet_port
    }

    /// The management listener's port.
    pub fn management_port(&self) -> u16 {
        self.management_port
    }

    /// A handle that stops both listeners (and so [`Application::run_until_stopped`]).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            wallet: self.wallet_server.handle(),
            management: self.management_server.handle(),
        }
    }

    /// The node's stores and services (tests inspect stores through it).
    pub fn state(&self) -> web::Data<NodeState> {
        self.state.clone()
    }

    /// Serves until both servers stop through a [`StopHandle`], or until a signal given to
    /// [`Application::with_signals`] (then gracefully, see [`crate::node::shutdown`]); then stops
    /// the background tasks at their checkpoints.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let _lock = self.lock;
        shutdown::serve(shutdown::Running {
            wallet: self.wallet_server,
            management: self.management_server,
            health: self.health,
            background: self.shutdown,
            tasks: self.tasks,
            settings: self.state.settings.shutdown.clone(),
            signals: self.signals,
        })
        .await
    }
}

/// Stops a running [`Application`].
#[derive(Clone)]
pub struct StopHandle {
    wallet: actix_web::dev::ServerHandle,
    management: actix_web::dev::ServerHandle,
}

impl StopHandle {
    /// Stops both listeners; `graceful` lets in-flight requests finish.
    pub async fn stop(&self, graceful: bool) {
        tokio::join!(self.wallet.stop(graceful), self.management.stop(graceful));
    }
}
