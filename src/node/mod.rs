//! One running node of the service: opening its stores ([`stores`]), its keys
//! ([`bootstrap_keys`]), wiring everything into an
//! application ([`startup`]), the leases that make background tasks singletons across nodes
//! ([`lease`]), the deployment records that keep nodes' secrets consistent ([`deployment`]),
//! component health ([`health`]), logging ([`telemetry`]) and graceful shutdown ([`shutdown`]).

pub mod bootstrap_keys;
pub mod default_issuer;
pub mod default_wallet;
pub mod deployment;
pub mod listeners;
pub mod projectors;
pub mod retention;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod stores;
pub mod telemetry;
