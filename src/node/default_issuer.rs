//! The default issuer: the one the configuration file describes (served at the root
//! identifier), recorded as an Issuer stream (`issuer-default`) so that its configuration
//! changes have the same history and audit trail as the issuers managed at runtime.
//!
//! At every start the file is applied: on the first, the issuer is created; afterwards a
//! changed display or configuration becomes a new version, a configuration no longer in the
//! file is retired, an unchanged one writes nothing. The file stays what the node serves
//! (its keys sign; the stream records what it said, under the actor `config`). Starts of
//! several nodes race harmlessly: the aggregate refuses a second creation and writes
//! nothing for a configuration that is already current.

use issuance_domain::configuration_table::ConfigurationTable;
use issuance_domain::credential_config::Display;
use issuance_domain::issuer::{IssuerDisplay, IssuerError};

use crate::app::issuers::Issuers;
use crate::app::repository::{CommandMeta, RepositoryError};
use crate::config::Settings;

pub use crate::app::issuers::DEFAULT_ISSUER;

/// What applying the file changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The issuer was created by this start.
    pub created: bool,
    /// Configurations published as a first or new version.
    pub published: Vec<String>,
    /// Configurations retired (no longer in the file).
    pub retired: Vec<String>,
}

/// Applies the file's display and credential configurations to the default issuer.
pub async fn apply(issuers: &Issuers, settings: &Settings) -> anyhow::Result<Applied> {
    let applied = record(
        issuers,
        &settings.issuer.display,
        &settings.credential_configurations,
    )
    .await?;
    if applied != Applied::default() {
        tracing::info!(
            ?applied,
            "configuration file recorded as the default issuer"
        );
    }
    Ok(applied)
}

async fn record(
    issuers: &Issuers,
    display: &[Display],
    tables: &[ConfigurationTable],
) -> anyhow::Result<Applied> {
    let meta = CommandMeta {
        actor: "config".into(),
        request_id: Some(format!("config-{}", uuid::Uuid::new_v4())),
        client_ip: None,
    };
    let display: Vec<IssuerDisplay> = display
        .iter()
        .map(|d| IssuerDisplay {
            name: d.name.clone(),
            locale: d.locale.clone(),
            logo: d.logo.clone(),
        })
        .collect();
    let mut applied = Applied::default();
    match issuers.create(&meta, DEFAULT_ISSUER, display.clone()).await {
        Ok(_) => applied.created = true,
        Err(RepositoryError::Rejected(IssuerError::AlreadyExists)) => {
            match issuers.change_display(&meta, DEFAULT_ISSUER, display).await {
                Ok(_) => {}
                Err(RepositoryError::Rejected(IssuerError::Retired)) => {
                    tracing::warn!(
                        "the default issuer was retired; the configuration file is not recorded"
                    );
                    return Ok(applied);
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(error) => return Err(error.into()),
    }
    for table in tables {
        let configuration = serde_json::to_value(table)?;
        let publication = issuers
            .publish_configuration(&meta, DEFAULT_ISSUER, table.id(), configuration)
            .await?;
        if !matches!(
            publication.outcome,
            crate::app::issuers::PublicationOutcome::Unchanged
        ) {
            applied.published.push(table.id().to_string());
        }
    }
    let issuer = issuers.get(DEFAULT_ISSUER).await?;
    let gone: Vec<String> = issuer
        .current_configurations()
        .map(|(id, _)| id.to_string())
        .filter(|id| tables.iter().all(|t| t.id() != id))
        .collect();
    for id in gone {
        issuers
            .retire_configuration(&meta, DEFAULT_ISSUER, &id)
            .await?;
        applied.retired.push(id);
    }
    Ok(applied)
}
