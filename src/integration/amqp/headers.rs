//! Message headers the callback transport adds, and reading them back.

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::BasicProperties;

/// The attempt a message carries (1 for the first).
pub const ATTEMPT: &str = "x-issuance-attempt";
/// Why a callback was dead-lettered.
pub const REASON: &str = "x-issuance-reason";
/// The status the dead callback would have reported.
pub const STATUS: &str = "x-issuance-status";

/// Reads an integer header.
pub fn int(properties: &BasicProperties, name: &str) -> Option<i64> {
    match properties.headers().as_ref()?.inner().get(name)? {
        AMQPValue::LongLongInt(v) => Some(*v),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::LongUInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortShortUInt(v) => Some(i64::from(*v)),
        _ => None,
    }
}

/// Reads a string header.
pub fn text(properties: &BasicProperties, name: &str) -> Option<String> {
    match properties.headers().as_ref()?.inner().get(name)? {
        AMQPValue::LongString(v) => Some(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        AMQPValue::ShortString(v) => Some(v.as_str().to_string()),
        _ => None,
    }
}

/// The attempt of a callback message (1 when absent).
pub fn attempt(properties: &BasicProperties) -> u32 {
    int(properties, ATTEMPT)
        .and_then(|a| u32::try_from(a).ok())
        .filter(|a| *a >= 1)
        .unwrap_or(1)
}

/// Why RabbitMQ itself dead-lettered a message (`x-first-death-reason`: `rejected`,
/// `delivery_limit`, `expired`, ...), when it did.
pub fn broker_death_reason(properties: &BasicProperties) -> Option<String> {
    text(properties, "x-first-death-reason")
}

/// A header table from string and integer entries.
pub fn table(entries: &[(&str, HeaderValue)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (name, value) in entries {
        let value = match value {
            HeaderValue::Int(v) => AMQPValue::LongLongInt(*v),
            HeaderValue::Text(v) => AMQPValue::LongString(LongString::from(v.clone())),
        };
        table.insert(ShortString::from(*name), value);
    }
    table
}

/// A header value.
#[derive(Debug, Clone)]
pub enum HeaderValue {
    /// An integer.
    Int(i64),
    /// A string.
    Text(String),
}
