//! The console's server-side sessions: a random 32-byte id in the `console_session` cookie
//! names a session held in memory, which keeps the signed-in key's identity (its name,
//! scopes and issuer restriction: a [`Caller`]) and the session's CSRF token; never the key
//! itself. Sessions end on sign-out, after [`IDLE_TIMEOUT`] without a request, or when
//! [`MAX_SESSIONS`] are open and a newer sign-in needs the room of the longest idle one.
//! Ids are kept as their SHA-256 only, so what the map holds cannot be replayed as a cookie.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::crypto::{random_token, sha256};
use crate::http::management::auth::Caller;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// At most this many sessions are open at once (per node; sessions are not shared).
pub const MAX_SESSIONS: usize = 1000;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "console_session";

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who signed in: the key's name, scopes and issuers.
    pub caller: Caller,
    /// The token every form of this session carries.
    pub csrf: String,
    last_seen: Instant,
}

impl Session {
    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        !presented.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// The open sessions of this node.
#[derive(Debug)]
pub struct ConsoleSessions {
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    idle: Duration,
    capacity: usize,
    secure: bool,
}

impl ConsoleSessions {
    /// Sessions ending after `idle`, at most `capacity` at once; cookies marked `Secure`
    /// when `secure` (the public URL is https).
    pub fn new(idle: Duration, capacity: usize, secure: bool) -> ConsoleSessions {
        ConsoleSessions {
            sessions: Mutex::new(HashMap::new()),
            idle,
            capacity: capacity.max(1),
            secure,
        }
    }

    /// Whether cookies carry `Secure`.
    pub fn secure(&self) -> bool {
        self.secure
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        // A panic while holding the lock leaves only timestamps half-updated: go on.
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a session for `caller`; returns its id (for the cookie only).
    pub fn open(&self, caller: Caller) -> String {
        let id = random_token::<32>();
        let now = Instant::now();
        let mut sessions = self.lock();
        sessions.retain(|_, s| now.duration_since(s.last_seen) < self.idle);
        while sessions.len() >= self.capacity {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(key, _)| *key);
            match oldest {
                Some(key) => sessions.remove(&key),
                None => break,
            };
        }
        sessions.insert(
            sha256(id.as_bytes()).0,
            Session {
                caller,
                csrf: random_token::<32>(),
                last_seen: now,
            },
        );
        id
    }

    /// The live session named `id`, its idle time restarted; an idle one is ended.
    pub fn touch(&self, id: &str) -> Option<Session> {
        let key = sha256(id.as_bytes()).0;
        let now = Instant::now();
        let mut sessions = self.lock();
        let session = sessions.get_mut(&key)?;
        if now.duration_since(session.last_seen) >= self.idle {
            sessions.remove(&key);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Ends the session named `id`, if open.
    pub fn close(&self, id: &str) {
        self.lock().remove(&sha256(id.as_bytes()).0);
    }

    /// How many sessions are held (idle ones included until swept).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a actix_web::http::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Strict`, under `path`, `Secure` if asked;
/// `max_age` `Some(0)` deletes it, `None` makes a browser-session cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<u64>,
    secure: bool,
) -> String {
    let mut text = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::management::auth::{ApiKeys, Scope};

    fn caller() -> Caller {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::http::management::auth::create_key(
            dir.path(),
            "reader",
            &[Scope::OffersRead],
            None,
        )
        .unwrap();
        let keys = ApiKeys::load(&[], None, dir.path()).unwrap();
        Caller::from(keys.authenticate(&key).unwrap())
    }

    #[test]
    fn sessions_open_touch_and_close() {
        let sessions = ConsoleSessions::new(IDLE_TIMEOUT, 10, false);
        let id = sessions.open(caller());
        let session = sessions.touch(&id).expect("open");
        assert_eq!(session.caller.name, "reader");
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches(""));
        assert!(!session.csrf_matches("wrong"));
        assert!(sessions.touch("another id").is_none());
        sessions.close(&id);
        assert!(sessions.touch(&id).is_none());
    }

    #[test]
    fn idle_sessions_end() {
        let sessions = ConsoleSessions::new(Duration::ZERO, 10, false);
        let id = sessions.open(caller());
        assert!(sessions.touch(&id).is_none());
        assert!(sessions.is_empty());
    }

    #[test]
    fn the_longest_idle_session_makes_room() {
        let sessions = ConsoleSessions::new(IDLE_TIMEOUT, 2, false);
        let first = sessions.open(caller());
        std::thread::sleep(Duration::from_millis(2));
        let second = sessions.open(caller());
        std::thread::sleep(Duration::from_millis(2));
        let third = sessions.open(caller());
        assert_eq!(sessions.len(), 2);
        assert!(sessions.touch(&first).is_none());
        assert!(sessions.touch(&second).is_some() && sessions.touch(&third).is_some());
    }

    #[test]
    fn cookies_are_read_and_written_strictly() {
        let mut headers = actix_web::http::header::HeaderMap::new();
        headers.insert(
            actix_web::http::header::COOKIE,
            "a=1; console_session=abc".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "b"), None);
        let text = set_cookie(SESSION_COOKIE, "abc", "/console", None, true);
        assert_eq!(
            text,
            "console_session=abc; Path=/console; HttpOnly; SameSite=Strict; Secure"
        );
    }
}
