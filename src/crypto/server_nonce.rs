//! Server-provided nonces, stateless: DPoP nonces (RFC 9449 §8) and wallet attestation
//! challenges (Attestation-Based Client Authentication draft -07 §8). A nonce is the number
//! of its time window (`lifetime` seconds long) and a MAC of it under the server secret,
//! labelled with its [`Purpose`], so every node of a deployment mints and accepts the same
//! nonces without shared state and a nonce of one purpose is never accepted for the other.
//! A nonce is accepted during its own window and the next one (so one minted just before a
//! window ends still serves a whole `lifetime`); the current one rotates every window.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

use super::server_secret::ServerSecret;

/// Bytes of the MAC kept in a nonce.
const MAC_BYTES: usize = 16;

/// What a nonce is for (the MAC's domain separation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A `DPoP-Nonce` (RFC 9449 §8).
    Dpop,
    /// An `attestation_challenge` / `OAuth-Client-Attestation-Challenge` (draft -07 §8).
    AttestationChallenge,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Dpop => "dpop-nonce",
            Purpose::AttestationChallenge => "attestation-challenge",
        }
    }
}

fn window(now: i64, lifetime: u64) -> u64 {
    u64::try_from(now).unwrap_or(0) / lifetime.max(1)
}

fn mint(secret: &ServerSecret, purpose: Purpose, window: u64) -> String {
    let mac = secret.mac(purpose.label(), &[&window.to_be_bytes()]);
    let mut bytes = window.to_be_bytes().to_vec();
    bytes.extend_from_slice(&mac[..MAC_BYTES]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The nonce for `purpose` to hand out now.
pub fn current(secret: &ServerSecret, purpose: Purpose, now: i64, lifetime: u64) -> String {
    mint(secret, purpose, window(now, lifetime))
}

/// Whether `nonce` is one of ours for `purpose`, of the current window or the one before.
pub fn accepts(
    secret: &ServerSecret,
    purpose: Purpose,
    now: i64,
    lifetime: u64,
    nonce: &str,
) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
        return false;
    };
    let Some((head, _)) = bytes.split_first_chunk::<8>() else {
        return false;
    };
    let presented = u64::from_be_bytes(*head);
    let now = window(now, lifetime);
    let fresh = presented == now || presented.checked_add(1) == Some(now);
    // Compared as the whole encoded nonce (constant time: it is a MAC).
    fresh
        && bool::from(
            mint(secret, purpose, presented)
                .as_bytes()
                .ct_eq(nonce.as_bytes()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> ServerSecret {
        ServerSecret::parse(&URL_SAFE_NO_PAD.encode([7u8; 32]), "test").unwrap()
    }

    const DPOP: Purpose = Purpose::Dpop;

    #[test]
    fn a_nonce_serves_its_window_and_the_next_then_rotates_out() {
        let secret = secret();
        let nonce = current(&secret, DPOP, 1_000, 300);
        assert!(accepts(&secret, DPOP, 900, 300, &nonce));
        assert!(accepts(&secret, DPOP, 1_199, 300, &nonce));
        assert!(
            accepts(&secret, DPOP, 1_499, 300, &nonce),
            "the next window"
        );
        assert!(
            !accepts(&secret, DPOP, 1_500, 300, &nonce),
            "two windows later"
        );
        assert!(
            !accepts(&secret, DPOP, 600, 300, &nonce),
            "not before its window"
        );
        assert_ne!(current(&secret, DPOP, 1_200, 300), nonce, "rotated");
    }

    #[test]
    fn forged_truncated_and_foreign_nonces_are_refused() {
        let secret = secret();
        let nonce = current(&secret, DPOP, 1_000, 300);
        let other = ServerSecret::parse(&URL_SAFE_NO_PAD.encode([8u8; 32]), "test").unwrap();
        assert!(!accepts(&other, DPOP, 1_000, 300, &nonce));
        assert!(!accepts(
            &secret,
            DPOP,
            1_000,
            300,
            &nonce[..nonce.len() - 2]
        ));
        assert!(!accepts(&secret, DPOP, 1_000, 300, "not base64!"));
        assert!(!accepts(&secret, DPOP, 1_000, 300, ""));
        let mut bytes = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        bytes[12] ^= 1;
        assert!(!accepts(
            &secret,
            DPOP,
            1_000,
            300,
            &URL_SAFE_NO_PAD.encode(bytes)
        ));
    }

    #[test]
    fn a_nonce_serves_only_its_purpose() {
        let secret = secret();
        let challenge = current(&secret, Purpose::AttestationChallenge, 1_000, 300);
        assert!(accepts(
            &secret,
            Purpose::AttestationChallenge,
            1_000,
            300,
            &challenge
        ));
        assert!(!accepts(&secret, DPOP, 1_000, 300, &challenge));
        let nonce = current(&secret, DPOP, 1_000, 300);
        assert!(!accepts(
            &secret,
            Purpose::AttestationChallenge,
            1_000,
            300,
            &nonce
        ));
    }
}
