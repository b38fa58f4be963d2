//! The Issuer's state: the fold of its events (`apply` only records facts), and the
//! queries the service answers from it: the key that signs, the keys in the JWKS, the
//! configuration versions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::*;
use super::key::SigningAlg;
use super::IssuerId;

/// How a key came to the issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOrigin {
    /// The service generated it.
    Generated,
    /// The institution supplied it.
    Imported,
}

/// Where a key stands. Every status but `Retired` is published; a retired key until its
/// `published_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Added, never activated (published ahead of its first signature).
    Pending,
    /// The key that signs.
    Active,
    /// Signed before another key was activated.
    Inactive,
    /// Never signs again.
    Retired {
        /// When it was retired.
        retired_at: DateTime<Utc>,
        /// When it leaves the JWKS.
        published_until: DateTime<Utc>,
    },
}

/// One signing key of the issuer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningKeyState {
    /// Its key id.
    pub kid: String,
    /// Its algorithm.
    pub alg: SigningAlg,
    /// The public key (JWK).
    pub public_jwk: Value,
    /// Its X.509 chain, if any, leaf first.
    pub certificate_chain: Option<Vec<String>>,
    /// Where the service keeps the encrypted private key.
    pub key_ref: String,
    /// Generated or imported.
    pub origin: KeyOrigin,
    /// Where it stands.
    pub status: KeyStatus,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

impl SigningKeyState {
    /// Whether the key belongs in the JWKS at `now`.
    pub fn is_published(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            KeyStatus::Retired {
                published_until, ..
            } => now < published_until,
            _ => true,
        }
    }

    /// Whether it is retired.
    pub fn is_retired(&self) -> bool {
        matches!(self.status, KeyStatus::Retired { .. })
    }
}

/// One published version of a credential configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedConfiguration {
    /// The version (1, 2, …).
    pub version: u32,
    /// The table as JSON, defaults written out.
    pub configuration: Value,
    /// Who published it.
    pub published_by: String,
    /// When.
    pub published_at: DateTime<Utc>,
}

impl PublishedConfiguration {
    /// The OAuth scope that requests it: the table's `scope`, else its `id`.
    pub fn scope(&self) -> Option<&str> {
        ["scope", "id"]
            .iter()
            .find_map(|name| self.configuration.get(name).and_then(Value::as_str))
    }
}

/// A configuration's versions, oldest first, and whether it is retired.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConfigurationHistory {
    /// Every published version, oldest first (never empty once published).
    pub versions: Vec<PublishedConfiguration>,
    /// When it was retired, if it was.
    pub retired_at: Option<DateTime<Utc>>,
}

impl ConfigurationHistory {
    /// The latest version.
    pub fn latest(&self) -> Option<&PublishedConfiguration> {
        self.versions.last()
    }

    /// Whether it is retired.
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }
}

/// The Issuer aggregate's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Issuer {
    /// Its id; `None` until `IssuerCreated`.
    pub issuer_id: Option<IssuerId>,
    /// Its display.
    pub display: Vec<IssuerDisplay>,
    /// Every key it ever had, by kid.
    pub keys: BTreeMap<String, SigningKeyState>,
    /// The key that signs.
    pub active_kid: Option<String>,
    /// Every configuration it ever published, by id.
    pub configurations: BTreeMap<String, ConfigurationHistory>,
    /// The interoperability profile it follows.
    #[serde(default)]
    pub profile: IssuerProfile,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it was retired, if it was.
    pub retired_at: Option<DateTime<Utc>>,
    /// Number of events applied (the stream version).
    pub version: u64,
}

impl Issuer {
    /// Folds events into a state.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a IssuerEvent>) -> Issuer {
        let mut issuer = Issuer::default();
        for event in events {
            issuer.apply(event.clone());
        }
        issuer
    }

    /// Records one event. Infallible and free of decisions.
    pub fn apply(&mut self, event: IssuerEvent) {
        self.version += 1;
        match event {
            IssuerEvent::IssuerCreated(e) => {
                self.issuer_id = Some(e.issuer_id);
                self.display = e.display;
                self.created_at = Some(e.at);
            }
            IssuerEvent::IssuerDisplayChanged(e) => self.display = e.display,
            IssuerEvent::SigningKeyGenerated(e) => self.add_key(e, KeyOrigin::Generated),
            IssuerEvent::SigningKeyImported(e) => self.add_key(e, KeyOrigin::Imported),
            IssuerEvent::SigningKeyActivated(e) => {
                if let Some(previous) = self.active_kid.take() {
                    if let Some(key) = self.keys.get_mut(&previous) {
                        key.status = KeyStatus::Inactive;
                    }
                }
                if let Some(key) = self.keys.get_mut(&e.kid) {
                    key.status = KeyStatus::Active;
                }
                self.active_kid = Some(e.kid);
            }
            IssuerEvent::SigningKeyRetired(e) => {
                if let Some(key) = self.keys.get_mut(&e.kid) {
                    key.status = KeyStatus::Retired {
                        retired_at: e.at,
                        published_until: e.published_until,
                    };
                }
            }
            IssuerEvent::CertificateChainSet(e) => {
                if let Some(key) = self.keys.get_mut(&e.kid) {
                    key.certificate_chain = Some(e.chain);
                }
            }
            IssuerEvent::ConfigurationPublished(e) => {
                let history = self.configurations.entry(e.configuration_id).or_default();
                history.versions.push(PublishedConfiguration {
                    version: e.version,
                    configuration: e.configuration,
                    published_by: e.actor,
                    published_at: e.at,
                });
            }
            IssuerEvent::ConfigurationRetired(e) => {
                if let Some(history) = self.configurations.get_mut(&e.configuration_id) {
                    history.retired_at = Some(e.at);
                }
            }
            IssuerEvent::ProfileSet(e) => self.profile = e.profile,
            IssuerEvent::IssuerRetired(e) => self.retired_at = Some(e.at),
        }
    }

    fn add_key(&mut self, e: SigningKeyAdded, origin: KeyOrigin) {
        let key = SigningKeyState {
            kid: e.kid.clone(),
            alg: e.alg,
            public_jwk: e.public_jwk,
            certificate_chain: e.certificate_chain,
            key_ref: e.key_ref,
            origin,
            status: KeyStatus::Pending,
            added_at: e.at,
        };
        self.keys.insert(e.kid, key);
    }

    /// Whether the issuer exists.
    pub fn exists(&self) -> bool {
        self.issuer_id.is_some()
    }

    /// Whether it is retired.
    pub fn is_retired(&self) -> bool {
        self.retired_at.is_some()
    }

    /// The key that signs, if one was activated.
    pub fn active_key(&self) -> Option<&SigningKeyState> {
        self.active_kid.as_ref().and_then(|kid| self.keys.get(kid))
    }

    /// The key with this kid.
    pub fn key(&self, kid: &str) -> Option<&SigningKeyState> {
        self.keys.get(kid)
    }

    /// The keys the JWKS holds at `now`, by kid: every key not retired, and retired ones
    /// until their `published_until`.
    pub fn published_keys(&self, now: DateTime<Utc>) -> Vec<&SigningKeyState> {
        self.keys
            .values()
            .filter(|key| key.is_published(now))
            .collect()
    }

    /// Version `version` of configuration `configuration_id`, retired or not (an offer is
    /// issued with the version it was made from).
    pub fn configuration(
        &self,
        configuration_id: &str,
        version: u32,
    ) -> Option<&PublishedConfiguration> {
        self.configurations
            .get(configuration_id)?
            .versions
            .iter()
            .find(|v| v.version == version)
    }

    /// The latest version of a configuration that is not retired (what new offers use).
    pub fn current_configuration(&self, configuration_id: &str) -> Option<&PublishedConfiguration> {
        self.configurations
            .get(configuration_id)
            .filter(|history| !history.is_retired())
            .and_then(ConfigurationHistory::latest)
    }

    /// The longest credential validity (`validity_days`) of any version of any
    /// configuration, retired ones included (an offer made from an older version is still
    /// issued with it); `None` before the first configuration. What a key signs expires
    /// within this of the signature: it bounds how long a retired key stays published.
    pub fn longest_credential_validity(&self) -> Option<chrono::Duration> {
        self.configurations
            .values()
            .flat_map(|history| &history.versions)
            .filter_map(|v| v.configuration.get("validity_days").and_then(Value::as_u64))
            .max()
            .map(|days| {
                chrono::Duration::days(i64::try_from(days).unwrap_or(i64::MAX / 86_400_000))
            })
    }

    /// The latest version of every configuration that is not retired, by id.
    pub fn current_configurations(&self) -> impl Iterator<Item = (&str, &PublishedConfiguration)> {
        self.configurations
            .iter()
            .filter(|(_, history)| !history.is_retired())
            .filter_map(|(id, history)| Some((id.as_str(), history.latest()?)))
    }
}
