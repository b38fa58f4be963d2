//! The issuance engine service: an event-sourced OpenID4VCI 1.0 credential issuer.
//!
//! The modules follow the layers (see `docs/architecture.md`):
//! - [`config`]: settings and credential configurations (TOML + environment); [`clock`]: time;
//!   [`crypto`]: codes, sealing, the server secret, document signers; [`data_dir`]: the data
//!   directory's private files and its lock; [`metrics`]: the Prometheus registry;
//!   [`cause`]: underlying errors kept as sources.
//! - [`store`]: the event store port and its backends (SQLite, PostgreSQL, EventStoreDB) with
//!   their pools; [`readstore`]: the read models' storage.
//! - [`app`]: the command path (load, decide, append) and the offer use cases;
//!   [`status`]: credential status (index allocation, status lists, their tokens);
//!   [`audit`]: verifying the audit chain and signing its head.
//! - [`projector`]: catch-up projections with durable checkpoints; [`integration`]: AMQP relay,
//!   status callbacks, dead letters, expiry scheduler.
//! - [`http`]: the wallet API, the authorization-code flow and the management API, with their
//!   shared plumbing.
//! - [`node`]: one running node: opening the stores, wiring everything into an
//!   [`node::startup::Application`], leases, health, telemetry and graceful shutdown;
//!   [`cli`]: the command line.

pub mod app;
pub mod audit;
pub mod cause;
pub mod cli;
pub mod clock;
pub mod component_health;
pub mod config;
pub mod contracts;
pub mod crypto;
pub mod data_dir;
pub mod http;
pub mod integration;
pub mod metrics;
pub mod node;
pub mod projector;
pub mod readstore;
pub mod status;
pub mod store;
