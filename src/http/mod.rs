//! HTTP plumbing shared by both listeners: request ids, metrics, health.

pub mod error_envelope;
pub mod health;
pub mod metrics;
pub mod request_context;
