//! The status list byte array (§4.1) and its compressed form (§4.2 JSON, §4.3 CBOR).

use std::fmt;
use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use issuance_domain::status_list::{StatusBits, StatusListState, MAX_LIST_SIZE};
use serde_json::{json, Value};

use super::StatusListError;

/// The largest decompressed list accepted: [`MAX_LIST_SIZE`] entries of 8 bits. A bound
/// against decompression bombs in lists read back.
const MAX_LIST_BYTES: u64 = MAX_LIST_SIZE as u64;

/// An uncompressed status list: `size` entries of `bits` bits, packed into bytes from the
/// least significant bit (entry `i` is in byte `i * bits / 8`). Unset entries are 0, VALID.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: StatusBits,
    size: u32,
    bytes: Vec<u8>,
}

impl StatusList {
    /// An all-VALID list of `size` entries (1 to [`MAX_LIST_SIZE`]).
    pub fn new(bits: StatusBits, size: u32) -> Result<StatusList, StatusListError> {
        if size == 0 || size > MAX_LIST_SIZE {
            return Err(StatusListError::InvalidSize);
        }
        let len = (size as usize).div_ceil(bits.per_byte());
        Ok(StatusList {
            bits,
            size,
            bytes: vec![0; len],
        })
    }

    /// The list a domain state stands for: every non-VALID entry written.
    pub fn from_state(state: &StatusListState) -> Result<StatusList, StatusListError> {
        let mut list = StatusList::new(state.bits(), state.size())?;
        for (index, value) in state.status_types() {
            list.set(index, value)?;
        }
        Ok(list)
    }

    /// A list over uncompressed bytes: `bytes.len() * 8 / bits` entries.
    pub fn from_bytes(bits: StatusBits, bytes: Vec<u8>) -> Result<StatusList, StatusListError> {
        let size = bytes
            .len()
            .checked_mul(bits.per_byte())
            .and_then(|size| u32::try_from(size).ok())
            .filter(|size| (1..=MAX_LIST_SIZE).contains(size))
            .ok_or(StatusListError::InvalidSize)?;
        Ok(StatusList { bits, size, bytes })
    }

    /// Bits per entry.
    pub fn bits(&self) -> StatusBits {
        self.bits
    }

    /// Number of entries.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The status value at `index`, `None` outside the list.
    pub fn get(&self, index: u32) -> Option<u8> {
        if index >= self.size {
            return None;
        }
        let (byte, shift) = self.position(index);
        Some((self.bytes[byte] >> shift) & self.bits.max_value())
    }

    /// Writes `value` at `index`.
    pub fn set(&mut self, index: u32, value: u8) -> Result<(), StatusListError> {
        if index >= self.size {
            return Err(StatusListError::IndexOutOfRange {
                index,
                size: self.size,
            });
        }
        if !self.bits.holds(value) {
            return Err(StatusListError::ValueTooLarge {
                value,
                bits: self.bits.get(),
            });
        }
        let (byte, shift) = self.position(index);
        let mask = self.bits.max_value() << shift;
        self.bytes[byte] = (self.bytes[byte] & !mask) | (value << shift);
        Ok(())
    }

    /// Compresses the list (ZLIB, best compression, as the draft recommends).
    pub fn encode(&self) -> Result<EncodedStatusList, StatusListError> {
        let mut encoder = ZlibEncoder::new(
            Vec::with_capacity(self.bytes.len() / 8 + 64),
            Compression::best(),
        );
        let compressed = encoder
            .write_all(&self.bytes)
            .and_then(|()| encoder.finish())
            .map_err(|e| StatusListError::MalformedList(e.to_string()))?;
        Ok(EncodedStatusList {
            bits: self.bits,
            compressed,
        })
    }

    /// Byte offset and bit shift of an entry (§4.1 step 3).
    fn position(&self, index: u32) -> (usize, u8) {
        let per_byte = self.bits.per_byte();
        let index = index as usize;
        let shift = (index % per_byte) as u8 * self.bits.get();
        (index / per_byte, shift)
    }
}

impl fmt::Debug for StatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits.get())
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A compressed status list: `bits` and the ZLIB bytes (`lst` before base64url).
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedStatusList {
    bits: StatusBits,
    compressed: Vec<u8>,
}

impl EncodedStatusList {
    /// A list received as `bits` and ZLIB bytes (CBOR `lst`).
    pub fn new(bits: StatusBits, compressed: Vec<u8>) -> EncodedStatusList {
        EncodedStatusList { bits, compressed }
    }

    /// A list received as `bits` and the base64url `lst` of JSON.
    pub fn from_lst(bits: StatusBits, lst: &str) -> Result<EncodedStatusList, StatusListError> {
        let compressed = URL_SAFE_NO_PAD
            .decode(lst)
            .map_err(|e| StatusListError::MalformedList(format!("lst is not base64url: {e}")))?;
        Ok(EncodedStatusList { bits, compressed })
    }

    /// Parses the JSON `StatusList` object `{"bits", "lst"}` (§4.2).
    pub fn from_json(value: &Value) -> Result<EncodedStatusList, StatusListError> {
        let malformed = |reason: &str| StatusListError::MalformedList(reason.into());
        let bits = value
            .get("bits")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed("bits is missing or not a number"))?;
        let bits = u8::try_from(bits)
            .ok()
            .and_then(StatusBits::new)
            .ok_or(StatusListError::InvalidBits(bits))?;
        let lst = value
            .get("lst")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("lst is missing or not a string"))?;
        EncodedStatusList::from_lst(bits, lst)
    }

    /// Bits per entry.
    pub fn bits(&self) -> StatusBits {
        self.bits
    }

    /// The ZLIB bytes (the CBOR `lst`).
    pub fn compressed(&self) -> &[u8] {
        &self.compressed
    }

    /// The base64url (no padding) `lst` of JSON.
    pub fn lst(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.compressed)
    }

    /// The JSON `StatusList` object: `{"bits": n, "lst": "..."}`.
    pub fn to_json(&self) -> Value {
        json!({"bits": self.bits.get(), "lst": self.lst()})
    }

    /// The CBOR `StatusList` map: `{"bits": n, "lst": h'...'}`.
    pub fn to_cbor(&self) -> ciborium::Value {
        ciborium::Value::Map(vec![
            ("bits".into(), self.bits.get().into()),
            (
                "lst".into(),
                ciborium::Value::Bytes(self.compressed.clone()),
            ),
        ])
    }

    /// Decompresses the list, refusing anything that inflates beyond 16 MiB.
    pub fn decode(&self) -> Result<StatusList, StatusListError> {
        let mut bytes = Vec::new();
        ZlibDecoder::new(self.compressed.as_slice())
            .take(MAX_LIST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusListError::MalformedList(format!("not a ZLIB stream: {e}")))?;
        if bytes.len() as u64 > MAX_LIST_BYTES {
            return Err(StatusListError::MalformedList(
                "the list inflates beyond 16 MiB".into(),
            ));
        }
        StatusList::from_bytes(self.bits, bytes)
    }
}

impl fmt::Debug for EncodedStatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedStatusList")
            .field("bits", &self.bits.get())
            .field("compressed_len", &self.compressed.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use issuance_domain::status_list::StatusAction;

    #[test]
    fn sizes_outside_one_to_max_are_refused() {
        assert_eq!(
            StatusList::new(StatusBits::One, 0),
            Err(StatusListError::InvalidSize)
        );
        assert_eq!(
            StatusList::new(StatusBits::One, MAX_LIST_SIZE + 1),
            Err(StatusListError::InvalidSize)
        );
        assert_eq!(
            StatusList::from_bytes(StatusBits::One, vec![]),
            Err(StatusListError::InvalidSize)
        );
    }

    #[test]
    fn a_partial_last_byte_is_allocated_and_zero() {
        let list = StatusList::new(StatusBits::Two, 5).unwrap();
        assert_eq!(list.as_bytes(), &[0, 0]);
        assert_eq!(list.get(4), Some(0));
        assert_eq!(list.get(5), None);
    }

    #[test]
    fn set_refuses_indexes_outside_and_values_too_wide() {
        let mut list = StatusList::new(StatusBits::Two, 8).unwrap();
        assert_eq!(
            list.set(8, 1),
            Err(StatusListError::IndexOutOfRange { index: 8, size: 8 })
        );
        assert_eq!(
            list.set(0, 4),
            Err(StatusListError::ValueTooLarge { value: 4, bits: 2 })
        );
        assert_eq!(list.as_bytes(), &[0, 0]);
    }

    #[test]
    fn set_overwrites_only_its_own_bits() {
        for bits in [1, 2, 4, 8].map(|b| StatusBits::new(b).unwrap()) {
            let mut list = StatusList::new(bits, 64).unwrap();
            let max = bits.max_value();
            for index in 0..64 {
                list.set(index, max).unwrap();
            }
            list.set(9, 0).unwrap();
            for index in 0..64 {
                assert_eq!(list.get(index), Some(if index == 9 { 0 } else { max }));
            }
        }
    }

    #[test]
    fn a_domain_state_becomes_its_list() {
        let t = Utc.timestamp_opt(1_750_000_000, 0).unwrap();
        let mut state = StatusListState::open(StatusBits::Two, 16, t).unwrap();
        for index in [1, 2, 3] {
            let fact = state.allocate(index, t).unwrap();
            state.apply(&fact);
        }
        let fact = state.change(1, StatusAction::Revoke, t).unwrap();
        state.apply(&fact);
        let fact = state.change(2, StatusAction::Suspend, t).unwrap();
        state.apply(&fact);
        let list = StatusList::from_state(&state).unwrap();
        assert_eq!(list.size(), 16);
        // Entries 1 (INVALID = 01) and 2 (SUSPENDED = 10) in byte 0 at bits 2-3 and 4-5.
        assert_eq!(list.as_bytes(), &[0b0010_0100, 0, 0, 0]);
    }

    #[test]
    fn encoding_round_trips_through_json_and_cbor_forms() {
        let mut list = StatusList::new(StatusBits::Four, 1000).unwrap();
        list.set(999, 15).unwrap();
        list.set(0, 3).unwrap();
        let encoded = list.encode().unwrap();
        let from_json = EncodedStatusList::from_json(&encoded.to_json()).unwrap();
        assert_eq!(from_json, encoded);
        assert_eq!(from_json.decode().unwrap(), list);
        let cbor = encoded.to_cbor();
        let lst = cbor.as_map().unwrap()[1].1.as_bytes().unwrap().clone();
        assert_eq!(EncodedStatusList::new(StatusBits::Four, lst), encoded);
    }

    #[test]
    fn malformed_lists_are_refused() {
        assert!(matches!(
            EncodedStatusList::from_lst(StatusBits::One, "not base64!"),
            Err(StatusListError::MalformedList(_))
        ));
        assert!(matches!(
            EncodedStatusList::new(StatusBits::One, b"no zlib".to_vec()).decode(),
            Err(StatusListError::MalformedList(_))
        ));
        assert_eq!(
            EncodedStatusList::from_json(&json!({"bits": 3, "lst": "eNrbuRgAAhcBXQ"})),
            Err(StatusListError::InvalidBits(3))
        );
        assert!(matches!(
            EncodedStatusList::from_json(&json!({"bits": 1})),
            Err(StatusListError::MalformedList(_))
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused() {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&vec![0; MAX_LIST_BYTES as usize + 1])
            .unwrap();
        let bomb = EncodedStatusList::new(StatusBits::Eight, encoder.finish().unwrap());
        assert!(bomb.compressed().len() < 64 * 1024);
        assert!(matches!(
            bomb.decode(),
            Err(StatusListError::MalformedList(_))
        ));
    }
}
