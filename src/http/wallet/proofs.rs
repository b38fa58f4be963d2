//! Key proofs of a credential request: each `jwt` proof verified (OID4VCI 1.0 Appendix
//! F.4), holder keys distinct, and every `c_nonce` valid and then consumed, so a proof or
//! nonce can be used only once.

use chrono::{DateTime, Utc};
use issuance_credential::{verify_proof_jwt, ProofError, ProofExpectations, VerifiedProof};

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
}

/// Proofs that passed every check, and their distinct nonces, not yet consumed.
pub struct CheckedProofs {
    /// One per credential to issue, in request order.
    pub proofs: Vec<VerifiedProof>,
    /// The distinct nonces they carry (a batch usually signs one nonce in every proof).
    nonces: Vec<nonce::ValidNonce>,
}

/// Verifies every proof (signature, `typ`, `alg`, `aud`, `iat`, public `jwk`) and every
/// nonce's MAC and expiry, consuming nothing. One holder key per proof.
pub fn verify(jwts: &[String], context: &ProofContext) -> Result<CheckedProofs, WalletError> {
    let seconds = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    let expectations = ProofExpectations {
        audience: context.issuer_url,
        now: context.now.timestamp(),
        max_age_seconds: seconds(context.tokens.proof_max_age),
        max_future_skew_seconds: seconds(context.tokens.proof_max_future_skew),
        allowed_algs: PROOF_SIGNING_ALGS,
        client_id: context.client_id,
    };
    let mut proofs: Vec<VerifiedProof> = Vec::with_capacity(jwts.len());
    for jwt in jwts {
        let proof = verify_proof_jwt(jwt, &expectations).map_err(proof_error)?;
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
