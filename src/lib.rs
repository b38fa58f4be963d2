//! The issuance engine service: an event-sourced OpenID4VCI 1.0 credential issuer.
//!
//! - [`config`]: settings and credential configurations (TOML + environment).
//! - [`store`]: the event store trait and its backends; [`readstore`]: read models.
//! - [`repository`]: the command path of every aggregate (load, decide, append);
//!   [`offers`]: the offer's.
//! - [`projector`]: catch-up projections with durable checkpoints.
//! - [`audit`]: verifying the audit chain and signing its head; [`retention`]: erasing
//!   claims of finished offers.
//! - [`integration`]: AMQP relay, status callbacks, dead letters, expiry scheduler.
//! - [`management`] and [`wallet`]: the two HTTP APIs; [`http`]: shared plumbing.
//! - [`authorization`]: the authorization-code flow (PAR, PKCE, login hand-off, DPoP).
//! - [`status`]: credential status: index allocation, status lists and their tokens.
//! - [`lease`]: singleton background tasks across service nodes; [`pg`]: PostgreSQL plumbing.
//! - [`startup`]: wiring everything into an [`startup::Application`]; [`shutdown`]: stopping
//!   it gracefully on SIGTERM/SIGINT.

pub mod audit;
pub mod authorization;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod data_dir_lock;
pub mod deployment;
pub mod health;
pub mod http;
pub mod integration;
pub mod lease;
pub mod management;
pub mod offers;
pub mod pg;
pub mod private_files;
pub mod projector;
pub mod qr;
pub mod readstore;
pub mod repository;
pub mod retention;
pub mod shutdown;
pub mod sqlite_checkpointer;
pub mod sqlite_pool;
pub mod startup;
pub mod state;
pub mod state_cache;
pub mod status;
pub mod store;
pub mod stores;
pub mod telemetry;
pub mod wallet;
