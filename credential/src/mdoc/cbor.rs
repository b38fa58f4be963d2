//! Deterministic CBOR (RFC 8949 §4.2.1) for mdoc structures, and the tagged values ISO
//! 18013-5 uses: `#6.24` embedded CBOR, `tdate` (tag 0) and `full-date` (tag 1004).
//!
//! ciborium always writes definite lengths and the shortest argument ("preferred
//! serialisation"); [`encode`] adds the map-key order, so equal input gives equal bytes.

use ciborium::value::Value;

use super::MdocError;

/// Tag of embedded CBOR data items (`#6.24(bstr .cbor T)`).
pub const TAG_ENCODED_CBOR: u64 = 24;
/// Tag of RFC 3339 date-time strings (`tdate`).
pub const TAG_TDATE: u64 = 0;
/// Tag of RFC 8943 full-date strings (`full-date`).
pub const TAG_FULL_DATE: u64 = 1004;

/// Encodes `value` deterministically: every map's entries sorted by the bytewise order of
/// their encoded keys, at every depth. Tagged byte strings (`#6.24`) are opaque and left as
/// they are.
pub fn encode(value: &Value) -> Result<Vec<u8>, MdocError> {
    into_bytes(value.clone())
}

/// [`encode`] for a value the caller no longer needs (no copy).
pub fn into_bytes(mut value: Value) -> Result<Vec<u8>, MdocError> {
    sort_maps(&mut value)?;
    encode_as_is(&value)
}

/// Encodes `value` without reordering (its maps must already be in the wanted order).
pub fn encode_as_is(value: &Value) -> Result<Vec<u8>, MdocError> {
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(value, &mut bytes)
        .map_err(|e| MdocError::Encoding(e.to_string()))?;
    Ok(bytes)
}

fn sort_maps(value: &mut Value) -> Result<(), MdocError> {
    match value {
        Value::Map(entries) => {
            let mut keyed = Vec::with_capacity(entries.len());
            for (mut key, mut item) in std::mem::take(entries) {
                sort_maps(&mut key)?;
                sort_maps(&mut item)?;
                keyed.push((encode_as_is(&key)?, key, item));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            if keyed.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                return Err(MdocError::Encoding("a map has a duplicate key".into()));
            }
            *entries = keyed
                .into_iter()
                .map(|(_, key, item)| (key, item))
                .collect();
        }
        Value::Array(items) => {
            for item in items {
                sort_maps(item)?;
            }
        }
        Value::Tag(_, inner) => sort_maps(inner)?,
        _ => {}
    }
    Ok(())
}

/// `#6.24(bstr)`: `bytes` (an encoded data item) embedded as a tagged byte string.
pub fn embedded(bytes: Vec<u8>) -> Value {
    Value::Tag(TAG_ENCODED_CBOR, Box::new(Value::Bytes(bytes)))
}

/// A text-keyed map entry.
pub fn entry(key: &str, value: Value) -> (Value, Value) {
    (Value::Text(key.to_string()), value)
}

/// `tdate` for Unix time `seconds`: `YYYY-MM-DDThh:mm:ssZ`, UTC, no fractional seconds
/// (ISO 18013-5 §9.1.2.4 requires exactly this form in `validityInfo`).
pub fn tdate(seconds: i64) -> Result<Value, MdocError> {
    let time = chrono::DateTime::from_timestamp(seconds, 0)
        .filter(|t| (0..=9999).contains(&chrono::Datelike::year(t)))
        .ok_or_else(|| MdocError::InvalidInput(format!("{seconds} is not a representable time")))?;
    Ok(tagged_text(
        TAG_TDATE,
        time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    ))
}

/// A tagged text string (`tdate` and `full-date` from already checked text).
pub fn tagged_text(tag: u64, text: String) -> Value {
    Value::Tag(tag, Box::new(Value::Text(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_string_heads_are_minimal_at_every_boundary() {
        for (length, head) in [
            (23usize, vec![0xd8, 0x18, 0x57]),
            (24, vec![0xd8, 0x18, 0x58, 0x18]),
            (255, vec![0xd8, 0x18, 0x58, 0xff]),
            (256, vec![0xd8, 0x18, 0x59, 0x01, 0x00]),
            (65_535, vec![0xd8, 0x18, 0x59, 0xff, 0xff]),
            (65_536, vec![0xd8, 0x18, 0x5a, 0x00, 0x01, 0x00, 0x00]),
        ] {
            let bytes = encode(&embedded(vec![7; length])).unwrap();
            assert_eq!(&bytes[..head.len()], head.as_slice(), "length {length}");
            assert_eq!(bytes.len(), head.len() + length);
        }
    }

    #[test]
    fn integers_use_the_shortest_argument() {
        for (value, expected) in [
            (0u64, vec![0x00]),
            (23, vec![0x17]),
            (24, vec![0x18, 0x18]),
            (256, vec![0x19, 0x01, 0x00]),
            (65_536, vec![0x1a, 0x00, 0x01, 0x00, 0x00]),
        ] {
            assert_eq!(encode(&Value::Integer(value.into())).unwrap(), expected);
        }
        assert_eq!(encode(&Value::Integer((-7).into())).unwrap(), vec![0x26]);
    }

    #[test]
    fn map_keys_are_sorted_bytewise_at_every_depth() {
        let value = Value::Map(vec![
            entry("version", Value::Integer(1.into())),
            entry(
                "validityInfo",
                Value::Map(vec![
                    entry("validUntil", Value::Null),
                    entry("signed", Value::Null),
                ]),
            ),
            (Value::Integer((-1).into()), Value::Null),
            (Value::Integer(1.into()), Value::Null),
        ]);
        let decoded: Value = ciborium::de::from_reader(encode(&value).unwrap().as_slice()).unwrap();
        let keys: Vec<String> = decoded
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| format!("{k:?}"))
            .collect();
        // 0x01 < 0x20 (-1) < 0x67 "version" (7 chars) < 0x6c "validityInfo" (12 chars).
        assert_eq!(
            keys,
            vec![
                "Integer(Integer(1))",
                "Integer(Integer(-1))",
                "Text(\"version\")",
                "Text(\"validityInfo\")"
            ]
        );
        let inner = &decoded.as_map().unwrap()[3].1;
        assert_eq!(inner.as_map().unwrap()[0].0, Value::Text("signed".into()));
    }

    #[test]
    fn equal_input_gives_equal_bytes_whatever_the_insertion_order() {
        let a = Value::Map(vec![entry("b", Value::Bool(true)), entry("a", Value::Null)]);
        let b = Value::Map(vec![entry("a", Value::Null), entry("b", Value::Bool(true))]);
        assert_eq!(encode(&a).unwrap(), encode(&b).unwrap());
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let value = Value::Map(vec![entry("a", Value::Null), entry("a", Value::Bool(true))]);
        assert!(matches!(encode(&value), Err(MdocError::Encoding(_))));
    }

    #[test]
    fn tdate_is_utc_without_fractional_seconds() {
        assert_eq!(
            tdate(1_750_000_000).unwrap(),
            tagged_text(TAG_TDATE, "2025-06-15T15:06:40Z".into())
        );
        assert_eq!(
            encode(&tdate(0).unwrap()).unwrap()[..2],
            [0xc0, 0x74],
            "tag 0, then a 20-byte text string"
        );
        assert!(tdate(i64::MAX).is_err());
        assert!(tdate(-62_200_000_000).is_err(), "before year 0");
    }
}
