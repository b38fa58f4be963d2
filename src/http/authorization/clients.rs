//! Wallet clients: public OAuth clients (RFC 6749 §2.1) identified by `client_id`. Either
//! registered (an allow-list of `client_id` → redirect URIs, matched exactly, RFC 6749
//! §3.1.2.3) or, with open registration, any `client_id` whose redirect URI is of a kind a
//! wallet may use (RFC 8252 §7: https, a private-use URI scheme, or http on a loopback
//! address).

use std::collections::HashMap;

pub use crate::config::client_ids::{check_redirect_uri_syntax, is_client_id};
use crate::config::AuthorizationSettings;

/// Why a client or redirect URI was refused. Never redirected (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The `client_id` is neither registered nor acceptable for open registration.
    #[error("unknown client_id")]
    UnknownClient,
    /// The redirect URI is not one of the client's registered ones.
    #[error("the redirect_uri is not registered for this client")]
    NotRegistered,
    /// The redirect URI is malformed or of a kind no wallet may use.
    #[error("the redirect_uri is not acceptable: {0}")]
    Unacceptable(&'static str),
}

/// The clients the authorization endpoints accept.
#[derive(Debug, Clone, Default)]
pub struct ClientRegistry {
    registered: HashMap<String, Vec<String>>,
    open_registration: bool,
}

impl ClientRegistry {
    /// The registry configured in `[authorization]`.
    pub fn new(settings: &AuthorizationSettings) -> ClientRegistry {
        ClientRegistry {
            registered: settings
                .clients
                .iter()
                .map(|c| (c.client_id.clone(), c.redirect_uris.clone()))
                .collect(),
            open_registration: settings.open_registration,
        }
    }

    /// Whether `client_id` may use the authorization endpoints at all.
    pub fn is_known(&self, client_id: &str) -> bool {
        self.registered.contains_key(client_id)
            || (self.open_registration && is_client_id(client_id))
    }

    /// Checks that `client_id` may receive authorization responses at `redirect_uri`.
    /// A registered client is held to its registered URIs even under open registration.
    pub fn check(&self, client_id: &str, redirect_uri: &str) -> Result<(), ClientError> {
        if let Some(uris) = self.registered.get(client_id) {
            return if uris.iter().any(|u| u == redirect_uri) {
                Ok(())
            } else {
                Err(ClientError::NotRegistered)
            };
        }
        if !self.is_known(client_id) {
            return Err(ClientError::UnknownClient);
        }
        check_redirect_uri_syntax(redirect_uri).map_err(ClientError::Unacceptable)?;
        open_registration_allows(redirect_uri).map_err(ClientError::Unacceptable)
    }
}

/// RFC 8252 §7: what an unregistered wallet may use.
fn open_registration_allows(uri: &str) -> Result<(), &'static str> {
    let parsed = url::Url::parse(uri).map_err(|_| "not an absolute URI")?;
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "https" => Err("an https redirect URI needs a host"),
        // §7.3: loopback interface redirection, by IP literal (§8.3: not `localhost`).
        "http" => match parsed.host() {
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
            _ => Err("http redirect URIs are allowed only on a loopback IP address"),
        },
        // §7.1: a private-use URI scheme of the wallet app.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn registry(open: bool) -> ClientRegistry {
        ClientRegistry::new(&AuthorizationSettings {
            clients: vec![ClientConfig {
                client_id: "registered".into(),
                redirect_uris: vec!["https://wallet.example/cb?x=1".into()],
            }],
            open_registration: open,
            ..AuthorizationSettings::default()
        })
    }

    #[test]
    fn registered_clients_match_their_redirect_uris_exactly() {
        for open in [false, true] {
            let clients = registry(open);
            assert_eq!(
                clients.check("registered", "https://wallet.example/cb?x=1"),
                Ok(())
            );
            for other in [
                "https://wallet.example/cb",
                "https://wallet.example/cb?x=1&y=2",
                "https://WALLET.example/cb?x=1",
                "https://attacker.example/cb",
            ] {
                assert_eq!(
                    clients.check("registered", other),
                    Err(ClientError::NotRegistered),
                    "{other}"
                );
            }
        }
    }

    #[test]
    fn without_open_registration_unknown_clients_are_refused() {
        let clients = registry(false);
        assert!(!clients.is_known("someone"));
        assert_eq!(
            clients.check("someone", "https://wallet.example/cb"),
            Err(ClientError::UnknownClient)
        );
    }

    #[test]
    fn open_registration_accepts_wallet_redirect_uris_only() {
        let clients = registry(true);
        for good in [
            "https://wallet.example/cb",
            "eu.europa.ec.eudi.wallet://authorize",
            "openid-credential-offer-wallet:/cb",
            "http://127.0.0.1:7777/cb",
            "http://[::1]/cb",
        ] {
            assert_eq!(clients.check("any-wallet", good), Ok(()), "{good}");
        }
        for bad in [
            "http://wallet.example/cb",
            "http://localhost/cb",
            "https://wallet.example/cb#frag",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "/relative",
        ] {
            assert!(
                matches!(
                    clients.check("any-wallet", bad),
                    Err(ClientError::Unacceptable(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            clients.check("has space", "https://wallet.example/cb"),
            Err(ClientError::UnknownClient)
        );
    }
}
