//! Connecting to RabbitMQ with a recognisable connection name.

use lapin::types::LongString;
use lapin::{Connection, ConnectionProperties};

use super::AmqpContext;

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

/// Opens a connection named `<connection_name>/<role>` (visible in
/// `rabbitmqctl list_connections name`, so operators and tests can tell them apart).
pub async fn connect(context: &AmqpContext, role: &str) -> Result<Connection, AmqpError> {
    let properties = ConnectionProperties::default()
        .with_connection_name(LongString::from(context.connection_name(role)));
    Ok(Connection::connect(&context.url, properties).await?)
}

/// The URL with its password replaced, for messages.
pub fn redacted(url: &str) -> String {
    crate::stores::redact(url)
}
