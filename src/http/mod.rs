//! HTTP plumbing shared by both listeners: request ids, client addresses, metrics, health.

pub mod client_addr;
pub mod error_envelope;
pub mod health;
pub mod metrics;
pub mod request_context;
