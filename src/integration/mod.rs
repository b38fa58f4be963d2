//! The integration side: everything that leaves the service after an event is committed.
//!
//! - [`relay`]: reads the global log from a durable checkpoint and hands each event to a
//!   sink that stores the checkpoint only once the event is safe (at-least-once).
//! - [`amqp`]: with `amqp_url`, the sink is RabbitMQ (topic exchange, publisher confirms);
//!   the callback consumer and the dead-letter pump work RabbitMQ queues.
//! - [`embedded`]: without `amqp_url`, the sink is a durable outbox in the read store and
//!   an in-process consumer delivers from it.
//! - [`callbacks`]: status callbacks (payload, HMAC signature, HTTP, retry schedule) shared
//!   by both transports; [`store`]: checkpoints, outbox and dead letters.
//! - [`expiry`]: the scheduler that expires offers past their deadline.
//! - [`lag`]: how far behind callbacks are, per destination (`/health/ready`, `/metrics`).
//!
//! Every long-running task is `async fn run(..., shutdown: watch::Receiver<bool>)`, so a
//! lease (multi-node deployments) can wrap the singleton ones: the relays, the expiry
//! scheduler and the callback consumer (in-process or AMQP: one consumer keeps each
//! offer's callbacks in order). The dead-letter pump is a competing consumer and may run
//! on every node.

pub mod amqp;
pub mod callbacks;
pub mod embedded;
pub mod envelope;
pub mod expiry;
pub mod issuer_envelope;
pub mod lag;
pub mod relay;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use issuance_eventlog::LogPosition;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use self::amqp::AmqpContext;
use self::callbacks::{CallbackProcessor, CallbackSecret, RetryPolicy};
use self::store::IntegrationStore;
use crate::app::offers::OfferRepository;
use crate::clock::Clock;
use crate::component_health::HealthRegistry;
use crate::component_health::{while_held, STANDBY};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::readstore::OfferViewStore;
use crate::store::lease::run_with_lease;
use crate::store::{EventStore, SecretStore};

/// What request handlers need from the integration side (the dead-letter endpoints).
#[derive(Clone)]
pub struct Integration {
    /// Checkpoints, outbox and dead letters.
    pub store: Arc<dyn IntegrationStore>,
    /// Wakes the task that re-queues dead letters.
    pub requeue: Arc<Notify>,
    /// Which transport delivers callbacks: `amqp` or `in-process`.
    pub transport: &'static str,
    /// The checkpoint name of this transport's relay.
    relay_checkpoint: &'static str,
    /// The callback processor (destinations, this node's unfinished callbacks).
    processor: Arc<CallbackProcessor>,
    /// The configured default callback URL's destination.
    default_destination: Option<String>,
    /// `callbacks.degraded_after_ms` (`None`: 0, never degraded).
    degraded_after: Option<Duration>,
}

impl Integration {
    /// The callback backlog per destination at `now`: the outbox in process, this node's
    /// unfinished callbacks over RabbitMQ (see [`lag`]).
    pub async fn callback_lag(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<lag::CallbackLag, store::IntegrationStoreError> {
        let (scope, backlog) = match self.transport {
            "amqp" => ("node", self.processor.pending().backlog()),
            _ => ("outbox", self.store.outbox_backlog().await?),
        };
        Ok(lag::CallbackLag::measure(lag::LagInputs {
            scope,
            backlog,
            states: self.processor.destinations().snapshot(),
            default_destination: self.default_destination.as_deref(),
            degraded_after: self.degraded_after,
            now,
        }))
    }

    /// A page of dead letters, oldest first.
    pub async fn dead_letters(
        &self,
        limit: usize,
        after: Option<store::DeadLetterCursor>,
    ) -> Result<store::DeadLetterPage, store::IntegrationStoreError> {
        self.store.dead_letters(limit, after).await
    }

    /// Marks dead letters for re-queueing and wakes the task that re-queues them; returns
    /// how many it marked.
    pub async fn requeue(
        &self,
        selection: store::RequeueSelection,
    ) -> Result<u64, store::IntegrationStoreError> {
        let count = self.store.request_requeue(selection).await?;
        if count > 0 {
            tracing::info!(count, "dead letters re-queued");
            self.requeue.notify_one();
        }
        Ok(count)
    }

    /// How far this transport's relay has published the log.
    pub async fn relay_checkpoint(&self) -> Result<LogPosition, store::IntegrationStoreError> {
        self.store.checkpoint(self.relay_checkpoint).await
    }
}

/// What the integration side works with.
pub struct Dependencies {
    /// The event log.
    pub events: Arc<dyn EventStore>,
    /// Data keys (callbacks open the offer's correlation object with them).
    pub secrets: Arc<dyn SecretStore>,
    /// The offer view (expiry candidates).
    pub views: Arc<dyn OfferViewStore>,
    /// Offer commands (expiry).
    pub offers: OfferRepository,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Metrics.
    pub metrics: Metrics,
    /// Health components.
    pub health: HealthRegistry,
    /// Leases: the relays, the in-process consumer and the scheduler run on one node.
    pub leases: crate::store::lease::Leases,
    /// Checkpoints, outbox and dead letters (beside the read models, see
    /// [`crate::node::stores`]).
    pub store: Arc<dyn IntegrationStore>,
}

/// The callback secret: configured, else generated into `<data dir>/secrets/callback.key`.
pub fn callback_secret(settings: &Settings) -> anyhow::Result<CallbackSecret> {
    Ok(match &settings.callback_secret {
        Some(secret) => CallbackSecret::new(&secret.0)?,
        None => CallbackSecret::load_or_generate(
            &settings.data_dir.join("secrets").join("callback.key"),
        )?,
    })
}

/// Starts the relay, the callback consumer (over RabbitMQ or in-process), the dead-letter
/// pump and the expiry scheduler.
///
/// With `amqp_url` and `require_broker`, fails when the broker cannot be reached within
/// `amqp.connect_timeout_ms`; without `require_broker` the tasks keep retrying and
/// `/health/ready` reports the broker as not ready meanwhile.
pub async fn start(
    settings: &Settings,
    deps: Dependencies,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<(Integration, Vec<JoinHandle<()>>)> {
    let store = deps.store.clone();
    let policy = RetryPolicy::from(&settings.callbacks);
    let sender = callbacks::sender::CallbackSender::new(
        callback_secret(settings).context("cannot load the callback secret")?,
    );
    let destinations = Arc::new(callbacks::Destinations::new(
        callbacks::destination::DestinationSettings::from(&settings.callbacks),
    ));
    let processor = Arc::new(CallbackProcessor::new(
        deps.events.clone(),
        deps.secrets.clone(),
        sender,
        settings.callback_url.clone(),
        deps.clock.clone(),
        deps.metrics.clone(),
        policy.clone(),
        destinations,
    ));
    let lag_processor = processor.clone();
    let amqp = settings.amqp_url.as_ref().map(|url| AmqpContext {
        url: Arc::from(url.0.as_str()),
        settings: settings.amqp.clone(),
        policy: policy.clone(),
    });
    if let (Some(context), true) = (&amqp, settings.require_broker) {
        require_broker(context).await?;
    }
    let requeue = Arc::new(Notify::new());
    let leases = deps.leases.clone();
    let expiry_interval = Duration::from_millis(settings.scheduler.expiry_interval_ms);
    let (views, offers, clock) = (deps.views.clone(), deps.offers.clone(), deps.clock.clone());
    let mut tasks = vec![tokio::spawn(run_with_lease(
        leases.clone(),
        "expiry_scheduler",
        shutdown.clone(),
        move |shutdown| {
            expiry::run(
                views.clone(),
                offers.clone(),
                clock.clone(),
                expiry_interval,
                shutdown,
            )
        },
    ))];

    let (transport, relay_checkpoint) = match amqp {
        None => {
            deps.health.set(
                amqp::publisher::HEALTH,
                true,
                "in-process delivery (no amqp_url)",
            );
            let targets = embedded::CallbackTargets {
                default_url: settings.callback_url.clone(),
                offers: deps.offers.clone(),
            };
            let (events, relay_store, clock, wake) = (
                deps.events.clone(),
                store.clone(),
                deps.clock.clone(),
                requeue.clone(),
            );
            tasks.push(tokio::spawn(run_with_lease(
                leases.clone(),
                "callback_relay",
                shutdown.clone(),
                move |shutdown| {
                    embedded::run_relay(
                        events.clone(),
                        relay_store.clone(),
                        clock.clone(),
                        wake.clone(),
                        targets.clone(),
                        shutdown,
                    )
                },
            )));
            let (consumer_store, clock, wake) =
                (store.clone(), deps.clock.clone(), requeue.clone());
            let concurrency = settings.callbacks.concurrency;
            tasks.push(tokio::spawn(run_with_lease(
                leases.clone(),
                "callback_consumer",
                shutdown.clone(),
                move |shutdown| {
                    embedded::run_consumer(
                        consumer_store.clone(),
                        processor.clone(),
                        clock.clone(),
                        wake.clone(),
                        concurrency,
                        shutdown,
                    )
                },
            )));
            ("in-process", embedded::CHECKPOINT)
        }
        Some(context) => {
            // The relay and the consumer run on one node (their leases); the others are
            // ready on standby.
            deps.health.set(amqp::publisher::HEALTH, true, STANDBY);
            deps.health.set(amqp::consumer::HEALTH, true, STANDBY);
            let (relay_context, events, relay_store, health) = (
                context.clone(),
                deps.events.clone(),
                store.clone(),
                deps.health.clone(),
            );
            tasks.push(tokio::spawn(run_with_lease(
                leases.clone(),
                "amqp_relay",
                shutdown.clone(),
                move |shutdown| {
                    let relay = amqp::publisher::run_relay(
                        relay_context.clone(),
                        events.clone(),
                        relay_store.clone(),
                        health.clone(),
                        shutdown,
                    );
                    while_held(health.clone(), amqp::publisher::HEALTH, relay)
                },
            )));
            // One consumer in the cluster, under the same lease as the in-process one: two
            // nodes consuming one queue would deliver one offer's callbacks side by side,
            // out of order (the queue's order holds for a single consumer only).
            let (consumer_context, health) = (context.clone(), deps.health.clone());
            tasks.push(tokio::spawn(run_with_lease(
                leases.clone(),
                "callback_consumer",
                shutdown.clone(),
                move |shutdown| {
                    let consumer = amqp::consumer::run(
                        consumer_context.clone(),
                        processor.clone(),
                        health.clone(),
                        shutdown,
                    );
                    while_held(health.clone(), amqp::consumer::HEALTH, consumer)
                },
            )));
            tasks.push(tokio::spawn(amqp::dead_letters::run(
                context,
                store.clone(),
                deps.clock.clone(),
                requeue.clone(),
                shutdown.clone(),
            )));
            ("amqp", amqp::publisher::CHECKPOINT)
        }
    };
    Ok((
        Integration {
            store,
            requeue,
            transport,
            relay_checkpoint,
            processor: lag_processor,
            default_destination: settings
                .callback_url
                .as_deref()
                .map(callbacks::destination::destination_of),
            degraded_after: (settings.callbacks.degraded_after_ms > 0)
                .then(|| Duration::from_millis(settings.callbacks.degraded_after_ms)),
        },
        tasks,
    ))
}

/// Connects once and declares the topology, or fails with a clear message.
async fn require_broker(context: &AmqpContext) -> anyhow::Result<()> {
    let timeout = Duration::from_millis(context.settings.connect_timeout_ms);
    let attempt = async {
        let (connection, _) = amqp::connection::open(context, "startup-check").await?;
        let _ = connection
            .close(200, lapin::types::ShortString::from("start-up check"))
            .await;
        Ok::<(), amqp::error::AmqpError>(())
    };
    let url = amqp::connection::redacted(&context.url);
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => anyhow::bail!(
            "RabbitMQ at {url} is required (require_broker / --require-broker) but unusable: {error}"
        ),
        Err(_) => anyhow::bail!(
            "RabbitMQ at {url} is required (require_broker / --require-broker) but did not answer within {} ms",
            timeout.as_millis()
        ),
    }
}
