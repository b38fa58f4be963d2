//! Leases: singleton background work when several service nodes share one database.
//!
//! Projectors, the AMQP relay and the expiry scheduler must run on exactly one node at a
//! time. [`run_with_lease`] runs such a task only while this node holds the named lease,
//! stops it when the lease is lost, and competes for the lease again:
//!
//! ```ignore
//! tasks.push(tokio::spawn(lease::run_with_lease(
//!     leases.clone(),
//!     "amqp_relay",
//!     shutdown_rx.clone(),
//!     move |shutdown| relay::run(store.clone(), broker.clone(), shutdown),
//! )));
//! ```
//!
//! - [`Leases::local`] (SQLite: one node by construction) grants every lease at once and
//!   never loses it.
//! - [`Leases::postgres`] takes a session-level advisory lock per lease on a dedicated
//!   connection. The lock lives exactly as long as that connection: when the holder dies,
//!   PostgreSQL ends its session (at once for a killed process, after TCP keepalives for a
//!   vanished host — set to seconds on this connection) and a standby, which retries every
//!   [`ACQUIRE_INTERVAL`], takes over. The holder checks its connection every
//!   [`CHECK_INTERVAL`] and stops its task as soon as the check fails.
//!
//! A lease narrows but cannot close the window in which a holder that lost its connection
//! has not noticed yet; tasks under a lease must therefore tolerate a brief overlap (the
//! projections ignore events their rows already reflect, and neither rows nor checkpoints
//! ever move back to an older version; the relay is at-least-once with event-id
//! deduplication downstream).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::store::pg::{lock_key, PgError, PgTarget};

/// How often a standby node tries to take a lease.
pub const ACQUIRE_INTERVAL: Duration = Duration::from_secs(1);

/// How often the holder checks that its lease connection is alive.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How long a connection check may take before the lease counts as lost.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Pause before competing again after the task ended on its own.
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// Server-side TCP keepalives of the lease connection: a holder host that vanishes without
/// closing its socket loses its session (and its locks) after about idle + interval × count
/// (11 s), or after `tcp_user_timeout` when the server's data goes unacknowledged. The
/// holder itself gives up after [`CHECK_INTERVAL`] + [`CHECK_TIMEOUT`] (4 s), before that.
const KEEPALIVE_SETTINGS: &str = "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; \
     SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000";

/// Where leases come from, and which of them this node holds.
#[derive(Clone)]
pub struct Leases {
    backend: Backend,
    held: Arc<Mutex<BTreeMap<&'static str, bool>>>,
}

#[derive(Clone)]
enum Backend {
    Local,
    Postgres(Arc<PgTarget>),
}

impl Leases {
    /// Leases for a single node: always granted, never lost.
    pub fn local() -> Leases {
        Leases {
            backend: Backend::Local,
            held: Arc::default(),
        }
    }

    /// Leases shared by every node using the database (and schema) of `target`.
    pub fn postgres(target: PgTarget) -> Leases {
        Leases {
            backend: Backend::Postgres(Arc::new(target)),
            held: Arc::default(),
        }
    }

    /// Whether other nodes may compete for the same leases (then a node that does not hold
    /// a lease must learn about the task's progress from the shared store).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Every lease this node competes for, and whether it holds it now (for health).
    pub fn snapshot(&self) -> BTreeMap<&'static str, bool> {
        self.held.lock().map(|m| m.clone()).unwrap_or_default()
    }

    fn mark(&self, name: &'static str, held: bool) {
        if let Ok(mut map) = self.held.lock() {
            map.insert(name, held);
        }
    }

    /// Takes the lease `name` if nobody holds it, without waiting (for `replay`, which
    /// must not rebuild a projection that a running node projects into at the same time).
    pub async fn try_acquire(&self, name: &'static str) -> Result<Option<Lease>, PgError> {
        let target = match &self.backend {
            Backend::Local => return Ok(Some(Lease::Local)),
            Backend::Postgres(target) => target.clone(),
        };
        let (client, ended) = open_session(&target).await?;
        let row = client
            .query_one(
                "SELECT pg_try_advisory_lock($1)",
                &[&lease_key(&target, name)],
            )
            .await?;
        let held: bool = row.try_get(0)?;
        Ok(held.then_some(Lease::Postgres { client, ended }))
    }

    /// Waits until this node holds the lease `name`; `None` if `shutdown` came first.
    pub async fn acquire(
        &self,
        name: &'static str,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<Lease> {
        let target = match &self.backend {
            Backend::Local => return Some(Lease::Local),
            Backend::Postgres(target) => target.clone(),
        };
        let key = lease_key(&target, name);
        let mut backoff = ACQUIRE_INTERVAL;
        let mut session: Option<(tokio_postgres::Client, oneshot::Receiver<()>)> = None;
        loop {
            if *shutdown.borrow() {
                return None;
            }
            let attempt = async {
                if session.is_none() {
                    session = Some(open_session(&target).await?);
                }
                match &session {
                    Some((client, _)) => {
                        let row = client
                            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                            .await?;
                        Ok::<bool, PgError>(row.try_get(0)?)
                    }
                    None => Ok(false),
                }
            };
            match attempt.await {
                Ok(true) => {
                    if let Some((client, ended)) = session.take() {
                        return Some(Lease::Postgres { client, ended });
                    }
                }
                Ok(false) => backoff = ACQUIRE_INTERVAL,
                Err(error) => {
                    tracing::warn!(lease = name, %error, "cannot compete for the lease; retrying");
                    session = None;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown_requested(shutdown) => return None,
            }
        }
    }
}

/// The advisory lock key of the lease `name` in the database (and schema) of `target`.
fn lease_key(target: &PgTarget, name: &str) -> i64 {
    lock_key(&format!("{}:lease:{name}", target.scope()))
}

async fn open_session(
    target: &PgTarget,
) -> Result<(tokio_postgres::Client, oneshot::Receiver<()>), PgError> {
    let (client, ended) = target.connect().await?;
    client.batch_execute(KEEPALIVE_SETTINGS).await?;
    Ok((client, ended))
}

/// A held lease. Dropping it releases it (for PostgreSQL: closes its session).
pub enum Lease {
    /// A single-node lease.
    Local,
    /// An advisory lock held by this session.
    Postgres {
        /// The session holding the lock.
        client: tokio_postgres::Client,
        /// Fires when the session's connection ends.
        ended: oneshot::Receiver<()>,
    },
}

impl Lease {
    /// Resolves when the lease is lost (never, for a local lease).
    pub async fn lost(&mut self) {
        match self {
            Lease::Local => std::future::pending().await,
            Lease::Postgres { client, ended } => loop {
                tokio::select! {
                    _ = &mut *ended => return,
                    _ = tokio::time::sleep(CHECK_INTERVAL) => {}
                }
                match tokio::time::timeout(CHECK_TIMEOUT, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "lease connection failed");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!("lease connection check timed out");
                        return;
                    }
                }
            },
        }
    }
}

/// Runs `task` while this node holds the lease `name`, until `shutdown` turns true.
///
/// `task` gets its own shutdown receiver, which turns true when the lease is lost or the
/// service stops; it should return promptly then (the next holder may already run).
/// After a loss the node competes for the lease again; if `task` returns by itself, the
/// lease is released and competed for again after a short pause.
pub async fn run_with_lease<F, Fut>(
    leases: Leases,
    name: &'static str,
    mut shutdown: watch::Receiver<bool>,
    mut task: F,
) where
    F: FnMut(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()>,
{
    leases.mark(name, false);
    loop {
        let Some(mut lease) = leases.acquire(name, &mut shutdown).await else {
            return;
        };
        leases.mark(name, true);
        if leases.is_shared() {
            tracing::info!(lease = name, "lease acquired; this node runs the task");
        }
        let (stop, stopped) = watch::channel(false);
        let mut run = std::pin::pin!(task(stopped));
        let ended_by_itself = tokio::select! {
            _ = &mut run => true,
            _ = lease.lost() => {
                tracing::warn!(lease = name, "lease lost; stopping the task");
                false
            }
            _ = shutdown_requested(&mut shutdown) => false,
        };
        if !ended_by_itself {
            let _ = stop.send(true);
            run.await;
        }
        leases.mark(name, false);
        drop(lease);
        if *shutdown.borrow() {
            return;
        }
        if ended_by_itself {
            tokio::select! {
                _ = tokio::time::sleep(RESTART_DELAY) => {}
                _ = shutdown_requested(&mut shutdown) => return,
            }
        }
    }
}

/// Resolves once `shutdown` is true (or its sender is gone).
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
