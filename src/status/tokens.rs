//! Signed Status List Tokens (JWT and CWT) per list, cached: a change marks its list
//! dirty and one task re-encodes and re-signs dirty lists at most every
//! [`RESIGN_INTERVAL`] (a burst of revocations costs one encoding), and re-signs a token
//! well before its `exp`. Historical tokens (`?time=`) are signed on demand.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use issuance_credential::status_list::{
    sign_status_list_cwt, sign_status_list_jwt, StatusList, StatusListError,
};
use issuance_credential::status_list::{EncodedStatusList, StatusListTokenInput};
use issuance_credential::IssuerKeys;
use issuance_domain::status_list::StatusListState;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use uuid::Uuid;

use super::allocator::StatusAllocator;
use super::registry::StatusRegistry;
use crate::clock::Clock;
use crate::config::StatusListSettings;

/// How often dirty lists are re-signed (the issue asks for changes within 1 s).
pub const RESIGN_INTERVAL: Duration = Duration::from_millis(500);

/// One signed list, in both forms.
#[derive(Debug, Clone)]
pub struct SignedList {
    /// The compact JWT.
    pub jwt: String,
    /// The tagged COSE_Sign1 CWT.
    pub cwt: Vec<u8>,
    /// Strong validators (hashes of the tokens).
    pub jwt_etag: String,
    /// See `jwt_etag`.
    pub cwt_etag: String,
    /// `iat`.
    pub issued_at: i64,
    /// `exp`.
    pub expires_at: i64,
    /// The registry's change counter the tokens reflect.
    changes: u64,
}

impl SignedList {
    /// Seconds a client may cache it at `now`: `ttl`, and never past `exp`.
    pub fn max_age(&self, ttl: u64, now: i64) -> u64 {
        let left = u64::try_from(self.expires_at - now).unwrap_or(0);
        ttl.min(left)
    }
}

/// Signs and caches status list tokens.
pub struct StatusTokens {
    settings: StatusListSettings,
    issuer_url: String,
    keys: Arc<IssuerKeys>,
    registry: Arc<StatusRegistry>,
    clock: Arc<dyn Clock>,
    current: RwLock<HashMap<Uuid, Arc<SignedList>>>,
}

impl StatusTokens {
    /// Tokens of the lists in `registry`, signed with the active key of `keys`.
    pub fn new(
        settings: StatusListSettings,
        issuer_url: &str,
        keys: Arc<IssuerKeys>,
        registry: Arc<StatusRegistry>,
        clock: Arc<dyn Clock>,
    ) -> StatusTokens {
        StatusTokens {
            settings,
            issuer_url: issuer_url.to_string(),
            keys,
            registry,
            clock,
            current: RwLock::new(HashMap::new()),
        }
    }

    fn cached(&self, list_id: Uuid) -> Option<Arc<SignedList>> {
        let cache = self.current.read().unwrap_or_else(|p| p.into_inner());
        cache.get(&list_id).cloned()
    }

    /// The current tokens of a list (signed now if none are cached or they are due);
    /// `None` for a list the registry does not know.
    pub fn current(&self, list_id: Uuid) -> Result<Option<Arc<SignedList>>, StatusListError> {
        let now = self.clock.now().timestamp();
        match self.cached(list_id) {
            Some(signed) if !self.due(&signed, now) => Ok(Some(signed)),
            _ => self.sign_current(list_id),
        }
    }

    /// Whether a cached token must be signed again regardless of changes: it is past half
    /// its life.
    fn due(&self, signed: &SignedList, now: i64) -> bool {
        let lifetime = signed.expires_at - signed.issued_at;
        now >= signed.issued_at + lifetime / 2
    }

    /// Signs the list's current state and caches it.
    fn sign_current(&self, list_id: Uuid) -> Result<Option<Arc<SignedList>>, StatusListError> {
        let Some(info) = self.registry.list(list_id) else {
            return Ok(None);
        };
        // The bits under the registry's lock (quick); compression, which takes milliseconds
        // for a list with many entries set, outside it.
        let Some(list) = self.registry.with_state(list_id, StatusList::from_state) else {
            return Ok(None);
        };
        let encoded = list?.encode()?;
        let now = self.clock.now().timestamp();
        let lifetime = i64::try_from(self.settings.token_lifetime).unwrap_or(86_400);
        let signed = Arc::new(self.sign(list_id, &encoded, now, now + lifetime, info.changes)?);
        let mut cache = self.current.write().unwrap_or_else(|p| p.into_inner());
        // A slower signer never replaces a newer token.
        match cache.get(&list_id) {
            Some(newer) if newer.changes > signed.changes => Ok(Some(newer.clone())),
            _ => {
                cache.insert(list_id, signed.clone());
                Ok(Some(signed))
            }
        }
    }

    /// The list as it was at `at`: `None` if unknown or not opened yet then. `iat` is when
    /// that state began, `exp` when it ended (or a token lifetime from now while it holds).
    pub fn historical(
        &self,
        list_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<SignedList>, StatusListError> {
        let Some(history) = self.registry.as_of(list_id, at) else {
            return Ok(None);
        };
        let encoded = encode(&history.state)?;
        let issued_at = history.valid_from.timestamp();
        let lifetime = i64::try_from(self.settings.token_lifetime).unwrap_or(86_400);
        let expires_at = history
            .valid_until
            .map_or(self.clock.now().timestamp() + lifetime, |until| {
                until.timestamp()
            })
            .max(issued_at + 1);
        self.sign(list_id, &encoded, issued_at, expires_at, 0)
            .map(Some)
    }

    fn sign(
        &self,
        list_id: Uuid,
        encoded: &EncodedStatusList,
        issued_at: i64,
        expires_at: i64,
        changes: u64,
    ) -> Result<SignedList, StatusListError> {
        let uri = StatusAllocator::uri(&self.issuer_url, list_id);
        let input = StatusListTokenInput {
            uri: &uri,
            issuer: None,
            issued_at,
            expires_at: Some(expires_at),
            ttl: Some(self.settings.ttl),
            list: encoded,
        };
        let key = self.keys.active();
        let jwt = sign_status_list_jwt(key, &input)?;
        let cwt = sign_status_list_cwt(key, &input)?;
        Ok(SignedList {
            jwt_etag: etag(jwt.as_bytes()),
            cwt_etag: etag(&cwt),
            jwt,
            cwt,
            issued_at,
            expires_at,
            changes,
        })
    }

    /// Re-signs changed lists every [`RESIGN_INTERVAL`], and lists whose tokens are due,
    /// until `shutdown`.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            let now = self.clock.now().timestamp();
            for info in self.registry.lists() {
                let stale = match self.cached(info.list_id) {
                    Some(signed) => signed.changes < info.changes || self.due(&signed, now),
                    // Never served yet: signed on its first request.
                    None => false,
                };
                if stale {
                    // Compression and signing are CPU work: off the async workers.
                    let (tokens, list_id) = (self.clone(), info.list_id);
                    let signed =
                        tokio::task::spawn_blocking(move || tokens.sign_current(list_id)).await;
                    match signed {
                        Ok(Err(error)) => {
                            tracing::error!(%error, %list_id, "cannot sign a status list");
                        }
                        Err(error) => tracing::error!(%error, "status list signer failed"),
                        Ok(Ok(_)) => {}
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(RESIGN_INTERVAL) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }
}

fn encode(state: &StatusListState) -> Result<EncodedStatusList, StatusListError> {
    StatusList::from_state(state)?.encode()
}

/// A strong ETag: the first 16 bytes of the token's SHA-256, hex, quoted.
fn etag(token: &[u8]) -> String {
    let digest = Sha256::digest(token);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}
