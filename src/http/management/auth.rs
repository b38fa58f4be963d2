//! Bearer API keys with scopes. Keys are stored and configured as SHA-256 hashes only and
//! compared in constant time; the key's name is the actor of every event it causes. A key
//! may be restricted to issuers: it then sees only their issuers, configurations, keys,
//! offers and audit entries, and anything else answers 404 exactly as if it did not exist
//! (a 403 would tell that it does). The [`Caller`] is extracted from each request in
//! [`authenticate`](super::authenticate).

use std::path::Path;
use std::sync::Arc;

use actix_web::http::StatusCode;
use subtle::ConstantTimeEq;

use issuance_domain::issuer::IssuerError;

use super::error::ApiError;
use crate::app::issuers::DEFAULT_ISSUER;
pub use crate::config::api_keys::{check_key_issuers, check_key_name, Scope, RESERVED_NAMES};
use crate::config::ApiKeyConfig;
use crate::crypto::{random_token, sha256};

/// A known key.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// Its name (the actor).
    pub name: String,
    hash: [u8; 32],
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// The issuers it is restricted to (`None`: every issuer).
    pub issuers: Option<Vec<String>>,
}

/// Every known key.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys(Arc<Vec<ApiKey>>);

/// Where generated keys' hashes are kept.
pub const KEY_FILE: &str = "api-keys.json";

impl ApiKeys {
    /// Builds the key set from configuration, the bootstrap admin key and the data
    /// directory's key file.
    pub fn load(
        configured: &[ApiKeyConfig],
        admin_key: Option<&str>,
        data_dir: &Path,
    ) -> std::io::Result<ApiKeys> {
        let mut keys: Vec<ApiKey> = configured.iter().filter_map(parse_config).collect();
        if let Some(admin) = admin_key {
            keys.push(ApiKey {
                name: "admin".into(),
                hash: sha256(admin.as_bytes()).0,
                scopes: vec![Scope::Admin],
                issuers: None,
            });
        }
        for entry in read_key_file(data_dir)? {
            if let Some(key) = parse_config(&entry) {
                keys.push(key);
            }
        }
        // A key sees no issuer's data by mistake: a list the configuration check would
        // refuse (the key file is not checked with the configuration) fails the start.
        for key in &keys {
            if let Some(issuers) = &key.issuers {
                check_key_issuers(issuers, key.scopes.contains(&Scope::Admin)).map_err(
                    |problem| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("API key `{}`: {problem}", key.name),
                        )
                    },
                )?;
            }
        }
        // Names are actors in the audit trail: each must say who acted, and only once.
        let mut taken: Vec<&str> = Vec::new();
        for key in &keys {
            check_key_name(&key.name, &taken).map_err(|problem| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("API key names (configuration, admin_key and {KEY_FILE}): {problem}"),
                )
            })?;
            taken.push(&key.name);
        }
        Ok(ApiKeys(Arc::new(keys)))
    }

    /// Whether no key exists.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key matching `presented`, compared in constant time against every key.
    pub fn authenticate(&self, presented: &str) -> Option<&ApiKey> {
        let hash = sha256(presented.as_bytes()).0;
        let mut found = None;
        for key in self.0.iter() {
            if bool::from(key.hash.ct_eq(&hash)) {
                found = Some(key);
            }
        }
        found
    }
}

fn parse_config(entry: &ApiKeyConfig) -> Option<ApiKey> {
    let mut hash = [0u8; 32];
    for (i, chunk) in entry.sha256.as_bytes().chunks(2).enumerate() {
        let text = std::str::from_utf8(chunk).ok()?;
        *hash.get_mut(i)? = u8::from_str_radix(text, 16).ok()?;
    }
    Some(ApiKey {
        name: entry.name.clone(),
        hash,
        scopes: entry
            .scopes
            .iter()
            .filter_map(|s| Scope::parse(s))
            .collect(),
        issuers: entry.issuers.clone(),
    })
}

fn read_key_file(data_dir: &Path) -> std::io::Result<Vec<ApiKeyConfig>> {
    match std::fs::read_to_string(data_dir.join(KEY_FILE)) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{KEY_FILE}: {e}"))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Creates a new key (restricted to `issuers` if given), stores its hash in the data
/// directory's key file and returns the key (to be shown once).
pub fn create_key(
    data_dir: &Path,
    name: &str,
    scopes: &[Scope],
    issuers: Option<&[String]>,
) -> std::io::Result<String> {
    let key = format!("isk_{}", random_token::<32>());
    let mut entries = read_key_file(data_dir)?;
    let taken: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    check_key_name(name, &taken)
        .map_err(|problem| std::io::Error::new(std::io::ErrorKind::AlreadyExists, problem))?;
    if let Some(issuers) = issuers {
        check_key_issuers(issuers, scopes.contains(&Scope::Admin))
            .map_err(|problem| std::io::Error::new(std::io::ErrorKind::InvalidInput, problem))?;
    }
    entries.push(ApiKeyConfig {
        name: name.to_string(),
        sha256: sha256(key.as_bytes())
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        scopes: scopes.iter().map(|s| s.name().to_string()).collect(),
        issuers: issuers.map(<[String]>::to_vec),
    });
    crate::data_dir::private_files::create_dir(data_dir)?;
    let path = data_dir.join(KEY_FILE);
    let temporary = data_dir.join(format!("{KEY_FILE}.tmp"));
    let _ = std::fs::remove_file(&temporary);
    crate::crypto::server_secret::write_private_file(
        &temporary,
        &serde_json::to_string_pretty(&entries)?,
    )?;
    std::fs::rename(temporary, path)?;
    Ok(key)
}

/// The authenticated caller of a management request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's name.
    pub name: String,
    pub(super) scopes: Vec<Scope>,
    /// The issuers the key is restricted to (`None`: every issuer).
    pub(super) issuers: Option<Vec<String>>,
}

impl From<&ApiKey> for Caller {
    /// The caller a request presenting `key` acts as (the API's bearer keys and the
    /// console's sessions alike).
    fn from(key: &ApiKey) -> Self {
        Caller {
            name: key.name.clone(),
            scopes: key.scopes.clone(),
            issuers: key.issuers.clone(),
        }
    }
}

impl Caller {
    /// Whether the key has `scope` (or `admin`): what [`Caller::require`] checks, for
    /// showing only the actions a key may take.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// Fails with 403 unless the key has `scope` (or `admin`).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("the API key lacks the `{}` scope", scope.name()),
            ))
        }
    }

    /// The issuers the key is restricted to; `None` if it sees every issuer.
    pub fn issuers(&self) -> Option<&[String]> {
        self.issuers.as_deref()
    }

    /// Whether the key sees issuer `issuer_id` (`None`: the default issuer, as offers of
    /// the default issuer record it).
    pub fn sees_issuer(&self, issuer_id: Option<&str>) -> bool {
        let id = issuer_id.unwrap_or(DEFAULT_ISSUER);
        self.issuers
            .as_ref()
            .is_none_or(|issuers| issuers.iter().any(|seen| seen == id))
    }

    /// The issuers a listing may show: `requested` (a query's `issuer_id`) if the key sees
    /// it, none if it does not, else the key's issuers; `None`: every issuer.
    pub fn issuer_filter(&self, requested: Option<String>) -> Option<Vec<String>> {
        match requested {
            Some(id) if self.sees_issuer(Some(&id)) => Some(vec![id]),
            Some(_) => Some(Vec::new()),
            None => self.issuers.clone(),
        }
    }

    /// Fails with the very 404 of an unknown issuer unless the key sees issuer `issuer_id`.
    pub fn require_issuer(&self, issuer_id: &str) -> Result<(), ApiError> {
        match self.sees_issuer(Some(issuer_id)) {
            true => Ok(()),
            false => Err(IssuerError::NotFound.into()),
        }
    }

    /// Fails with 403 unless the key sees every issuer: for what spans all of them (the
    /// whole audit chain). Answered alike whatever exists, so it reveals nothing.
    pub fn require_every_issuer(&self, what: &str) -> Result<(), ApiError> {
        match self.issuers {
            None => Ok(()),
            Some(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("the API key is restricted to issuers; {what} needs a key that sees every issuer"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_keys_authenticate_with_their_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let key = create_key(dir.path(), "backend", &[Scope::OffersWrite], None).unwrap();
        let keys = ApiKeys::load(&[], None, dir.path()).unwrap();
        let found = keys.authenticate(&key).unwrap();
        assert_eq!(found.name, "backend");
        assert_eq!(found.scopes, vec![Scope::OffersWrite]);
        assert!(keys.authenticate("isk_wrong").is_none());
        assert!(create_key(dir.path(), "backend", &[], None).is_err());
    }

    #[test]
    fn admin_implies_every_scope() {
        let caller = Caller {
            name: "a".into(),
            scopes: vec![Scope::Admin],
            issuers: None,
        };
        assert!(caller.require(Scope::AuditRead).is_ok());
        let reader = Caller {
            name: "r".into(),
            scopes: vec![Scope::OffersRead],
            issuers: None,
        };
        assert!(reader.require(Scope::OffersWrite).is_err());
    }

    #[test]
    fn issuer_scopes_are_named_and_implied_by_admin() {
        for scope in [Scope::IssuersRead, Scope::IssuersWrite] {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
            assert!(Scope::NAMES.contains(&scope.name()));
            let admin = Caller {
                name: "a".into(),
                scopes: vec![Scope::Admin],
                issuers: None,
            };
            assert!(admin.require(scope).is_ok());
        }
        let writer = Caller {
            name: "w".into(),
            scopes: vec![Scope::IssuersWrite],
            issuers: None,
        };
        assert!(writer.require(Scope::IssuersWrite).is_ok());
        assert!(writer.require(Scope::IssuersRead).is_err());
        assert!(writer.require(Scope::OffersWrite).is_err());
    }

    #[test]
    fn a_restricted_key_sees_its_issuers_and_others_answer_as_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let issuers = vec!["acme".to_string(), "default".to_string()];
        let key = create_key(dir.path(), "acme", &[Scope::OffersRead], Some(&issuers)).unwrap();
        let keys = ApiKeys::load(&[], None, dir.path()).unwrap();
        let found = keys.authenticate(&key).unwrap();
        assert_eq!(found.issuers.as_ref(), Some(&issuers));
        let caller = Caller {
            name: found.name.clone(),
            scopes: found.scopes.clone(),
            issuers: found.issuers.clone(),
        };
        assert!(caller.sees_issuer(Some("acme")));
        assert!(caller.sees_issuer(None), "no issuer id: the default issuer");
        assert!(!caller.sees_issuer(Some("globex")));
        assert!(caller.require_issuer("default").is_ok());
        let hidden = serde_json::to_value(caller.require_issuer("globex").unwrap_err()).unwrap();
        let unknown = serde_json::to_value(ApiError::from(IssuerError::NotFound)).unwrap();
        assert_eq!(
            hidden, unknown,
            "the same answer as an issuer that does not exist"
        );
        assert_eq!(
            caller.require_every_issuer("this").unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(caller.issuer_filter(None), Some(issuers));
        assert_eq!(
            caller.issuer_filter(Some("acme".into())),
            Some(vec!["acme".into()])
        );
        assert_eq!(
            caller.issuer_filter(Some("globex".into())),
            Some(Vec::new())
        );

        let everyone = Caller {
            name: "all".into(),
            scopes: vec![Scope::OffersRead],
            issuers: None,
        };
        assert!(everyone.sees_issuer(Some("globex")) && everyone.require_every_issuer("x").is_ok());
        assert_eq!(everyone.issuer_filter(None), None);
        assert_eq!(
            everyone.issuer_filter(Some("globex".into())),
            Some(vec!["globex".into()])
        );
    }

    #[test]
    fn issuer_lists_that_are_empty_invalid_or_on_an_admin_key_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bad = |issuers: &[&str], scope: Scope| {
            let issuers: Vec<String> = issuers.iter().map(|i| i.to_string()).collect();
            create_key(dir.path(), "k", &[scope], Some(&issuers)).unwrap_err()
        };
        assert!(bad(&[], Scope::OffersRead)
            .to_string()
            .contains("at least one"));
        assert!(bad(&["ACME"], Scope::OffersRead)
            .to_string()
            .contains("invalid issuer id"));
        assert!(bad(&["acme"], Scope::Admin).to_string().contains("admin"));
        // A key file edited by hand is checked at load too.
        let entry = ApiKeyConfig {
            name: "edited".into(),
            sha256: "00".repeat(32),
            scopes: vec!["offers:read".into()],
            issuers: Some(vec!["Not An Id".into()]),
        };
        let text = serde_json::to_string(&[entry]).unwrap();
        std::fs::write(dir.path().join(KEY_FILE), text).unwrap();
        let refused = ApiKeys::load(&[], None, dir.path()).unwrap_err();
        assert!(refused.to_string().contains("`edited`"), "{refused}");
    }
}
