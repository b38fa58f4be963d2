//! The issuers this node serves: every issuer stream folded in memory from the log, and
//! per issuer a [`ServedIssuer`] snapshot — its configurations converted into a catalogue
//! (the current versions) and by version (what older offers are issued with), and its
//! keys opened from the vault (the active key signs; every published key is in the JWKS).
//!
//! Every node keeps its own registry (no lease, like the status list registry): it is
//! rebuilt from the whole log at start and follows the log's tail, its own appends at once
//! and other nodes' within the follower's poll interval. A change replaces the issuer's
//! snapshot as a whole (readers hold an `Arc` of the old one until they finish), so a
//! request never sees half a change. Nothing is stored, so a restart, a replay or a second
//! node sharing the PostgreSQL store serves exactly the issuers the log holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use issuance_credential::IssuerKeys;
use issuance_domain::catalog::{CatalogEntry, CredentialCatalog};
use issuance_domain::configuration_table::{AnyConfiguration, ConfigurationTable};
use issuance_domain::credential_config::KeyAttestationsRequired;
use issuance_domain::issuer::{issuer_id_of_stream, Issuer, IssuerEvent, IssuerId, IssuerProfile};
use issuance_domain::StoredEvent;
use issuance_eventlog::{LogPosition, RecordedEvent};

use super::vault::KeyVault;
use crate::clock::Clock;
use crate::projector::{Projection, ProjectionError};

/// Name of the in-memory projection (logs).
pub const ISSUER_REGISTRY: &str = "issuer_registry";

/// One issuer as this node serves it, built from its stream at one version.
#[derive(Debug)]
pub struct ServedIssuer {
    /// Its id.
    pub id: IssuerId,
    /// Its state (display, keys, configuration histories).
    pub state: Issuer,
    /// The current version of every configuration that is not retired: what metadata
    /// advertises and new offers are made from.
    pub catalog: Arc<CredentialCatalog>,
    /// Every published version of every configuration, retired ones included.
    versions: HashMap<String, BTreeMap<u32, AnyConfiguration>>,
    /// Its keys (active first), when a key is active; `None` before the first activation
    /// (and for the default issuer, whose keys are the configuration file's).
    pub keys: Option<Arc<IssuerKeys>>,
    /// The profile it is served with: its own, or `haip` when the deployment's is.
    pub profile: IssuerProfile,
}

impl ServedIssuer {
    /// Version `version` of configuration `id` (retired or not), or its current version
    /// when `version` is `None` (offers made before configurations were versioned).
    pub fn configuration(&self, id: &str, version: Option<u32>) -> Option<CatalogEntry<'_>> {
        match version {
            Some(version) => self
                .versions
                .get(id)?
                .get(&version)
                .map(AnyConfiguration::entry),
            None => self.catalog.entry(id),
        }
    }

    /// The current version of each of `ids` (those that have one).
    pub fn current_versions(&self, ids: &[String]) -> BTreeMap<String, u32> {
        ids.iter()
            .filter_map(|id| {
                let current = self.state.current_configuration(id)?;
                Some((id.clone(), current.version))
            })
            .collect()
    }

    /// What identifies this snapshot's documents: the stream version, and how many keys
    /// are published now (a retired key leaves the JWKS by time alone).
    pub fn revision(&self, now: chrono::DateTime<chrono::Utc>) -> (u64, usize) {
        let published = self.state.keys.values().filter(|k| k.is_published(now));
        (self.state.version, published.count())
    }
}

#[derive(Default)]
struct Inner {
    states: BTreeMap<IssuerId, Issuer>,
    served: HashMap<String, Arc<ServedIssuer>>,
    position: LogPosition,
}

/// Every issuer this node has read from the log, and its served snapshot.
pub struct IssuerRegistry {
    inner: RwLock<Inner>,
    /// Bumped after every snapshot replaced: a reader holding something derived from a
    /// snapshot knows it is current while the generation is the one it read before.
    generation: AtomicU64,
    vault: KeyVault,
    clock: Arc<dyn Clock>,
    /// The deployment's profile: no issuer is served with a weaker one.
    deployment_profile: IssuerProfile,
}

impl IssuerRegistry {
    /// An empty registry whose snapshots open private keys from `vault`; with a
    /// `deployment_profile` of `haip`, every issuer is served as `haip`.
    pub fn new(vault: KeyVault, clock: Arc<dyn Clock>, deployment_profile: IssuerProfile) -> Self {
        IssuerRegistry {
            inner: RwLock::new(Inner::default()),
            generation: AtomicU64::new(0),
            vault,
            clock,
            deployment_profile,
        }
    }

    /// Every issuer id read so far, in order (retired issuers included).
    pub fn ids(&self) -> Vec<IssuerId> {
        self.inner
            .read()
            .map(|inner| inner.states.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The snapshot of issuer `id`, if it exists.
    pub fn get(&self, id: &str) -> Option<Arc<ServedIssuer>> {
        self.inner.read().ok()?.served.get(id).cloned()
    }

    /// Changes whenever a snapshot is replaced (see [`IssuerRegistry::get`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The position of the last event read.
    pub fn position(&self) -> LogPosition {
        self.inner
            .read()
            .map(|inner| inner.position)
            .unwrap_or(LogPosition::START)
    }

    /// Takes a batch of the log: folds the events of issuer streams, then rebuilds the
    /// snapshot of every issuer the batch changed.
    pub async fn apply(&self, events: &[RecordedEvent]) -> Result<(), String> {
        let changed = self.fold(events)?;
        for (id, state) in changed {
            let served = Arc::new(self.serve(id.clone(), state).await);
            let mut inner = self.lock()?;
            inner.served.insert(id.as_str().to_string(), served);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    fn lock(&self) -> Result<std::sync::RwLockWriteGuard<'_, Inner>, String> {
        self.inner
            .write()
            .map_err(|_| "the issuer registry lock is poisoned".to_string())
    }

    /// Folds the batch; returns the states of the issuers it changed.
    fn fold(&self, events: &[RecordedEvent]) -> Result<Vec<(IssuerId, Issuer)>, String> {
        let mut inner = self.lock()?;
        let mut changed = BTreeSet::new();
        for recorded in events {
            inner.position = inner.position.max(recorded.position);
            let Some(id) = issuer_id_of_stream(&recorded.stream_id) else {
                continue;
            };
            let event = IssuerEvent::decode(
                &recorded.event_type,
                recorded.event_version,
                &recorded.payload,
            )
            .map_err(|e| format!("{} does not decode: {e}", recorded.event_id))?;
            inner.states.entry(id.clone()).or_default().apply(event);
            changed.insert(id);
        }
        Ok(changed
            .into_iter()
            .filter_map(|id| Some((id.clone(), inner.states.get(&id)?.clone())))
            .collect())
    }

    async fn serve(&self, id: IssuerId, state: Issuer) -> ServedIssuer {
        let profile = state.profile.under(self.deployment_profile);
        let mut sd_jwt = Vec::new();
        let mut mdoc = Vec::new();
        let mut versions: HashMap<String, BTreeMap<u32, AnyConfiguration>> = HashMap::new();
        for (configuration_id, history) in &state.configurations {
            for published in &history.versions {
                let converted = ConfigurationTable::from_json(
                    configuration_id,
                    &published.configuration,
                    &BTreeSet::new(),
                );
                let Ok((_, mut configuration)) = converted else {
                    // Checked when published: only a rule tightened since refuses it.
                    tracing::warn!(issuer = %id, configuration_id, version = published.version,
                        "a published configuration no longer converts; it is not served");
                    continue;
                };
                if let (IssuerProfile::Haip, AnyConfiguration::SdJwt(c)) =
                    (profile, &mut configuration)
                {
                    // HAIP §4.5.1: every holder key is attested; metadata and the credential
                    // endpoint both read this (the configuration file's rule, per issuer).
                    c.key_attestations_required
                        .get_or_insert_with(KeyAttestationsRequired::default);
                }
                let current = state.current_configuration(configuration_id);
                if current.is_some_and(|c| c.version == published.version) {
                    match &configuration {
                        AnyConfiguration::SdJwt(c) => sd_jwt.push(c.clone()),
                        AnyConfiguration::Mdoc(c) => mdoc.push(c.clone()),
                    }
                }
                versions
                    .entry(configuration_id.clone())
                    .or_default()
                    .insert(published.version, configuration);
            }
        }
        let keys = self.open_keys(&id, &state).await;
        ServedIssuer {
            catalog: Arc::new(CredentialCatalog::with_mdoc(sd_jwt, mdoc)),
            versions,
            keys,
            profile,
            id,
            state,
        }
    }

    /// The active key and every other published key, opened from the vault.
    async fn open_keys(&self, id: &IssuerId, state: &Issuer) -> Option<Arc<IssuerKeys>> {
        let active = state.active_key()?;
        let open = |key| self.vault.private_key(id, key);
        let active = match open(active).await {
            Ok(private) => private.signing_key().clone(),
            Err(error) => {
                tracing::error!(issuer = %id, kid = %active.kid, %error,
                    "the active signing key cannot be opened; the issuer does not sign");
                return None;
            }
        };
        let mut others = Vec::new();
        let now = self.clock.now();
        for key in state.published_keys(now) {
            if key.kid == active.kid() {
                continue;
            }
            match open(key).await {
                Ok(private) => others.push(private.signing_key().clone()),
                Err(error) => tracing::error!(issuer = %id, kid = %key.kid, %error,
                    "a published key cannot be opened; it is left out of the JWKS"),
            }
        }
        Some(Arc::new(IssuerKeys::new(active, others)))
    }

    fn reset(&self) {
        if let Ok(mut inner) = self.inner.write() {
            *inner = Inner::default();
        }
    }
}

/// The registry as a [`Projection`] run by [`crate::projector::run`] on every node.
pub struct IssuerRegistryProjection(pub Arc<IssuerRegistry>);

#[async_trait]
impl Projection for IssuerRegistryProjection {
    fn name(&self) -> &'static str {
        ISSUER_REGISTRY
    }

    async fn checkpoint(&self) -> Result<LogPosition, ProjectionError> {
        Ok(self.0.position())
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        self.0
            .apply(events)
            .await
            .map_err(|detail| ProjectionError {
                projection: ISSUER_REGISTRY,
                detail,
            })
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        self.0.reset();
        Ok(())
    }
}
