//! Commands to the Issuer aggregate. Every command says who asks (`actor`, recorded in
//! each event it causes) and when (`at`, the caller's clock); the service generates keys,
//! stores the encrypted private key and hands over only the public half and a reference.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::event::{IssuerDisplay, IssuerProfile};
use super::key::SigningAlg;

/// One command: who, when, what.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerCommand {
    /// Who asks (the API key's name, `bootstrap` for the TOML seed, …); recorded.
    pub actor: String,
    /// The current time; recorded as the events' `at`.
    pub at: DateTime<Utc>,
    /// What is asked.
    pub action: IssuerAction,
}

impl IssuerCommand {
    /// A command by `actor` at `at`.
    pub fn new(actor: impl Into<String>, at: DateTime<Utc>, action: IssuerAction) -> Self {
        IssuerCommand {
            actor: actor.into(),
            at,
            action,
        }
    }
}

/// Everything the Issuer aggregate can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum IssuerAction {
    /// Create the issuer.
    Create(CreateIssuer),
    /// Replace its display (no events when it is the same).
    ChangeDisplay(ChangeDisplay),
    /// Record a key the service generated.
    GenerateSigningKey(AddSigningKey),
    /// Record a key the institution supplied.
    ImportSigningKey(AddSigningKey),
    /// Sign with this key from now on (no events when it already does).
    ActivateSigningKey(ActivateSigningKey),
    /// Stop publishing a key once what it signed has expired.
    RetireSigningKey(RetireSigningKey),
    /// Attach (or replace) a key's X.509 chain (no events when it is the same).
    SetCertificateChain(SetCertificateChain),
    /// Publish a new version of a credential configuration (no events when it equals the
    /// current version).
    PublishConfiguration(PublishConfiguration),
    /// Offer a configuration no more.
    RetireConfiguration(RetireConfiguration),
    /// Follow an interoperability profile (no events when it already does).
    SetProfile(SetProfile),
    /// Retire the issuer: no new offers, no changes; nothing is deleted.
    Retire,
}

/// Create the issuer.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIssuer {
    /// The id ([`IssuerId`](super::IssuerId) syntax, checked by `decide`).
    pub issuer_id: String,
    /// Its localised display (Credential Issuer Metadata `display`).
    pub display: Vec<IssuerDisplay>,
}

/// Replace the display.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeDisplay {
    /// The new display.
    pub display: Vec<IssuerDisplay>,
}

/// A new signing key, generated or imported.
#[derive(Debug, Clone, PartialEq)]
pub struct AddSigningKey {
    /// Its key id, unique within the issuer (retired keys included).
    pub kid: String,
    /// The algorithm it signs with.
    pub alg: SigningAlg,
    /// The public key as a JWK.
    pub public_jwk: Value,
    /// Its X.509 chain, leaf first, each the base64 of the DER.
    pub certificate_chain: Option<Vec<String>>,
    /// Where the service keeps the encrypted private key (opaque here).
    pub key_ref: String,
}

/// Make a key the one that signs.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivateSigningKey {
    /// The key.
    pub kid: String,
}

/// Retire a key that does not sign.
#[derive(Debug, Clone, PartialEq)]
pub struct RetireSigningKey {
    /// The key.
    pub kid: String,
    /// Until when it stays in the JWKS: the latest expiry of the credentials it signed.
    pub published_until: DateTime<Utc>,
}

/// Set a key's X.509 chain.
#[derive(Debug, Clone, PartialEq)]
pub struct SetCertificateChain {
    /// The key.
    pub kid: String,
    /// The chain, leaf first, each the base64 of the DER.
    pub chain: Vec<String>,
}

/// Publish a configuration version.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishConfiguration {
    /// The configuration id (what offers name).
    pub configuration_id: String,
    /// One `[[credential_configurations]]` table as JSON; its `id` may be left out.
    pub configuration: Value,
}

/// Retire a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RetireConfiguration {
    /// The configuration id.
    pub configuration_id: String,
}

/// Follow an interoperability profile.
#[derive(Debug, Clone, PartialEq)]
pub struct SetProfile {
    /// The profile.
    pub profile: IssuerProfile,
}
