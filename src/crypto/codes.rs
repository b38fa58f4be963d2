//! Codes handed to wallets and institutions, derived from the server secret.
//!
//! Deriving rather than storing means the engine stores only hashes yet can show the
//! same pre-authorized code again when a wallet resolves the offer by reference, and can
//! answer an idempotent retry of `POST /offers` with the same transaction code.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_domain::offer::TxCodeInputMode;
use issuance_domain::Digest;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::server_secret::ServerSecret;
use super::sha256;

/// Characters of text transaction codes: upper case and digits without look-alikes.
const TEXT_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// The pre-authorized code of an offer: base64url(offer id ‖ HMAC(secret, offer id)).
/// Carries the offer id so the token endpoint finds the offer without an index.
pub fn pre_authorized_code(secret: &ServerSecret, offer_id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(48);
    bytes.extend_from_slice(offer_id.as_bytes());
    bytes.extend_from_slice(&secret.mac("pre-authorized-code", &[offer_id.as_bytes()]));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The offer id a presented pre-authorized code names (not yet verified: the caller
/// compares [`code_hash`] with the stored hash).
pub fn offer_id_of_code(code: &str) -> Option<Uuid> {
    if code.len() != 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(code).ok()?;
    Uuid::from_slice(bytes.get(..16)?).ok()
}

/// The reference in an offer's `credential_offer_uri`: base64url(offer id ‖ HMAC(secret,
/// "offer-reference", offer id)). Unguessable (256-bit MAC) although the offer id is
/// public, distinct from the pre-authorized code (another label), and stored nowhere:
/// [`offer_id_of_reference`] verifies it.
pub fn offer_reference(secret: &ServerSecret, offer_id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(48);
    bytes.extend_from_slice(offer_id.as_bytes());
    bytes.extend_from_slice(&reference_mac(secret, offer_id));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The offer a presented reference names, if its MAC is genuine (compared in constant
/// time); `None` for anything else, the bare offer id included.
pub fn offer_id_of_reference(secret: &ServerSecret, reference: &str) -> Option<Uuid> {
    if reference.len() != 64 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(reference).ok()?;
    let (id, mac) = bytes.split_at_checked(16)?;
    let offer_id = Uuid::from_slice(id).ok()?;
    let expected = reference_mac(secret, offer_id);
    bool::from(expected.as_slice().ct_eq(mac)).then_some(offer_id)
}

fn reference_mac(secret: &ServerSecret, offer_id: Uuid) -> [u8; 32] {
    secret.mac("offer-reference", &[offer_id.as_bytes()])
}

/// The `issuer_state` of an authorization-code offer, of the same shape as the code.
pub fn issuer_state(secret: &ServerSecret, offer_id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(48);
    bytes.extend_from_slice(offer_id.as_bytes());
    bytes.extend_from_slice(&secret.mac("issuer-state", &[offer_id.as_bytes()]));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored hash of a code or token: SHA-256 of its text.
pub fn code_hash(code: &str) -> Digest {
    sha256(code.as_bytes())
}

/// The transaction code of an offer, derived by rejection sampling (no modulo bias).
pub fn tx_code(secret: &ServerSecret, offer_id: Uuid, mode: TxCodeInputMode, length: u8) -> String {
    let alphabet: &[u8] = match mode {
        TxCodeInputMode::Numeric => b"0123456789",
        TxCodeInputMode::Text => TEXT_ALPHABET,
    };
    // Accept only bytes below the largest multiple of the alphabet size.
    let limit = 256 - (256 % alphabet.len());
    let mut code = String::with_capacity(usize::from(length));
    let mut counter: u32 = 0;
    while code.len() < usize::from(length) {
        let block = secret.mac("tx-code", &[offer_id.as_bytes(), &counter.to_be_bytes()]);
        for byte in block {
            if code.len() == usize::from(length) {
                break;
            }
            if usize::from(byte) < limit {
                code.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
            }
        }
        counter += 1;
    }
    code
}

/// The stored hash of a transaction code: keyed with the server secret and bound to the
/// offer, so the short code cannot be brute-forced from a copy of the event log.
pub fn tx_code_hash(secret: &ServerSecret, offer_id: Uuid, code: &str) -> Digest {
    Digest(secret.mac("tx-code-hash", &[offer_id.as_bytes(), code.as_bytes()]))
}

/// The keyed pseudonym of a subject identifier: what the offer view indexes for
/// `GET /offers?subject=`. Not reversible without the server secret, and computed only
/// while the offer's data key exists (the projector opens the sealed subject to make it).
pub fn subject_pseudonym(secret: &ServerSecret, subject: &str) -> Digest {
    Digest(secret.mac("subject-pseudonym", &[subject.as_bytes()]))
}

/// The offer id an `Idempotency-Key` of an API key maps to: a retry with the same key
/// addresses the same stream, so the event store's optimistic concurrency makes creation
/// exactly-once.
pub fn offer_id_for_idempotency_key(secret: &ServerSecret, actor: &str, key: &str) -> Uuid {
    let mac = secret.mac("idempotency-key", &[actor.as_bytes(), key.as_bytes()]);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac[..16]);
    Uuid::new_v8(bytes)
}

/// The id of the offer a wallet-initiated authorization session creates when the
/// institution accepts it: derived from the session, so a retried accept addresses the same
/// stream and cannot create a second offer.
pub fn offer_id_for_session(secret: &ServerSecret, session_id: Uuid) -> Uuid {
    let mac = secret.mac("session-offer", &[session_id.as_bytes()]);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac[..16]);
    Uuid::new_v8(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> ServerSecret {
        ServerSecret::from_bytes([7; 32])
    }

    #[test]
    fn pre_authorized_codes_carry_their_offer() {
        let id = Uuid::new_v4();
        let code = pre_authorized_code(&secret(), id);
        assert_eq!(code.len(), 64);
        assert_eq!(offer_id_of_code(&code), Some(id));
        assert_ne!(
            code,
            pre_authorized_code(&ServerSecret::from_bytes([8; 32]), id)
        );
        assert_eq!(offer_id_of_code("garbage"), None);
    }

    #[test]
    fn offer_references_verify_and_differ_from_ids_and_codes() {
        let id = Uuid::new_v4();
        let reference = offer_reference(&secret(), id);
        assert_eq!(offer_id_of_reference(&secret(), &reference), Some(id));
        assert_ne!(reference, pre_authorized_code(&secret(), id));
        assert!(!reference.contains(&id.to_string()));
        // Another secret's reference, the bare id, the code and a tampered MAC: nothing.
        let foreign = offer_reference(&ServerSecret::from_bytes([8; 32]), id);
        assert_eq!(offer_id_of_reference(&secret(), &foreign), None);
        assert_eq!(offer_id_of_reference(&secret(), &id.to_string()), None);
        let code = pre_authorized_code(&secret(), id);
        assert_eq!(offer_id_of_reference(&secret(), &code), None);
        let mut tampered = reference.into_bytes();
        tampered[60] = if tampered[60] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(offer_id_of_reference(&secret(), &tampered), None);
    }

    #[test]
    fn tx_codes_have_the_requested_shape() {
        let id = Uuid::new_v4();
        for length in 4..=12u8 {
            let numeric = tx_code(&secret(), id, TxCodeInputMode::Numeric, length);
            assert_eq!(numeric.len(), usize::from(length));
            assert!(numeric.chars().all(|c| c.is_ascii_digit()));
            let text = tx_code(&secret(), id, TxCodeInputMode::Text, length);
            assert!(text.bytes().all(|c| TEXT_ALPHABET.contains(&c)));
        }
        assert_eq!(
            tx_code(&secret(), id, TxCodeInputMode::Numeric, 6),
            tx_code(&secret(), id, TxCodeInputMode::Numeric, 6)
        );
    }

    #[test]
    fn tx_code_hashes_bind_the_offer() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        assert_ne!(
            tx_code_hash(&secret(), a, "123456"),
            tx_code_hash(&secret(), b, "123456")
        );
    }

    #[test]
    fn sessions_map_to_one_offer_each() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            offer_id_for_session(&secret(), a),
            offer_id_for_session(&secret(), a)
        );
        assert_ne!(
            offer_id_for_session(&secret(), a),
            offer_id_for_session(&secret(), b)
        );
        assert_ne!(offer_id_for_session(&secret(), a), a);
    }

    #[test]
    fn idempotency_keys_map_per_actor() {
        let s = secret();
        assert_eq!(
            offer_id_for_idempotency_key(&s, "a", "k"),
            offer_id_for_idempotency_key(&s, "a", "k")
        );
        assert_ne!(
            offer_id_for_idempotency_key(&s, "a", "k"),
            offer_id_for_idempotency_key(&s, "b", "k")
        );
    }
}
