//! `decide(issuer, command)`: every rule of the Issuer aggregate.
//!
//! Only `Create` works on an issuer that does not exist (and only there); every other
//! command needs a live one: `NotFound` before it exists, `Retired` after `IssuerRetired`.
//! Commands that would change nothing (the same display, activating the active key, the
//! same chain, a configuration equal to its current version, the same profile) succeed without events, so a
//! retried request does not grow the log or the audit trail.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::command::*;
use super::error::IssuerError;
use super::event::*;
use super::key::{check_certificate_chain, check_kid, check_public_jwk};
use super::state::{Issuer, KeyStatus, SigningKeyState};
use super::IssuerId;
use crate::configuration_table::ConfigurationTable;

/// Who asks and when: copied into every event.
struct Change {
    actor: String,
    at: DateTime<Utc>,
}

/// Decides which events a command produces against the current state.
pub fn decide(issuer: &Issuer, command: IssuerCommand) -> Result<Vec<IssuerEvent>, IssuerError> {
    let IssuerCommand { actor, at, action } = command;
    let change = Change { actor, at };
    if let IssuerAction::Create(c) = action {
        return create(issuer, c, change);
    }
    if !issuer.exists() {
        return Err(IssuerError::NotFound);
    }
    if issuer.is_retired() {
        return Err(IssuerError::Retired);
    }
    match action {
        // Answered above, whether the issuer exists or not.
        IssuerAction::Create(_) => Err(IssuerError::AlreadyExists),
        IssuerAction::ChangeDisplay(c) => change_display(issuer, c, change),
        IssuerAction::GenerateSigningKey(c) => {
            add_key(issuer, c, change).map(|e| vec![IssuerEvent::SigningKeyGenerated(e)])
        }
        IssuerAction::ImportSigningKey(c) => {
            add_key(issuer, c, change).map(|e| vec![IssuerEvent::SigningKeyImported(e)])
        }
        IssuerAction::ActivateSigningKey(c) => activate_key(issuer, c, change),
        IssuerAction::RetireSigningKey(c) => retire_key(issuer, c, change),
        IssuerAction::SetCertificateChain(c) => set_chain(issuer, c, change),
        IssuerAction::PublishConfiguration(c) => publish(issuer, c, change),
        IssuerAction::RetireConfiguration(c) => retire_configuration(issuer, c, change),
        IssuerAction::SetProfile(c) => set_profile(issuer, c, change),
        IssuerAction::Retire => Ok(vec![IssuerEvent::IssuerRetired(IssuerRetired {
            actor: change.actor,
            at: change.at,
        })]),
    }
}

/// Ids an issuer cannot have: an issuer is served under `{public_url}/{id}`, beside the
/// default issuer's own endpoints.
pub const RESERVED_IDS: &[&str] = &[
    "authorize",
    "challenge",
    "credential",
    "credential-offers",
    "nonce",
    "notification",
    "par",
    "status-lists",
    "token",
];

fn create(
    issuer: &Issuer,
    command: CreateIssuer,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    if issuer.exists() {
        return Err(IssuerError::AlreadyExists);
    }
    let issuer_id = IssuerId::parse(&command.issuer_id)?;
    if RESERVED_IDS.contains(&issuer_id.as_str()) {
        return Err(IssuerError::InvalidId(format!(
            "`{issuer_id}` is reserved: it names an endpoint of the default issuer"
        )));
    }
    check_display(&command.display)?;
    Ok(vec![IssuerEvent::IssuerCreated(IssuerCreated {
        issuer_id,
        display: command.display,
        actor: change.actor,
        at: change.at,
    })])
}

/// Names are not blank, locales are tags and appear once (no locale counts as one), logos
/// are absolute URIs.
fn check_display(display: &[IssuerDisplay]) -> Result<(), IssuerError> {
    let invalid = |i: usize, problem: &str| {
        Err(IssuerError::InvalidDisplay(format!(
            "display[{i}]: {problem}"
        )))
    };
    let mut locales = BTreeSet::new();
    for (i, entry) in display.iter().enumerate() {
        if entry.name.trim().is_empty() {
            return invalid(i, "the name must not be empty");
        }
        if let Some(locale) = &entry.locale {
            if locale.is_empty()
                || !locale
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return invalid(i, "the locale must be a BCP 47 language tag");
            }
        }
        if !locales.insert(entry.locale.as_deref().map(str::to_ascii_lowercase)) {
            return invalid(i, "a second entry for the same locale");
        }
        if let Some(logo) = &entry.logo {
            if url::Url::parse(&logo.uri).is_err() {
                return invalid(i, "the logo's uri must be an absolute URI");
            }
        }
    }
    Ok(())
}

fn change_display(
    issuer: &Issuer,
    command: ChangeDisplay,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    check_display(&command.display)?;
    if command.display == issuer.display {
        return Ok(vec![]);
    }
    Ok(vec![IssuerEvent::IssuerDisplayChanged(
        IssuerDisplayChanged {
            display: command.display,
            actor: change.actor,
            at: change.at,
        },
    )])
}

fn add_key(
    issuer: &Issuer,
    command: AddSigningKey,
    change: Change,
) -> Result<SigningKeyAdded, IssuerError> {
    check_kid(&command.kid).map_err(IssuerError::InvalidKey)?;
    if issuer.keys.contains_key(&command.kid) {
        return Err(IssuerError::DuplicateKid(command.kid));
    }
    check_public_jwk(&command.kid, command.alg, &command.public_jwk)
        .map_err(IssuerError::InvalidKey)?;
    if command.key_ref.trim().is_empty() {
        return Err(IssuerError::InvalidKey(
            "the key reference must not be empty".into(),
        ));
    }
    if let Some(chain) = &command.certificate_chain {
        check_certificate_chain(chain).map_err(IssuerError::InvalidCertificateChain)?;
    }
    Ok(SigningKeyAdded {
        kid: command.kid,
        alg: command.alg,
        public_jwk: command.public_jwk,
        certificate_chain: command.certificate_chain,
        key_ref: command.key_ref,
        actor: change.actor,
        at: change.at,
    })
}

/// The key with this kid, unless unknown or retired.
fn usable_key<'a>(issuer: &'a Issuer, kid: &str) -> Result<&'a SigningKeyState, IssuerError> {
    let key = issuer
        .key(kid)
        .ok_or_else(|| IssuerError::UnknownKid(kid.into()))?;
    if key.is_retired() {
        return Err(IssuerError::KeyRetired(kid.into()));
    }
    Ok(key)
}

fn activate_key(
    issuer: &Issuer,
    command: ActivateSigningKey,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    let key = usable_key(issuer, &command.kid)?;
    if key.status == KeyStatus::Active {
        return Ok(vec![]);
    }
    if issuer.profile == IssuerProfile::Haip && key.certificate_chain.is_none() {
        return Err(IssuerError::CertificateChainRequired(command.kid));
    }
    Ok(vec![IssuerEvent::SigningKeyActivated(
        SigningKeyActivated {
            kid: command.kid,
            actor: change.actor,
            at: change.at,
        },
    )])
}

/// `haip` needs the active key's chain (an issuer without an active key may follow it: the
/// key activated later must have one).
fn set_profile(
    issuer: &Issuer,
    command: SetProfile,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    if issuer.profile == command.profile {
        return Ok(vec![]);
    }
    if command.profile == IssuerProfile::Haip {
        if let Some(key) = issuer
            .active_key()
            .filter(|key| key.certificate_chain.is_none())
        {
            return Err(IssuerError::CertificateChainRequired(key.kid.clone()));
        }
    }
    Ok(vec![IssuerEvent::ProfileSet(ProfileSet {
        profile: command.profile,
        actor: change.actor,
        at: change.at,
    })])
}

fn retire_key(
    issuer: &Issuer,
    command: RetireSigningKey,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    if usable_key(issuer, &command.kid)?.status == KeyStatus::Active {
        return Err(IssuerError::CannotRetireActiveKey(command.kid));
    }
    Ok(vec![IssuerEvent::SigningKeyRetired(SigningKeyRetired {
        kid: command.kid,
        published_until: command.published_until,
        actor: change.actor,
        at: change.at,
    })])
}

fn set_chain(
    issuer: &Issuer,
    command: SetCertificateChain,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    let key = usable_key(issuer, &command.kid)?;
    check_certificate_chain(&command.chain).map_err(IssuerError::InvalidCertificateChain)?;
    if key.certificate_chain.as_ref() == Some(&command.chain) {
        return Ok(vec![]);
    }
    Ok(vec![IssuerEvent::CertificateChainSet(
        CertificateChainSet {
            kid: command.kid,
            chain: command.chain,
            actor: change.actor,
            at: change.at,
        },
    )])
}

fn publish(
    issuer: &Issuer,
    command: PublishConfiguration,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    let id = command.configuration_id;
    let history = issuer.configurations.get(&id);
    if history.is_some_and(|h| h.is_retired()) {
        return Err(IssuerError::ConfigurationRetired(id));
    }
    // Scopes are unique among the configurations offered now.
    let scopes_in_use: BTreeSet<String> = issuer
        .current_configurations()
        .filter(|(other, _)| *other != id)
        .filter_map(|(_, current)| current.scope().map(str::to_string))
        .collect();
    let (table, _) = ConfigurationTable::from_json(&id, &command.configuration, &scopes_in_use)
        .map_err(|details| IssuerError::ConfigurationInvalid {
            configuration_id: id.clone(),
            details,
        })?;
    let configuration = table.to_json();
    let latest = history.and_then(|h| h.latest());
    if latest.is_some_and(|current| current.configuration == configuration) {
        return Ok(vec![]);
    }
    Ok(vec![IssuerEvent::ConfigurationPublished(
        ConfigurationPublished {
            configuration_id: id,
            version: latest.map_or(1, |current| current.version + 1),
            configuration,
            actor: change.actor,
            at: change.at,
        },
    )])
}

fn retire_configuration(
    issuer: &Issuer,
    command: RetireConfiguration,
    change: Change,
) -> Result<Vec<IssuerEvent>, IssuerError> {
    let history = issuer
        .configurations
        .get(&command.configuration_id)
        .ok_or_else(|| IssuerError::UnknownConfiguration(command.configuration_id.clone()))?;
    if history.is_retired() {
        return Err(IssuerError::ConfigurationRetired(command.configuration_id));
    }
    Ok(vec![IssuerEvent::ConfigurationRetired(
        ConfigurationRetired {
            configuration_id: command.configuration_id,
            actor: change.actor,
            at: change.at,
        },
    )])
}
