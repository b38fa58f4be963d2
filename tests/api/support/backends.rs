//! Running the same test on every storage backend.
//!
//! # Writing a test that runs on SQLite and PostgreSQL
//!
//! Wrap the test in [`backend_test!`]; it receives the backend as a parameter and passes it
//! to [`TestOptions::on`] (or [`spawn_app_on`](super::spawn_app_on)):
//!
//! ```ignore
//! use crate::support::*;
//!
//! backend_test! {
//!     /// What the test proves.
//!     async fn a_revoked_offer_cannot_be_redeemed(backend) {
//!         let app = spawn_app_on(backend).await;
//!         // … exactly as in a single-backend test …
//!     }
//! }
//! ```
//!
//! This expands to a module `a_revoked_offer_cannot_be_redeemed` with two tests, `sqlite`
//! and `postgres` (`cargo test postgres` runs only the PostgreSQL variants). Each
//! PostgreSQL test gets its own schema in the database of `ISSUANCE_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), dropped when the test ends, so
//! tests run in parallel without seeing each other's data. Extra settings still go
//! through `TestOptions::on(backend).set("key", value)`.
//!
//! To wait until the projection reflects a write, wait for the position the write returned
//! (`Executed::position`, or a POST's own read-your-write), not for `events.head()`: on
//! PostgreSQL the head includes a commit only once every older transaction on the server
//! has ended (other tests' included), so it may trail your append by a moment. For the
//! same reason `TestApp::event_count` counts PostgreSQL rows in the table.
//!
//! A test that restarts the service on the same stores uses
//! [`TestApp::shutdown`](super::TestApp::shutdown) and
//! [`Stopped::restart_options`](super::Stopped::restart_options).

use std::sync::OnceLock;

/// Where a test's events, secrets and read models live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The embedded SQLite files in the test's data directory.
    #[default]
    Sqlite,
    /// A fresh schema in the test PostgreSQL database (event, secret and read store).
    Postgres,
}

/// Expands one async test body into a `sqlite` and a `postgres` test (see the module
/// documentation).
macro_rules! backend_test {
    ($(#[$attr:meta])* async fn $name:ident($backend:ident) $body:block) => {
        $(#[$attr])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run_on_backend($backend: $crate::support::Backend) $body

            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                run_on_backend($crate::support::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                run_on_backend($crate::support::Backend::Postgres).await
            }
        }
    };
}
pub(crate) use backend_test;

/// The PostgreSQL database the tests use.
pub fn postgres_url() -> String {
    std::env::var("ISSUANCE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own in the test database, dropped (with everything in it) on drop.
pub struct TestDatabase {
    base: String,
    schema: String,
}

/// Test schemas older than this are left-overs of killed runs and are dropped.
const STALE_AFTER_SECS: u64 = 6 * 3600;

impl TestDatabase {
    /// A new, empty schema name (the stores create it when they migrate).
    pub fn new() -> TestDatabase {
        static SWEPT: OnceLock<()> = OnceLock::new();
        let base = postgres_url();
        SWEPT.get_or_init(|| sweep_stale(&base));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        TestDatabase {
            schema: format!(
                "t_{now}_{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ),
            base,
        }
    }

    /// The URL of the stores: the test database with this schema.
    pub fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{separator}schema={}", self.base, self.schema)
    }

    /// The schema's name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// A client whose search path is this schema.
    pub async fn client(&self) -> tokio_postgres::Client {
        let target = issuance::store::pg::PgTarget::parse(&self.url()).unwrap();
        target.connect().await.unwrap().0
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let statement = format!(
            "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        );
        run_blocking(&self.base, statement);
    }
}

/// Drops schemas of earlier test runs that were killed before cleaning up.
fn sweep_stale(base: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let statement = format!(
        "DO $$ DECLARE s text; BEGIN \
         FOR s IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9]+_[0-9a-f]+$' \
             AND split_part(nspname, '_', 2)::bigint < {} LOOP \
           EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s); \
         END LOOP; END $$",
        now.saturating_sub(STALE_AFTER_SECS)
    );
    run_blocking(base, statement);
}

/// Runs SQL on its own thread and runtime (usable from `Drop`, even inside a runtime).
fn run_blocking(url: &str, statement: String) {
    let url = url.to_string();
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client.batch_execute(&statement).await
        })
    })
    .join();
    if let Ok(Err(error)) = outcome {
        eprintln!("test database clean-up failed: {error}");
    }
}
