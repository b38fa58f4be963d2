//! HTTP plumbing shared by both listeners: request ids, metrics, health.

pub mod health;
pub mod metrics;
pub mod request_context;
