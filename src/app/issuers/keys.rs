//! The signing keys of an issuer (issue 19): generated or imported into the
//! [`KeyVault`](super::vault::KeyVault), activated, retired, published as a JWKS.
//!
//! Adding a key: refusals that need no key material come first (unknown or retired
//! issuer, broken material, a kid the issuer has), then the vault entry, then the key
//! event (see the vault for why in this order). The issuer's first key is activated
//! automatically by a second command; if that one fails, the key stays `pending` and can be
//! activated explicitly.

use chrono::Duration;
use issuance_credential::{decode_x5c, KeyError, PrivateKey};
use issuance_domain::issuer::{
    ActivateSigningKey, AddSigningKey, Issuer, IssuerAction, IssuerCommand, IssuerError,
    IssuerProfile, RetireSigningKey, SigningAlg, SigningKeyState,
};
use serde_json::{json, Value};

use super::service::{known_syntax, Issuers};
use super::vault::VaultError;
use super::IssuerCommandError;
use crate::app::repository::{CommandMeta, RepositoryError};

/// How long a retired key stays in the JWKS when the issuer has no configuration (and so
/// no validity to go by): the configurations' default validity.
pub const DEFAULT_PUBLISHED_AFTER_RETIREMENT: Duration = Duration::days(365);

/// How long a key of `issuer` retired now stays in the JWKS: the longest credential
/// validity of its configurations, or [`DEFAULT_PUBLISHED_AFTER_RETIREMENT`] without any.
pub fn published_after_retirement(issuer: &Issuer) -> Duration {
    issuer
        .longest_credential_validity()
        .unwrap_or(DEFAULT_PUBLISHED_AFTER_RETIREMENT)
}

/// Where a new key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Generate one (ES256).
    Generate,
    /// Import a private JWK.
    Jwk(Value),
    /// Import a PEM private key.
    Pem(String),
}

/// Why a key could not be added, activated or retired.
#[derive(Debug, thiserror::Error)]
pub enum KeyCommandError {
    /// The Issuer aggregate refused, or the event store failed.
    #[error(transparent)]
    Issuer(#[from] IssuerCommandError),
    /// The key material (or its chain, or the algorithm asked for) is unusable.
    #[error("{0}")]
    InvalidKey(String),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl From<IssuerError> for KeyCommandError {
    fn from(refusal: IssuerError) -> Self {
        KeyCommandError::Issuer(RepositoryError::Rejected(refusal))
    }
}

impl From<KeyError> for KeyCommandError {
    fn from(error: KeyError) -> Self {
        KeyCommandError::InvalidKey(error.to_string())
    }
}

impl Issuers {
    /// Adds a signing key to issuer `id` from `source` (`alg` must be ES256, the one
    /// algorithm the service signs with), with an optional `x5c` chain (imports only; its
    /// leaf must certify the key). The `kid` is the key's RFC 7638 thumbprint. Returns the
    /// key as recorded (active when it is the issuer's first).
    pub async fn add_key(
        &self,
        meta: &CommandMeta,
        id: &str,
        alg: Option<&str>,
        source: KeySource,
        x5c: Option<Vec<String>>,
    ) -> Result<SigningKeyState, KeyCommandError> {
        let issuer = self.get(id).await?;
        if issuer.is_retired() {
            return Err(IssuerError::Retired.into());
        }
        if let Some(alg) = alg.filter(|alg| *alg != SigningAlg::ES256.as_str()) {
            return Err(KeyCommandError::InvalidKey(format!(
                "alg `{alg}` is not supported: keys are ES256"
            )));
        }
        let chain = x5c.as_deref().map(decode_x5c).transpose()?;
        let (private, generated) =
            match source {
                KeySource::Generate if chain.is_some() => return Err(KeyCommandError::InvalidKey(
                    "x5c needs an imported key: a certificate cannot name a key not yet generated"
                        .into(),
                )),
                KeySource::Generate => (PrivateKey::generate()?, true),
                KeySource::Jwk(jwk) => (PrivateKey::from_json(&jwk, chain)?, false),
                KeySource::Pem(pem) => (PrivateKey::from_pem(&pem, chain)?, false),
            };
        let kid = private.signing_key().kid().to_string();
        if issuer.key(&kid).is_some() {
            return Err(IssuerError::DuplicateKid(kid).into());
        }
        let issuer_id = known_syntax(id)?;
        let key_ref = self.vault.store(&issuer_id, &kid, &private).await?;
        let mut public_jwk = private.public_jwk();
        // The chain is the key's own field (it may be replaced); the JWKS adds it back.
        if let Some(members) = public_jwk.as_object_mut() {
            members.remove("x5c");
        }
        let add = AddSigningKey {
            kid: kid.clone(),
            alg: SigningAlg::ES256,
            public_jwk,
            certificate_chain: x5c,
            key_ref,
        };
        let action = if generated {
            IssuerAction::GenerateSigningKey(add)
        } else {
            IssuerAction::ImportSigningKey(add)
        };
        let state = self.change(issuer_id.clone(), meta, action).await?;
        let unchained = state
            .key(&kid)
            .is_some_and(|k| k.certificate_chain.is_none());
        if state.active_kid.is_none() && state.profile == IssuerProfile::Haip && unchained {
            // A `haip` issuer signs only with a certified key: this one stays pending.
            return recorded_key(&state, &kid);
        }
        // The first key signs at once: activate the active key again (no event) or this one.
        let executed = self
            .execute(issuer_id, meta, |state, now| {
                let kid = state.active_kid.clone().unwrap_or_else(|| kid.clone());
                IssuerCommand::new(
                    meta.actor.clone(),
                    now,
                    IssuerAction::ActivateSigningKey(ActivateSigningKey { kid }),
                )
            })
            .await
            .map_err(KeyCommandError::Issuer)?;
        recorded_key(&executed.state, &kid)
    }

    /// Makes key `kid` the one that signs (no event when it already is).
    pub async fn activate_key(
        &self,
        meta: &CommandMeta,
        id: &str,
        kid: &str,
    ) -> Result<SigningKeyState, IssuerCommandError> {
        let action = IssuerAction::ActivateSigningKey(ActivateSigningKey {
            kid: kid.to_string(),
        });
        let issuer = self.change(known_syntax(id)?, meta, action).await?;
        recorded_key(&issuer, kid).map_err(|_| unknown(kid))
    }

    /// Retires key `kid`: it never signs again and stays in the JWKS for the longest
    /// credential validity of the issuer's configurations (every version, retired ones
    /// included), or [`DEFAULT_PUBLISHED_AFTER_RETIREMENT`] without configurations.
    pub async fn retire_key(
        &self,
        meta: &CommandMeta,
        id: &str,
        kid: &str,
    ) -> Result<SigningKeyState, IssuerCommandError> {
        let executed = self
            .execute(known_syntax(id)?, meta, |state, now| {
                let validity = published_after_retirement(state);
                let retire = RetireSigningKey {
                    kid: kid.to_string(),
                    published_until: now + validity,
                };
                IssuerCommand::new(
                    meta.actor.clone(),
                    now,
                    IssuerAction::RetireSigningKey(retire),
                )
            })
            .await?;
        recorded_key(&executed.state, kid).map_err(|_| unknown(kid))
    }

    /// The issuer and its JWKS now: every published key's public JWK, with `x5c` when it
    /// has a chain, the active key first.
    pub async fn jwks(&self, id: &str) -> Result<(Issuer, Value), IssuerCommandError> {
        let issuer = self.get(id).await?;
        let now = self.clock.now();
        let mut keys = issuer.published_keys(now);
        keys.sort_by_key(|key| issuer.active_kid.as_deref() != Some(key.kid.as_str()));
        let keys: Vec<Value> = keys.into_iter().map(published_jwk).collect();
        Ok((issuer.clone(), json!({ "keys": keys })))
    }
}

/// A key's JWK as the JWKS publishes it.
fn published_jwk(key: &SigningKeyState) -> Value {
    let mut jwk = key.public_jwk.clone();
    if let (Some(members), Some(chain)) = (jwk.as_object_mut(), &key.certificate_chain) {
        members.insert("x5c".into(), json!(chain));
    }
    jwk
}

fn recorded_key(issuer: &Issuer, kid: &str) -> Result<SigningKeyState, KeyCommandError> {
    issuer
        .key(kid)
        .cloned()
        .ok_or_else(|| IssuerError::UnknownKid(kid.to_string()).into())
}

fn unknown(kid: &str) -> IssuerCommandError {
    RepositoryError::Rejected(IssuerError::UnknownKid(kid.to_string()))
}
