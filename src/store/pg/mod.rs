//! PostgreSQL plumbing shared by the event store, the secret store, the read store and the
//! leases: connection URLs, TLS, the connection pool and versioned migrations.
//!
//! A URL is a libpq-style `postgres://user:password@host:port/database?…` with three
//! options of ours, removed before the rest reaches `tokio-postgres`:
//! - `schema=name`: every table lives in this schema (created if missing); lets several
//!   deployments or test runs share one database.
//! - `pool_size=n`: connections in the pool (default [`DEFAULT_POOL_SIZE`]).
//! - `sslrootcert=path`: a PEM file of CAs to trust instead of the system's.
//!
//! `sslmode=require` connects with TLS **and verifies** the server certificate and host
//! name (libpq calls that `verify-full`); without it the connection is plain, as suits a
//! loopback or private-network database.

mod migrate;
mod options;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::config::SslMode;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls, Notification};

pub use migrate::{lock_key, migrate, Migration};

/// Pool connections when the URL does not say. Commits wait on the disk, not the CPU, so
/// the four group-commit append workers keep four transactions in flight; the rest serve
/// reads and projections. More would only make PostgreSQL's processes fight over a couple
/// of cores.
pub const DEFAULT_POOL_SIZE: usize = 10;

/// How long a caller waits for a pooled connection before the store reports unavailable.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// PostgreSQL failures, with messages safe to log (they never contain the URL).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PgError {
    /// The URL is malformed or names an unknown option.
    #[error("invalid PostgreSQL URL: {0}")]
    Url(String),
    /// TLS could not be set up.
    #[error("PostgreSQL TLS set-up failed: {0}")]
    Tls(String),
    /// The database cannot be reached or a statement failed.
    #[error("postgres: {0}")]
    Database(String),
}

impl From<tokio_postgres::Error> for PgError {
    fn from(error: tokio_postgres::Error) -> Self {
        // `Display` of a server error is only "db error"; the cause carries the message.
        match error.as_db_error() {
            Some(db) => PgError::Database(format!("{} ({})", db.message(), db.code().code())),
            None => {
                // Connection errors keep their cause (refused, timed out, TLS) in the chain.
                let mut message = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    let text = cause.to_string();
                    if !message.contains(&text) {
                        message = format!("{message}: {text}");
                    }
                    source = cause.source();
                }
                PgError::Database(message)
            }
        }
    }
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => PgError::Database(format!("connection pool: {other}")),
        }
    }
}

/// Whether `error` is a unique-constraint violation (SQLSTATE 23505).
pub fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// How to reach one database (and schema): parsed once, used for the pool and for the
/// dedicated connections of leases.
#[derive(Clone)]
pub struct PgTarget {
    config: tokio_postgres::Config,
    schema: Option<String>,
    tls: Option<postgres_openssl::MakeTlsConnector>,
    pool_size: usize,
    redacted: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("url", &self.redacted)
            .finish_non_exhaustive()
    }
}

impl PgTarget {
    /// Parses a `postgres://` URL (see the module documentation for its options).
    pub fn parse(url: &str) -> Result<PgTarget, PgError> {
        let parsed = options::split(url)?;
        let mut config: tokio_postgres::Config = parsed
            .libpq_url
            .parse()
            .map_err(|e: tokio_postgres::Error| PgError::Url(e.to_string()))?;
        if let Some(schema) = &parsed.schema {
            // Every connection starts with the schema first on its search path.
            let options = match config.get_options() {
                Some(existing) => format!("{existing} -c search_path={schema}"),
                None => format!("-c search_path={schema}"),
            };
            config.options(options);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("issuance");
        }
        let tls = match config.get_ssl_mode() {
            SslMode::Require => Some(tls_connector(parsed.sslrootcert.as_deref())?),
            // `prefer` without verification protects nothing an attacker on the path could
            // not undo: plain unless TLS is required (and then verified).
            _ => {
                config.ssl_mode(SslMode::Disable);
                None
            }
        };
        Ok(PgTarget {
            config,
            schema: parsed.schema,
            tls,
            pool_size: parsed.pool_size.unwrap_or(DEFAULT_POOL_SIZE),
            redacted: crate::config::redact::redact(url),
        })
    }

    /// The schema the tables live in, if the URL chose one (else `public`).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Connections in the pool.
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// The database name (for lock keys and messages).
    pub fn database(&self) -> &str {
        self.config.get_dbname().unwrap_or("")
    }

    /// The URL with its password replaced, for messages.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// A name that identifies the database and schema on the server, e.g. `test.t_ab12`
    /// (two deployments sharing a server but not a schema must not share leases).
    pub fn scope(&self) -> String {
        format!(
            "{}.{}",
            self.database(),
            self.schema.as_deref().unwrap_or("public")
        )
    }

    /// A connection pool of the configured size.
    pub fn pool(&self) -> Result<Pool, PgError> {
        let manager_config = ManagerConfig {
            // Fast recycling skips a test query per checkout; a broken connection is
            // noticed on use and replaced.
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &self.tls {
            Some(tls) => Manager::from_config(self.config.clone(), tls.clone(), manager_config),
            None => Manager::from_config(self.config.clone(), NoTls, manager_config),
        };
        Pool::builder(manager)
            .max_size(self.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| PgError::Database(format!("cannot build the connection pool: {e}")))
    }

    /// A dedicated connection outside the pool (leases hold their advisory locks on one).
    /// The returned receiver fires when the connection ends for any reason.
    pub async fn connect(&self) -> Result<(Client, oneshot::Receiver<()>), PgError> {
        let (client, _notifications, ended) = self.connect_listening().await?;
        Ok((client, ended))
    }

    /// A dedicated connection whose `NOTIFY` messages (after a `LISTEN`) arrive on the
    /// returned channel; the oneshot fires when the connection ends.
    pub async fn connect_listening(
        &self,
    ) -> Result<
        (
            Client,
            mpsc::UnboundedReceiver<Notification>,
            oneshot::Receiver<()>,
        ),
        PgError,
    > {
        let (notify_tx, notifications) = mpsc::unbounded_channel();
        let (ended_tx, ended) = oneshot::channel();
        let client = match &self.tls {
            Some(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await?;
                tokio::spawn(drive(connection, notify_tx, ended_tx));
                client
            }
            None => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(drive(connection, notify_tx, ended_tx));
                client
            }
        };
        Ok((client, notifications, ended))
    }
}

/// Runs a dedicated connection, forwarding notifications, until it ends.
async fn drive<S, T>(
    mut connection: Connection<S, T>,
    notifications: mpsc::UnboundedSender<Notification>,
    ended: oneshot::Sender<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(notification))) => {
                // Nobody listening is fine: a lease connection never asks for any.
                let _ = notifications.send(notification);
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                tracing::debug!(%error, "dedicated PostgreSQL connection ended");
                break;
            }
            None => break,
        }
    }
    let _ = ended.send(());
}

fn tls_connector(root_cert: Option<&str>) -> Result<postgres_openssl::MakeTlsConnector, PgError> {
    let tls = |e: openssl::error::ErrorStack| PgError::Tls(e.to_string());
    let mut builder =
        openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client()).map_err(tls)?;
    if let Some(path) = root_cert {
        builder.set_ca_file(path).map_err(tls)?;
    }
    // `SslConnector` verifies the peer by default; postgres-openssl checks the host name.
    Ok(postgres_openssl::MakeTlsConnector::new(builder.build()))
}
