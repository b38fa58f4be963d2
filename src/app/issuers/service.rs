//! [`Issuers`]: create, read, change and retire issuers and their credential
//! configurations. Each change is one command decided by the Issuer aggregate (every rule
//! and refusal is there); this layer addresses the stream, records who asked, and reads.

use std::sync::Arc;

use issuance_domain::issuer::{
    ChangeDisplay, CreateIssuer, Issuer, IssuerAction, IssuerCommand, IssuerDisplay, IssuerError,
    IssuerEvent, IssuerId, IssuerProfile, PublishConfiguration, PublishedConfiguration,
    RetireConfiguration, SetProfile,
};
use serde_json::Value;

use super::registry::{IssuerRegistry, ServedIssuer};
use super::vault::KeyVault;
use super::{IssuerCommandError, IssuerRepository};
use crate::app::log_head::LogHead;
use crate::app::repository::{CommandMeta, Executed, RepositoryError};
use crate::clock::Clock;
use crate::projector::ProjectionProgress;

/// What a `PUT` of a configuration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationOutcome {
    /// Version 1 of a new configuration.
    Created,
    /// A new version of an existing configuration.
    NewVersion,
    /// The configuration equals its current version: nothing was written.
    Unchanged,
}

/// The result of publishing a configuration: what happened and the version now current.
#[derive(Debug, Clone)]
pub struct Publication {
    /// What happened.
    pub outcome: PublicationOutcome,
    /// The current version (the new one, or the unchanged one).
    pub current: PublishedConfiguration,
}

/// The issuer use cases, on the repository and the index of issuer ids.
#[derive(Clone)]
pub struct Issuers {
    pub(super) repository: IssuerRepository,
    registry: Arc<IssuerRegistry>,
    progress: ProjectionProgress,
    log: LogHead,
    /// Where the issuers' private keys live.
    pub(super) vault: KeyVault,
    /// "Now" for the JWKS (retired keys leave it at their `published_until`).
    pub(super) clock: Arc<dyn Clock>,
}

impl Issuers {
    /// The use cases over `repository`; lists read `registry`, whose progress is
    /// `progress`; private keys go to `vault`.
    pub fn new(
        repository: IssuerRepository,
        registry: Arc<IssuerRegistry>,
        progress: ProjectionProgress,
        log: LogHead,
        vault: KeyVault,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Issuers {
            repository,
            registry,
            progress,
            log,
            vault,
            clock,
        }
    }

    /// Creates an issuer (`AlreadyExists` if the id was ever used, `InvalidId`,
    /// `InvalidDisplay`).
    pub async fn create(
        &self,
        meta: &CommandMeta,
        id: &str,
        display: Vec<IssuerDisplay>,
    ) -> Result<Issuer, IssuerCommandError> {
        let issuer_id = IssuerId::parse(id).map_err(RepositoryError::Rejected)?;
        let create = CreateIssuer {
            issuer_id: id.to_string(),
            display,
        };
        self.change(issuer_id, meta, IssuerAction::Create(create))
            .await
    }

    /// The issuer with this id (`NotFound` for an unknown or malformed id).
    pub async fn get(&self, id: &str) -> Result<Issuer, IssuerCommandError> {
        let issuer_id = known_syntax(id)?;
        let issuer = self.repository.load(issuer_id).await?;
        if issuer.exists() {
            Ok(issuer)
        } else {
            Err(RepositoryError::Rejected(IssuerError::NotFound))
        }
    }

    /// Every issuer, retired ones included, by id; reflects every write that completed
    /// before the call (on any node), or waits at most
    /// [`READ_YOUR_WRITE_TIMEOUT`](crate::app::log_head::READ_YOUR_WRITE_TIMEOUT).
    pub async fn list(&self) -> Result<Vec<Issuer>, IssuerCommandError> {
        self.log.await_written(&self.progress).await?;
        let mut issuers = Vec::new();
        for id in self.registry.ids() {
            let issuer = self.repository.load(id).await?;
            if issuer.exists() {
                issuers.push(issuer);
            }
        }
        Ok(issuers)
    }

    /// Issuer `id` as this node serves it, reflecting every write that completed before
    /// the call (on any node), or waiting at most
    /// [`READ_YOUR_WRITE_TIMEOUT`](crate::app::log_head::READ_YOUR_WRITE_TIMEOUT).
    pub async fn served_current(&self, id: &str) -> Result<Arc<ServedIssuer>, IssuerCommandError> {
        self.log.await_written(&self.progress).await?;
        self.served(id)
            .ok_or(RepositoryError::Rejected(IssuerError::NotFound))
    }

    /// Issuer `id` as this node serves it now (no wait: the wallet API's view).
    pub fn served(&self, id: &str) -> Option<Arc<ServedIssuer>> {
        self.registry.get(id)
    }

    /// Changes whenever any issuer's snapshot is replaced: what was derived from
    /// [`Issuers::served`] under the same generation is still current.
    pub fn generation(&self) -> u64 {
        self.registry.generation()
    }

    /// Replaces the display (no event when it is the same).
    pub async fn change_display(
        &self,
        meta: &CommandMeta,
        id: &str,
        display: Vec<IssuerDisplay>,
    ) -> Result<Issuer, IssuerCommandError> {
        let action = IssuerAction::ChangeDisplay(ChangeDisplay { display });
        self.change(known_syntax(id)?, meta, action).await
    }

    /// Makes the issuer follow `profile` (no event when it already does;
    /// `CertificateChainRequired` for `haip` while the active key has no chain).
    pub async fn set_profile(
        &self,
        meta: &CommandMeta,
        id: &str,
        profile: IssuerProfile,
    ) -> Result<Issuer, IssuerCommandError> {
        let action = IssuerAction::SetProfile(SetProfile { profile });
        self.change(known_syntax(id)?, meta, action).await
    }

    /// Retires the issuer (`Retired` if it already is).
    pub async fn retire(&self, meta: &CommandMeta, id: &str) -> Result<Issuer, IssuerCommandError> {
        self.change(known_syntax(id)?, meta, IssuerAction::Retire)
            .await
    }

    /// Publishes `configuration` as the next version of `configuration_id` (nothing when
    /// it equals the current version; `ConfigurationInvalid` with every problem by field).
    pub async fn publish_configuration(
        &self,
        meta: &CommandMeta,
        id: &str,
        configuration_id: &str,
        configuration: Value,
    ) -> Result<Publication, IssuerCommandError> {
        let action = IssuerAction::PublishConfiguration(PublishConfiguration {
            configuration_id: configuration_id.to_string(),
            configuration,
        });
        let issuer_id = known_syntax(id)?;
        let executed = self
            .execute(issuer_id.clone(), meta, |_, now| {
                IssuerCommand::new(meta.actor.clone(), now, action.clone())
            })
            .await?;
        let outcome = match executed.events.first() {
            None => PublicationOutcome::Unchanged,
            Some(IssuerEvent::ConfigurationPublished(e)) if e.version == 1 => {
                PublicationOutcome::Created
            }
            Some(_) => PublicationOutcome::NewVersion,
        };
        let current = executed
            .state
            .current_configuration(configuration_id)
            .cloned()
            .ok_or_else(|| RepositoryError::Corrupt {
                stream_id: issuance_domain::issuer::stream_id(issuer_id),
                detail: format!(
                    "the published configuration `{configuration_id}` has no current version"
                ),
            })?;
        Ok(Publication { outcome, current })
    }

    /// Retires a configuration (`UnknownConfiguration`, `ConfigurationRetired`).
    pub async fn retire_configuration(
        &self,
        meta: &CommandMeta,
        id: &str,
        configuration_id: &str,
    ) -> Result<Issuer, IssuerCommandError> {
        let action = IssuerAction::RetireConfiguration(RetireConfiguration {
            configuration_id: configuration_id.to_string(),
        });
        self.change(known_syntax(id)?, meta, action).await
    }

    /// Executes a command and waits (bounded) until this node's registry has read it: the
    /// wallet API serves a change as soon as the management API has answered it.
    pub(super) async fn execute(
        &self,
        issuer_id: IssuerId,
        meta: &CommandMeta,
        command: impl FnMut(&Issuer, chrono::DateTime<chrono::Utc>) -> IssuerCommand,
    ) -> Result<Executed<Issuer, IssuerId>, IssuerCommandError> {
        let executed = self.repository.execute(issuer_id, meta, command).await?;
        if let Some(position) = executed.position {
            self.progress
                .wait_for(position, crate::app::log_head::READ_YOUR_WRITE_TIMEOUT)
                .await;
        }
        Ok(executed)
    }

    pub(super) async fn change(
        &self,
        issuer_id: IssuerId,
        meta: &CommandMeta,
        action: IssuerAction,
    ) -> Result<Issuer, IssuerCommandError> {
        let executed = self
            .execute(issuer_id, meta, |_, now| {
                IssuerCommand::new(meta.actor.clone(), now, action.clone())
            })
            .await?;
        Ok(executed.state)
    }
}

/// A path id that breaks the slug syntax names no issuer.
pub(super) fn known_syntax(id: &str) -> Result<IssuerId, IssuerCommandError> {
    IssuerId::parse(id).map_err(|_| RepositoryError::Rejected(IssuerError::NotFound))
}
