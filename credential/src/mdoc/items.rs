//! `IssuerSignedItem`s with their salts and digest IDs, and the digests the MSO lists.

use std::collections::HashSet;

use ciborium::value::Value;
use rand::seq::SliceRandom;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::cbor::{embedded, encode_as_is, entry, into_bytes};
use super::elements::DataElements;
use super::MdocError;

/// Bytes of each item's `random` salt (ISO 18013-5 §9.1.2.5 asks for at least 16).
pub const SALT_BYTES: usize = 32;

/// One namespace's items as sent (`#6.24` values) and their digests by digest ID.
pub struct SignedNamespace {
    /// The namespace.
    pub name: String,
    /// `IssuerSignedItemBytes`, in configuration order.
    pub items: Vec<Value>,
    /// `(digestID, SHA-256 of the item's encoded #6.24 bytes)`, by digest ID.
    pub digests: Vec<(u64, [u8; 32])>,
}

/// Builds every namespace's items with fresh salts from `rng` (distinct within the
/// document) and digest IDs shuffled by `rng` (so an ID says nothing about which element it
/// belongs to). Each digest covers the complete encoded `#6.24(bstr)` — tag, length head and
/// bytes — exactly as the item is later written into `nameSpaces`.
pub fn sign_items<R: RngCore + ?Sized>(
    elements: &DataElements,
    rng: &mut R,
) -> Result<Vec<SignedNamespace>, MdocError> {
    let mut salts = HashSet::with_capacity(elements.len());
    let mut namespaces = Vec::with_capacity(elements.namespaces.len());
    for (name, values) in &elements.namespaces {
        let mut ids: Vec<u64> = (0..values.len() as u64).collect();
        ids.shuffle(rng);
        let mut items = Vec::with_capacity(values.len());
        let mut digests = Vec::with_capacity(values.len());
        for ((identifier, value), digest_id) in values.iter().zip(ids) {
            let salt = fresh_salt(rng, &mut salts)?;
            let item = Value::Map(vec![
                entry("digestID", Value::from(digest_id)),
                entry("random", Value::Bytes(salt.to_vec())),
                entry("elementIdentifier", Value::Text(identifier.clone())),
                entry("elementValue", value.clone()),
            ]);
            let tagged = embedded(into_bytes(item)?);
            // No maps inside a tagged byte string: encoding it as is is the deterministic form.
            let digest: [u8; 32] = Sha256::digest(encode_as_is(&tagged)?).into();
            items.push(tagged);
            digests.push((digest_id, digest));
        }
        digests.sort_unstable_by_key(|(id, _)| *id);
        namespaces.push(SignedNamespace {
            name: name.clone(),
            items,
            digests,
        });
    }
    Ok(namespaces)
}

/// A salt not used before in this document. With 256 random bits a repeat means a broken
/// generator: drawing again keeps "distinct per item" unconditional, and a generator that
/// keeps repeating itself is refused rather than looped on.
fn fresh_salt<R: RngCore + ?Sized>(
    rng: &mut R,
    used: &mut HashSet<[u8; SALT_BYTES]>,
) -> Result<[u8; SALT_BYTES], MdocError> {
    for _ in 0..4 {
        let mut salt = [0u8; SALT_BYTES];
        rng.fill_bytes(&mut salt);
        if used.insert(salt) {
            return Ok(salt);
        }
    }
    Err(MdocError::InvalidInput(
        "the random generator keeps repeating its output".into(),
    ))
}
