//! The RabbitMQ transport (`amqp_url` set): the relay publishes every event to the topic
//! exchange with publisher confirms ([`publisher`]), the callback consumer works the
//! callback queue and moves failed callbacks through delay queues ([`consumer`]), and the
//! dead-letter pump keeps the dead-letter queue's content listable and re-queueable
//! ([`dead_letters`]). [`topology`] declares exchanges and queues; [`connection`] connects.
//!
//! Each task owns its connection and rebuilds it (with back-off) after any failure, rather
//! than relying on lapin's opt-in auto-recovery: publishes that were awaiting a confirm
//! when the connection died are simply re-sent from the checkpoint, and deliveries that
//! were not acknowledged are redelivered by the broker.

pub mod connection;
pub mod consumer;
pub mod dead_letters;
pub mod error;
pub mod headers;
pub mod publisher;
pub mod topology;

use std::sync::Arc;

use crate::config::AmqpSettings;
use crate::integration::callbacks::RetryPolicy;

/// Everything the AMQP tasks need to connect and name things.
#[derive(Clone)]
pub struct AmqpContext {
    /// The broker URL (contains credentials: never logged).
    pub url: Arc<str>,
    /// Names and client settings.
    pub settings: AmqpSettings,
    /// The callback retry schedule (it decides the delay queues).
    pub policy: RetryPolicy,
}

impl AmqpContext {
    /// The connection name of one of the service's connections (`<name>/<role>`).
    pub fn connection_name(&self, role: &str) -> String {
        format!("{}/{role}", self.settings.connection_name)
    }

    /// The delay queue for a nominal delay.
    pub fn retry_queue(&self, delay: std::time::Duration) -> String {
        format!(
            "{}.{}ms",
            self.settings.retry_queue_prefix,
            delay.as_millis()
        )
    }
}
