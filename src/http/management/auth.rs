//! Bearer API keys with scopes. Keys are stored and configured as SHA-256 hashes only and
//! compared in constant time; the key's name is the actor of every event it causes. The
//! [`Caller`] is extracted from each request in [`authenticate`](super::authenticate).

use std::path::Path;
use std::sync::Arc;

use actix_web::http::StatusCode;
use subtle::ConstantTimeEq;

use super::error::ApiError;
pub use crate::config::api_keys::{check_key_name, Scope, RESERVED_NAMES};
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
            });
        }
        for entry in read_key_file(data_dir)? {
            if let Some(key) = parse_config(&entry) {
                keys.push(key);
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

/// Creates a new key, stores its hash in the data directory's key file and returns the key
/// (to be shown once).
pub fn create_key(data_dir: &Path, name: &str, scopes: &[Scope]) -> std::io::Result<String> {
    let key = format!("isk_{}", random_token::<32>());
    let mut entries = read_key_file(data_dir)?;
    let taken: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    check_key_name(name, &taken)
        .map_err(|problem| std::io::Error::new(std::io::ErrorKind::AlreadyExists, problem))?;
    entries.push(ApiKeyConfig {
        name: name.to_string(),
        sha256: sha256(key.as_bytes())
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        scopes: scopes.iter().map(|s| s.name().to_string()).collect(),
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
}

impl Caller {
    /// Fails with 403 unless the key has `scope` (or `admin`).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("the API key lacks the `{}` scope", scope.name()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_keys_authenticate_with_their_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let key = create_key(dir.path(), "backend", &[Scope::OffersWrite]).unwrap();
        let keys = ApiKeys::load(&[], None, dir.path()).unwrap();
        let found = keys.authenticate(&key).unwrap();
        assert_eq!(found.name, "backend");
        assert_eq!(found.scopes, vec![Scope::OffersWrite]);
        assert!(keys.authenticate("isk_wrong").is_none());
        assert!(create_key(dir.path(), "backend", &[]).is_err());
    }

    #[test]
    fn admin_implies_every_scope() {
        let caller = Caller {
            name: "a".into(),
            scopes: vec![Scope::Admin],
        };
        assert!(caller.require(Scope::AuditRead).is_ok());
        let reader = Caller {
            name: "r".into(),
            scopes: vec![Scope::OffersRead],
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
            };
            assert!(admin.require(scope).is_ok());
        }
        let writer = Caller {
            name: "w".into(),
            scopes: vec![Scope::IssuersWrite],
        };
        assert!(writer.require(Scope::IssuersWrite).is_ok());
        assert!(writer.require(Scope::IssuersRead).is_err());
        assert!(writer.require(Scope::OffersWrite).is_err());
    }
}
