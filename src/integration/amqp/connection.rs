//! Connecting to RabbitMQ with a recognisable connection name.

use lapin::options::{BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions};
use lapin::types::{FieldTable, LongString, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, Consumer};

use super::error::{short, AmqpError};
use super::topology;
use super::AmqpContext;

/// Opens a connection named `<connection_name>/<role>` (visible in
/// `rabbitmqctl list_connections name`, so operators and tests can tell them apart).
pub async fn connect(context: &AmqpContext, role: &str) -> Result<Connection, AmqpError> {
    let properties = ConnectionProperties::default()
        .with_connection_name(LongString::from(context.connection_name(role)));
    Ok(Connection::connect(&context.url, properties).await?)
}

/// A connection named for `role` with the topology declared, a confirm-mode publishing
/// channel, and a consumer of `queue` (manual acknowledgements, `prefetch` unacknowledged
/// deliveries at most) on a second channel.
pub async fn open_consumer(
    context: &AmqpContext,
    role: &str,
    queue: &str,
    prefetch: u16,
) -> Result<(Connection, Channel, Consumer), AmqpError> {
    let (connection, publisher) = open(context, role).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let consumer = channel
        .basic_consume(
            short(queue)?,
            ShortString::from(""),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((connection, publisher, consumer))
}

/// Closes a connection on the way out; unacknowledged deliveries return to their queues.
pub async fn close(connection: &Connection) {
    let _ = connection
        .close(200, ShortString::from("shutting down"))
        .await;
}

/// The URL with its password replaced, for messages.
pub fn redacted(url: &str) -> String {
    crate::config::redact::redact(url)
}

/// Connects, declares the topology and opens a confirm-mode channel.
pub async fn open(context: &AmqpContext, role: &str) -> Result<(Connection, Channel), AmqpError> {
    let connection = connect(context, role).await?;
    let channel = connection.create_channel().await?;
    topology::declare(&channel, context).await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok((connection, channel))
}
