//! Key proofs of a credential request: each `jwt` proof verified (OID4VCI 1.0 Appendix
//! F.4), holder keys distinct, and every `c_nonce` valid and then consumed, so a proof or
//! nonce can be used only once. When the configuration requires key attestations
//! (Appendix D), every proof's key must be listed in a valid `key_attestation` header
//! that meets the configuration's constraints — or the request sends the key attestation
//! itself as its one `attestation` proof (Appendix F.3), whose `nonce` is the `c_nonce`
//! and whose attested keys are the holder keys, one credential each.

use chrono::{DateTime, Utc};
use issuance_credential::{
    verify_key_attestation, verify_proof_jwt, ProofError, ProofExpectations, TrustAnchors,
    VerifiedKeyAttestation, VerifiedProof,
};
use issuance_domain::credential_config::KeyAttestationsRequired;

use super::credential_request::{batch_too_large, KeyProofs};
use super::errors::{ErrorCode, WalletError};
use super::metadata::PROOF_SIGNING_ALGS;
use super::nonce;
use crate::config::TokenPolicy;
use crate::crypto::server_secret::ServerSecret;
use crate::store::NonceUse;

/// What proofs are checked against.
pub struct ProofContext<'a> {
    /// The Credential Issuer Identifier (`aud`).
    pub issuer_url: &'a str,
    /// Proof age and skew limits.
    pub tokens: &'a TokenPolicy,
    /// Verifies nonce MACs.
    pub secret: &'a ServerSecret,
    /// The client that obtained the access token; proofs then must name it as `iss`.
    pub client_id: Option<&'a str>,
    /// The current time.
    pub now: DateTime<Utc>,
    /// Most holder keys per request (`batch_size`).
    pub batch_size: usize,
    /// Key attestations the configuration requires (`None`: not required).
    pub key_attestations: Option<KeyAttestationPolicy<'a>>,
}

/// What key attestations must satisfy.
#[derive(Clone, Copy)]
pub struct KeyAttestationPolicy<'a> {
    /// The configuration's `key_attestations_required`.
    pub required: &'a KeyAttestationsRequired,
    /// The anchors attestations chain to (`attestation.trust_anchors`); without any, no
    /// key can be attested.
    pub anchors: Option<&'a TrustAnchors>,
}

/// Proofs that passed every check, and their distinct nonces, not yet consumed.
pub struct CheckedProofs {
    /// One per credential to issue, in request order.
    pub proofs: Vec<VerifiedProof>,
    /// The distinct nonces they carry (a batch usually signs one nonce in every proof).
    nonces: Vec<nonce::ValidNonce>,
}

/// Verifies every proof (signature, `typ`, `alg`, `aud`, `iat`, public `jwk`; or the key
/// attestation) and every nonce's MAC and expiry, consuming nothing. One holder key per
/// credential.
pub fn verify(proofs: &KeyProofs, context: &ProofContext) -> Result<CheckedProofs, WalletError> {
    let verified = match proofs {
        KeyProofs::Jwt(jwts) => verify_jwts(jwts, context)?,
        KeyProofs::Attestation(jwt) => attested_keys(jwt, context)?,
    };
    let mut proofs: Vec<VerifiedProof> = Vec::with_capacity(verified.len());
    for proof in verified {
        if proofs.iter().any(|p| p.thumbprint == proof.thumbprint) {
            // §14.6: one credential per key; repeating a key defeats unlinkability.
            return Err(WalletError::new(
                ErrorCode::InvalidProof,
                "each proof must use a different holder key",
            ));
        }
        proofs.push(proof);
    }
    let mut nonces: Vec<nonce::ValidNonce> = Vec::with_capacity(1);
    for proof in &proofs {
        let valid = nonce::check(
            context.secret,
            proof.nonce.as_deref().unwrap_or_default(),
            context.now,
        )?;
        if !nonces.contains(&valid) {
            nonces.push(valid);
        }
    }
    Ok(CheckedProofs { proofs, nonces })
}

/// `jwt` proofs, each checked against the key attestation policy.
fn verify_jwts(jwts: &[String], context: &ProofContext) -> Result<Vec<VerifiedProof>, WalletError> {
    let seconds = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let expectations = ProofExpectations {
        audience: context.issuer_url,
        now: context.now.timestamp(),
        max_age_seconds: seconds(context.tokens.proof_max_age),
        max_future_skew_seconds: seconds(context.tokens.proof_max_future_skew),
        allowed_algs: PROOF_SIGNING_ALGS,
        client_id: context.client_id,
    };
    jwts.iter()
        .map(|jwt| {
            let proof = verify_proof_jwt(jwt, &expectations).map_err(proof_error)?;
            if let Some(policy) = context.key_attestations {
                check_key_attestation(&proof, policy, expectations.now)?;
            }
            Ok(proof)
        })
        .collect()
}

/// Appendix F.3: the `attestation` proof type, accepted where key attestations are
/// required (and advertised). Its attested keys are the holder keys; its `nonce` must be
/// a `c_nonce` (checked with the others by the caller).
fn attested_keys(jwt: &str, context: &ProofContext) -> Result<Vec<VerifiedProof>, WalletError> {
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidProof, reason);
    let policy = context.key_attestations.ok_or_else(|| {
        invalid("this credential configuration does not accept the attestation proof type")
    })?;
    let attestation = verified_attestation(jwt, policy, context.now.timestamp())?;
    let nonce = attestation.nonce.clone().ok_or_else(|| {
        invalid("the key attestation has no nonce; fetch a c_nonce from the nonce endpoint")
    })?;
    if attestation.attested_keys.len() > context.batch_size {
        return Err(batch_too_large(context.batch_size));
    }
    Ok(attestation
        .attested_keys
        .into_iter()
        .zip(attestation.attested_key_thumbprints)
        .map(|(holder_jwk, thumbprint)| VerifiedProof {
            holder_jwk,
            thumbprint,
            nonce: Some(nonce.clone()),
            issued_at: attestation.issued_at,
            key_attestation: Some(jwt.to_string()),
        })
        .collect())
}

impl CheckedProofs {
    /// The nonces as ledger entries, recorded with the append of the issued credentials.
    pub fn nonce_uses(&self) -> Vec<NonceUse> {
        self.nonces
            .iter()
            .map(|valid| NonceUse {
                hash: valid.ledger_key,
                expires_at: valid.expires_at,
            })
            .collect()
    }
}

/// Appendix D, F.1: the proof's key is among the `attested_keys` of a valid key
/// attestation (trusted chain, not expired, for this proof's `c_nonce` when it names one)
/// that meets the configuration's constraints; otherwise `invalid_proof`.
fn check_key_attestation(
    proof: &VerifiedProof,
    policy: KeyAttestationPolicy,
    now: i64,
) -> Result<(), WalletError> {
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidProof, reason);
    let jwt = proof.key_attestation.as_deref().ok_or_else(|| {
        invalid("this credential configuration requires a key_attestation in every proof")
    })?;
    let attestation = verified_attestation(jwt, policy, now)?;
    if !attestation.covers(&proof.thumbprint) {
        return Err(invalid(
            "the proof key is not among the key attestation's attested_keys",
        ));
    }
    if attestation
        .nonce
        .as_deref()
        .is_some_and(|nonce| Some(nonce) != proof.nonce.as_deref())
    {
        return Err(invalid(
            "the key attestation nonce is not the proof's c_nonce",
        ));
    }
    Ok(())
}

/// A key attestation with a trusted chain, not expired, that meets the configuration's
/// constraints; otherwise `invalid_proof`.
fn verified_attestation(
    jwt: &str,
    policy: KeyAttestationPolicy,
    now: i64,
) -> Result<VerifiedKeyAttestation, WalletError> {
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidProof, reason);
    let anchors = policy
        .anchors
        .ok_or_else(|| invalid("this issuer trusts no key attestation provider"))?;
    let attestation = verify_key_attestation(jwt, anchors, now)
        .map_err(|e| invalid(&format!("key attestation: {e}")))?;
    if !attestation.satisfies(
        &policy.required.key_storage,
        &policy.required.user_authentication,
    ) {
        return Err(invalid(
            "the key attestation does not meet key_attestations_required",
        ));
    }
    Ok(attestation)
}

fn proof_error(error: ProofError) -> WalletError {
    match error {
        // §8.3.1.2: a proof without a c_nonce is `invalid_proof`.
        ProofError::MissingNonce => WalletError::new(
            ErrorCode::InvalidProof,
            "the proof has no nonce; fetch a c_nonce from the nonce endpoint",
        ),
        other => WalletError::new(ErrorCode::InvalidProof, other.to_string()),
    }
}
