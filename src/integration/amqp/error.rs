//! Why the broker could not be used, and checked protocol strings.

use lapin::types::ShortString;

/// Why the broker could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AmqpError {
    /// Connecting, declaring or publishing failed.
    #[error("RabbitMQ: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker refused (nack) or did not confirm a publish.
    #[error("RabbitMQ did not confirm a publish: {0}")]
    NotConfirmed(String),
    /// The broker closed the channel or cancelled the consumer.
    #[error("RabbitMQ closed the channel: {0}")]
    Closed(String),
    /// A name or value does not fit the protocol.
    #[error("invalid AMQP value: {0}")]
    Invalid(String),
}

/// A validated short string (queue, exchange or routing key; at most 255 bytes).
pub fn short(text: &str) -> Result<ShortString, AmqpError> {
    ShortString::try_new(text.to_string()).map_err(|e| AmqpError::Invalid(e.to_string()))
}
