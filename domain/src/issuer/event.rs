//! Issuer events: facts, past tense, versioned, never rewritten; stored like the Offer's
//! (type, version, the variant's struct alone, see [`super::codec`]). Each records who
//! caused it (`actor`) and when (`at`). No private key material: keys appear as their
//! public JWK and a reference to where the service keeps the private key.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::key::SigningAlg;
use super::IssuerId;
use crate::credential_config::Logo;

/// The issuer's display in one language (Credential Issuer Metadata `display`, OID4VCI
/// 1.0 §12.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuerDisplay {
    /// The issuer's name.
    pub name: String,
    /// BCP 47 language tag; at most one entry per locale (and one without).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Its logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
}

/// The interoperability profile an issuer follows. `haip` (OpenID4VC High Assurance
/// Interoperability Profile 1.0) makes the service require and advertise DPoP with server
/// nonces, wallet attestation, encrypted credential requests and responses, key
/// attestations of SD-JWT VC holder keys and the issuer's `x5c`; the aggregate only keeps
/// its own part of it: the key that signs has a certificate chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, Hash)]
#[serde(rename_all = "lowercase")]
pub enum IssuerProfile {
    /// Every HAIP feature is optional (as the deployment configures it).
    #[default]
    Standard,
    /// HAIP 1.0.
    Haip,
}

impl IssuerProfile {
    /// The profile's name (`standard`, `haip`).
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerProfile::Standard => "standard",
            IssuerProfile::Haip => "haip",
        }
    }

    /// The profile an issuer recording this one is served with under a deployment of
    /// profile `deployment`: never weaker than the deployment's.
    pub fn under(self, deployment: IssuerProfile) -> IssuerProfile {
        match deployment {
            IssuerProfile::Haip => IssuerProfile::Haip,
            IssuerProfile::Standard => self,
        }
    }

    /// The profile named `name`, if any.
    pub fn parse(name: &str) -> Option<IssuerProfile> {
        match name {
            "standard" => Some(IssuerProfile::Standard),
            "haip" => Some(IssuerProfile::Haip),
            _ => None,
        }
    }
}

/// The issuer was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IssuerCreated {
    /// Its id.
    pub issuer_id: IssuerId,
    /// Its display.
    pub display: Vec<IssuerDisplay>,
    /// Who created it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The display was replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IssuerDisplayChanged {
    /// The new display.
    pub display: Vec<IssuerDisplay>,
    /// Who changed it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A signing key was added (`SigningKeyGenerated` by the service, `SigningKeyImported`
/// from the institution). It is published from now on and signs once activated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SigningKeyAdded {
    /// Its key id.
    pub kid: String,
    /// The algorithm it signs with.
    pub alg: SigningAlg,
    /// The public key (JWK, no private members).
    pub public_jwk: Value,
    /// Its X.509 chain, leaf first, each the base64 of the DER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_chain: Option<Vec<String>>,
    /// Where the service keeps the encrypted private key (opaque to the domain).
    pub key_ref: String,
    /// Who added it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The key signs from now on; the key that signed before stays published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SigningKeyActivated {
    /// The key.
    pub kid: String,
    /// Who activated it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The key was retired (at `at`): it never signs again and leaves the JWKS at
/// `published_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SigningKeyRetired {
    /// The key.
    pub kid: String,
    /// Until when it stays published: the latest expiry of the credentials it signed.
    pub published_until: DateTime<Utc>,
    /// Who retired it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A key's X.509 chain was set (replacing any earlier one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CertificateChainSet {
    /// The key.
    pub kid: String,
    /// The chain, leaf first, each the base64 of the DER.
    pub chain: Vec<String>,
    /// Who set it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A version of a credential configuration was published; offers made from now on use it,
/// offers made before keep theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConfigurationPublished {
    /// The configuration id.
    pub configuration_id: String,
    /// The version: 1, then one more than the previous.
    pub version: u32,
    /// One `[[credential_configurations]]` table as JSON, defaults written out (see
    /// [`crate::configuration_table`]).
    pub configuration: Value,
    /// Who published it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A configuration was retired: no new offers; its versions stay readable for the offers
/// made from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConfigurationRetired {
    /// The configuration id.
    pub configuration_id: String,
    /// Who retired it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The issuer follows another interoperability profile from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ProfileSet {
    /// The profile.
    pub profile: IssuerProfile,
    /// Who set it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The issuer was retired: no new offers and no changes; live offers still redeem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IssuerRetired {
    /// Who retired it.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Every event of the Issuer aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IssuerEvent {
    /// See [`IssuerCreated`].
    IssuerCreated(IssuerCreated),
    /// See [`IssuerDisplayChanged`].
    IssuerDisplayChanged(IssuerDisplayChanged),
    /// A key the service generated; see [`SigningKeyAdded`].
    SigningKeyGenerated(SigningKeyAdded),
    /// A key the institution supplied; see [`SigningKeyAdded`].
    SigningKeyImported(SigningKeyAdded),
    /// See [`SigningKeyActivated`].
    SigningKeyActivated(SigningKeyActivated),
    /// See [`SigningKeyRetired`].
    SigningKeyRetired(SigningKeyRetired),
    /// See [`CertificateChainSet`].
    CertificateChainSet(CertificateChainSet),
    /// See [`ConfigurationPublished`].
    ConfigurationPublished(ConfigurationPublished),
    /// See [`ConfigurationRetired`].
    ConfigurationRetired(ConfigurationRetired),
    /// See [`ProfileSet`].
    ProfileSet(ProfileSet),
    /// See [`IssuerRetired`].
    IssuerRetired(IssuerRetired),
}

impl IssuerEvent {
    /// Who caused the event.
    pub fn actor(&self) -> &str {
        self.change().0
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        self.change().1
    }

    fn change(&self) -> (&str, DateTime<Utc>) {
        match self {
            IssuerEvent::IssuerCreated(e) => (&e.actor, e.at),
            IssuerEvent::IssuerDisplayChanged(e) => (&e.actor, e.at),
            IssuerEvent::SigningKeyGenerated(e) | IssuerEvent::SigningKeyImported(e) => {
                (&e.actor, e.at)
            }
            IssuerEvent::SigningKeyActivated(e) => (&e.actor, e.at),
            IssuerEvent::SigningKeyRetired(e) => (&e.actor, e.at),
            IssuerEvent::CertificateChainSet(e) => (&e.actor, e.at),
            IssuerEvent::ConfigurationPublished(e) => (&e.actor, e.at),
            IssuerEvent::ConfigurationRetired(e) => (&e.actor, e.at),
            IssuerEvent::ProfileSet(e) => (&e.actor, e.at),
            IssuerEvent::IssuerRetired(e) => (&e.actor, e.at),
        }
    }
}
