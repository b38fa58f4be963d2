//! Graceful shutdown on SIGTERM or SIGINT, in this order:
//!
//! 1. `/health/ready` answers 503 at once (component `shutdown`), and keeps accepting for
//!    `shutdown.unready_delay` seconds so a load balancer can take the node out of rotation
//!    first; every response from now on closes its connection ([`close_connections`]), so
//!    no keep-alive connection is left idle for a client to send into as it closes;
//! 2. both listeners stop accepting; requests in flight complete, for at most
//!    `shutdown.drain_timeout` seconds (default 30; then actix-web cuts what is left), and
//!    idle keep-alive connections are closed;
//! 3. the background tasks (projectors, relay, callback outbox and consumer, expiry
//!    scheduler, retention, nonce purge) are told to stop; each finishes the batch it is
//!    in, commits its checkpoint and returns (bounded by the drain timeout again);
//! 4. the process exits 0.
//!
//! A second signal during 1 or 2 cuts the remaining requests and goes on with 3.
//!
//! The servers run as tasks of their own: dropping an actix `Server` future force-closes
//! its connections, which is how a signal used to cut every request in flight.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;
use futures_util::future::join_all;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::component_health::HealthRegistry;
use crate::config::ShutdownSettings;

/// The readiness component that turns 503 when shutdown begins.
pub const READINESS_COMPONENT: &str = "shutdown";

/// SIGTERM and SIGINT, caught from the moment of [`ShutdownSignals::install`] on (before
/// the service is built, so a signal during start-up is not fatal either).
pub struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Installs the handlers: from now on these signals no longer end the process at once.
    pub fn install() -> std::io::Result<ShutdownSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(ShutdownSignals {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(ShutdownSignals {})
        }
    }

    /// Waits for the next signal; returns its name.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Middleware of both listeners: once shutdown has begun, every response closes its
/// connection. A client then opens a new connection for its next request, which is
/// refused cleanly once the listeners close, instead of sending it into a keep-alive
/// connection the server is closing at that moment (a request lost on the wire).
pub async fn close_connections(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let shutting_down = request
        .app_data::<web::Data<HealthRegistry>>()
        .is_some_and(|health| health.shutting_down());
    let mut response = next.call(request).await?;
    if shutting_down {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

/// Waits for the next signal, or forever without handlers.
async fn next_signal(signals: &mut Option<ShutdownSignals>) -> &'static str {
    match signals {
        Some(signals) => signals.recv().await,
        None => std::future::pending().await,
    }
}

/// A service whose listeners and background tasks are running.
pub(crate) struct Running {
    /// The wallet listener.
    pub wallet: Server,
    /// The management listener.
    pub management: Server,
    /// Where readiness is reported.
    pub health: HealthRegistry,
    /// Tells the background tasks to stop.
    pub background: watch::Sender<bool>,
    /// The background tasks.
    pub tasks: Vec<JoinHandle<()>>,
    /// Drain timings.
    pub settings: ShutdownSettings,
    /// The signals that start a shutdown (none: only a `StopHandle` stops the service).
    pub signals: Option<ShutdownSignals>,
}

/// Serves until a signal (then shuts down as the module docs describe) or until both
/// servers stop through their handles; then stops the background tasks.
pub(crate) async fn serve(running: Running) -> anyhow::Result<()> {
    let Running {
        wallet,
        management,
        health,
        background,
        tasks,
        settings,
        mut signals,
    } = running;
    let handles = [wallet.handle(), management.handle()];
    let mut servers = tokio::spawn(async move { tokio::try_join!(wallet, management) });
    tokio::select! {
        result = &mut servers => {
            result??;
        }
        signal = next_signal(&mut signals) => {
            health.begin_shutdown(READINESS_COMPONENT);
            let mut cut = false;
            if settings.unready_delay > 0 {
                tracing::info!(signal, unready_delay = settings.unready_delay, "shutting down: readiness answers 503, listeners close after the delay");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(settings.unready_delay)) => {}
                    _ = next_signal(&mut signals) => cut = true,
                }
            }
            tracing::info!(signal, drain_timeout = settings.drain_timeout, "shutting down: listeners closed, draining requests in flight");
            let draining = join_all(handles.iter().map(|handle| handle.stop(!cut)));
            tokio::select! {
                _ = draining => {}
                second = next_signal(&mut signals) => {
                    tracing::warn!(signal = second, "second signal: cutting the requests still in flight");
                    // Dropping the servers force-closes their connections.
                    servers.abort();
                }
            }
            let _ = servers.await;
            tracing::info!("requests drained");
        }
    }
    stop_background(
        background,
        tasks,
        Duration::from_secs(settings.drain_timeout),
    )
    .await;
    Ok(())
}

/// Tells every background task to stop and waits for them, at most `timeout`.
async fn stop_background(
    background: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    timeout: Duration,
) {
    let _ = background.send(true);
    let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
    if tokio::time::timeout(timeout, join_all(tasks))
        .await
        .is_err()
    {
        tracing::warn!(
            timeout_seconds = timeout.as_secs(),
            "background tasks did not stop in time; abandoning them"
        );
        for abort in aborts {
            abort.abort();
        }
    } else {
        tracing::info!("background tasks stopped at their checkpoints");
    }
}
