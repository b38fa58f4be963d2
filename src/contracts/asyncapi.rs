//! The AsyncAPI 3.0 document of the integration side, generated from the same names and
//! schemas the code uses: the `issuance.events` topic exchange (one channel per routing
//! key), the callback queue, its delay queues and the dead-letter queue, and the status
//! callback webhook with its signature header. Message payloads reference the published
//! JSON Schemas (`schemas/<name>.json`, relative to the document), in their draft 2020-12
//! format.

use issuance_domain::offer::{causes_callback, EVENT_TYPES};
use serde_json::{json, Map, Value};

use super::messages::{message_routing_key, message_schema_name, CALLBACK_SCHEMA};
use super::schema_path;
use crate::config::AmqpSettings;
use crate::integration::amqp::headers::{ATTEMPT, REASON, STATUS};
use crate::integration::callbacks::signature::{DELIVERY_HEADER, SIGNATURE_HEADER};
use crate::integration::envelope::routing_key;

/// The payload format of every schema the document references.
const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-2020-12";
/// The AMQP bindings' version.
const AMQP_BINDING: &str = "0.3.0";

/// A reference to a published schema, as a multi-format schema object.
fn payload(schema_name: &str) -> Value {
    json!({
        "schemaFormat": SCHEMA_FORMAT,
        "schema": {"$ref": schema_path(schema_name)},
    })
}

/// The channel id of an event type's routing key: `offer.credential_issued` →
/// `offer_credential_issued`.
pub fn channel_id(event_type: &str) -> String {
    message_routing_key(event_type).replace('.', "_")
}

/// Every published event type: the Offer's in lifecycle order, then the Issuer's.
pub fn published_event_types() -> impl Iterator<Item = &'static str> {
    EVENT_TYPES
        .into_iter()
        .chain(issuance_domain::issuer::EVENT_TYPES)
}

fn message_ref(event_type: &str) -> Value {
    json!({"$ref": format!("#/components/messages/{event_type}")})
}

fn queue_binding(name: &str) -> Value {
    json!({"amqp": {
        "is": "queue",
        "queue": {"name": name, "durable": true, "exclusive": false, "autoDelete": false, "vhost": "/"},
        "bindingVersion": AMQP_BINDING,
    }})
}

/// The event types the callback queue is bound to.
fn callback_event_types() -> Vec<&'static str> {
    EVENT_TYPES
        .into_iter()
        .filter(|t| causes_callback(t))
        .collect()
}

/// The messages the callback queues carry.
fn callback_messages() -> Map<String, Value> {
    callback_event_types()
        .iter()
        .map(|t| (t.to_string(), message_ref(t)))
        .collect()
}

fn channels(names: &AmqpSettings) -> Map<String, Value> {
    let mut channels = Map::new();
    for event_type in published_event_types() {
        let key = message_routing_key(event_type);
        channels.insert(
            channel_id(event_type),
            json!({
                "address": key,
                "title": format!("{event_type} events"),
                "description": format!(
                    "`{event_type}` events, published to the topic exchange `{}` with routing key `{key}`.",
                    names.exchange
                ),
                "servers": [{"$ref": "#/servers/broker"}],
                "messages": {event_type: message_ref(event_type)},
                "bindings": {"amqp": {
                    "is": "routingKey",
                    "exchange": {"name": names.exchange, "type": "topic", "durable": true, "autoDelete": false, "vhost": "/"},
                    "bindingVersion": AMQP_BINDING,
                }},
            }),
        );
    }
    let bound: Vec<String> = callback_event_types()
        .iter()
        .map(|t| routing_key(t))
        .collect();
    channels.insert("callbackQueue".into(), json!({
        "address": names.callback_queue,
        "title": "Callback queue",
        "description": format!(
            "Quorum queue the service's callback consumer reads, bound to `{}` with the routing keys {}. \
             Rejected messages and messages redelivered more than 20 times are dead-lettered to `{}`.",
            names.exchange, bound.join(", "), names.dead_letter_queue
        ),
        "servers": [{"$ref": "#/servers/broker"}],
        "messages": callback_messages(),
        "bindings": queue_binding(&names.callback_queue),
    }));
    channels.insert("retryQueue".into(), json!({
        "address": format!("{}.{{delayMs}}ms", names.retry_queue_prefix),
        "title": "Callback delay queues",
        "description": format!(
            "One classic queue per retry delay (`x-message-ttl` = the delay); expired messages return to `{}`. \
             A message carries its attempt count and the last failure in its headers, and its jittered delay as `expiration`.",
            names.callback_queue
        ),
        "parameters": {"delayMs": {"description": "The nominal delay in milliseconds (from the `[callbacks]` retry policy)."}},
        "servers": [{"$ref": "#/servers/broker"}],
        "messages": callback_messages(),
        "bindings": {"amqp": {"is": "queue", "queue": {"durable": true, "exclusive": false, "autoDelete": false, "vhost": "/"}, "bindingVersion": AMQP_BINDING}},
    }));
    channels.insert("deadLetterQueue".into(), json!({
        "address": names.dead_letter_queue,
        "title": "Dead-letter queue",
        "description": format!(
            "Quorum queue of callbacks that could not be delivered (permanent failure, attempts exhausted, or dead-lettered by RabbitMQ). \
             The service drains it into its dead-letter table (`GET /dead-letters`); a re-queued dead letter goes back to `{}` as attempt 1.",
            names.callback_queue
        ),
        "servers": [{"$ref": "#/servers/broker"}],
        "messages": callback_messages(),
        "bindings": queue_binding(&names.dead_letter_queue),
    }));
    channels.insert("statusCallback".into(), json!({
        "address": "{callbackUrl}",
        "title": "Status callback webhook",
        "description": "POSTed to the offer's `callback_url`, else to the configured `callback_url`. \
            A 2xx answer acknowledges it; other answers and timeouts are retried with back-off, then dead-lettered. \
            Verify the signature over the raw body before parsing it.",
        "parameters": {"callbackUrl": {"description": "The receiver's URL."}},
        "servers": [{"$ref": "#/servers/callbackReceiver"}],
        "messages": {"StatusCallback": {"$ref": "#/components/messages/StatusCallback"}},
        "bindings": {"http": {"bindingVersion": "0.3.0"}},
    }));
    channels
}

fn operation(action: &str, channel: &str, messages: &[&str], summary: String) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| json!({"$ref": format!("#/channels/{channel}/messages/{m}")}))
        .collect();
    json!({
        "action": action,
        "channel": {"$ref": format!("#/channels/{channel}")},
        "summary": summary,
        "messages": messages,
    })
}

fn operations() -> Map<String, Value> {
    let mut operations = Map::new();
    for event_type in published_event_types() {
        let channel = channel_id(event_type);
        let mut publish = operation(
            "send",
            &channel,
            &[event_type],
            format!("The relay publishes every `{event_type}` event once it is in the log (at least once, in log order)."),
        );
        publish["bindings"] = json!({"amqp": {"deliveryMode": 2, "mandatory": false, "timestamp": true, "bindingVersion": AMQP_BINDING}});
        operations.insert(format!("publish_{channel}"), publish);
    }
    let callbacks = callback_event_types();
    operations.insert(
        "consumeCallbacks".into(),
        operation(
            "receive",
            "callbackQueue",
            &callbacks,
            "The callback consumer turns events into status callbacks.".into(),
        ),
    );
    operations.insert(
        "retryCallback".into(),
        operation(
            "send",
            "retryQueue",
            &callbacks,
            "A transiently failed callback waits in a delay queue for its next attempt.".into(),
        ),
    );
    operations.insert(
        "deadLetterCallback".into(),
        operation(
            "send",
            "deadLetterQueue",
            &callbacks,
            "An undeliverable callback is dead-lettered with its reason.".into(),
        ),
    );
    let mut send = operation(
        "send",
        "statusCallback",
        &["StatusCallback"],
        "The service POSTs a signed status callback to the institution's receiver.".into(),
    );
    send["bindings"] = json!({"http": {"method": "POST", "bindingVersion": "0.3.0"}});
    operations.insert("sendStatusCallback".into(), send);
    operations
}

fn messages() -> Map<String, Value> {
    let mut messages = Map::new();
    for event_type in published_event_types() {
        messages.insert(
            event_type.to_string(),
            json!({
                "name": event_type,
                "title": format!("{event_type} event"),
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/AmqpHeaders"},
                "payload": payload(&message_schema_name(event_type)),
                "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING}},
                "x-amqp-properties": amqp_properties(),
            }),
        );
    }
    messages.insert(
        "StatusCallback".into(),
        json!({
            "name": "StatusCallback",
            "title": "Status callback",
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CallbackHeaders"},
            "payload": payload(CALLBACK_SCHEMA),
            "bindings": {"http": {"bindingVersion": "0.3.0"}},
        }),
    );
    messages
}

/// The AMQP basic properties every event message carries (see the publisher).
fn amqp_properties() -> Value {
    json!({
        "message_id": "The event id (`event_id` of the body): deduplicate on it.",
        "type": "The event type (`type` of the body).",
        "content_type": "application/json",
        "delivery_mode": "2 (persistent)",
        "timestamp": "`occurred_at` in Unix seconds.",
        "expiration": "Only on a message in a delay queue: its jittered delay in milliseconds.",
    })
}

fn header_schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    schemas.insert(
        "AmqpHeaders".into(),
        json!({
            "type": "object",
            "description": "Application headers. None on the events exchange; the callback transport sets them on the copies it publishes to the delay and dead-letter queues.",
            "properties": {
                ATTEMPT: {"type": "integer", "minimum": 1, "description": "The delivery attempt the message stands for (1 for the first)."},
                REASON: {"type": "string", "description": "Why the last attempt failed, or why the message was dead-lettered."},
                STATUS: {"type": "string", "description": "On a dead letter: the callback status it would have reported, e.g. `ISSUED`."},
            },
        }),
    );
    schemas.insert(
        "CallbackHeaders".into(),
        json!({
            "type": "object",
            "required": [SIGNATURE_HEADER, DELIVERY_HEADER, "Content-Type"],
            "properties": {
                SIGNATURE_HEADER: {
                    "type": "string",
                    "pattern": "^t=[0-9]+,v1=[0-9a-f]{64}$",
                    "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256(callback secret, \"<t>.<raw body>\")>`. Reject stale timestamps to refuse replays.",
                },
                DELIVERY_HEADER: {"type": "string", "description": "Stable id of the delivery (the causing event's id), the same on every retry."},
                "Content-Type": {"const": "application/json"},
                "User-Agent": {"type": "string", "description": "`issuance/<version>`."},
            },
        }),
    );
    schemas
}

/// The AsyncAPI 3.0 document, with the default RabbitMQ names (`[amqp]` can change them).
pub fn document() -> Value {
    let names = AmqpSettings::default();
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Issuance engine: events and status callbacks",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every Offer event is published to a RabbitMQ topic exchange (routing key `offer.<event>`), without personal data; \
                every Issuer event (issuers, signing keys, credential configurations managed at runtime) likewise as `issuer.<event>`. \
                Status callbacks are POSTed, signed, to the institution's receiver. Payload schemas are JSON Schema draft 2020-12, \
                served beside this document under `schemas/`.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The RabbitMQ broker of `amqp_url`.",
            },
            "callbackReceiver": {
                "host": "receiver.example",
                "protocol": "https",
                "description": "The institution's callback receiver.",
            },
        },
        "channels": channels(&names),
        "operations": operations(),
        "components": {
            "messages": messages(),
            "schemas": header_schemas(),
        },
    })
}
