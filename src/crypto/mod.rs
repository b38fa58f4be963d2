//! Symmetric cryptography of the service: hashing, the server secret and the codes it
//! derives, sealing of personal data with per-offer data keys, and the encryption of issuer
//! private keys at rest.

pub mod access_token;
pub mod codes;
pub mod data_key;
pub mod document_signer;
pub mod key_vault;
pub mod request_encryption;
pub mod sealing;
pub mod server_nonce;
pub mod server_secret;

use issuance_domain::Digest;
use sha2::{Digest as _, Sha256};

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Digest {
    Digest(Sha256::digest(bytes).into())
}

/// Canonical JSON bytes: object members sorted by key at every level, no whitespace (see
/// [`issuance_domain::canonical`]).
pub use issuance_domain::canonical::canonical_json;

/// `N` random bytes for nonces, salts and tokens: from the thread's CSPRNG (`ThreadRng`,
/// ChaCha seeded and periodically reseeded from the operating system), which costs no
/// system call, unlike [`key_bytes`].
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// `N` random bytes for long-lived keys, straight from the operating system's CSPRNG.
pub fn key_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Random unpadded base64url text of `N` bytes of entropy.
pub fn random_token<const N: usize>() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}
