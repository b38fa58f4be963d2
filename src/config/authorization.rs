//! `[authorization]`: the authorization-code flow (OID4VCI 1.0 §5; HAIP §4; FAPI 2.0
//! §5.3.2): the institution's login page, PAR, lifetimes, wallet clients, DPoP.

use serde::{Deserialize, Serialize};

use super::client_ids::{check_redirect_uri_syntax, is_client_id};

/// Whether DPoP (RFC 9449) sender-constrains access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DpopMode {
    /// DPoP headers are ignored; every token is a bearer token.
    #[default]
    Disabled,
    /// A token request with a DPoP proof gets a DPoP-bound token; one without gets a
    /// bearer token.
    Allowed,
    /// Every token request needs a DPoP proof (HAIP §4.3.2).
    Required,
}

impl DpopMode {
    /// Whether DPoP proofs are read at all.
    pub fn enabled(self) -> bool {
        self != DpopMode::Disabled
    }
}

/// A registered wallet (public client, RFC 6749 §2.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Its `client_id`.
    pub client_id: String,
    /// Its redirect URIs, compared by exact string match (RFC 6749 §3.1.2.3, FAPI 2.0).
    pub redirect_uris: Vec<String>,
}

/// The authorization-code flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorizationSettings {
    /// The institution's login page. The flow is enabled (and advertised) only when set:
    /// `/authorize` redirects the browser there with a `login_challenge` query parameter.
    pub login_url: Option<String>,
    /// Refuse authorization requests that were not pushed (RFC 9126 §5; HAIP §4).
    pub require_pushed_authorization_requests: bool,
    /// Authorization code lifetime, seconds (FAPI 2.0 §5.3.2.1: at most 60).
    pub code_ttl: u64,
    /// Lifetime of a pushed request's `request_uri`, seconds (FAPI 2.0: under 600).
    pub request_uri_ttl: u64,
    /// How long the user has to log in at the institution, seconds.
    pub login_ttl: u64,
    /// Lifetime of an authorization session, seconds from its request: a session that has
    /// not completed by then (login, code exchange) accepts nothing more and records
    /// nothing, whatever its steps' own lifetimes. At least `request_uri_ttl + code_ttl`.
    pub session_ttl: u64,
    /// Accept any `client_id` whose redirect URI is https, a private-use scheme or a
    /// loopback http URL (RFC 8252 §7); otherwise only `clients`.
    pub open_registration: bool,
    /// Registered wallets.
    pub clients: Vec<ClientConfig>,
    /// DPoP-bound access tokens (RFC 9449): `disabled`, `allowed` or `required`.
    pub dpop: DpopMode,
    /// Oldest accepted DPoP proof `iat`, seconds before now.
    pub dpop_proof_max_age: u64,
    /// Server-provided DPoP nonces (RFC 9449 §8): every DPoP proof must carry a `nonce`
    /// the service handed out (`DPoP-Nonce` response header); otherwise `use_dpop_nonce`.
    pub dpop_nonces: bool,
    /// How long a DPoP nonce is current, seconds; it is accepted for twice as long.
    pub dpop_nonce_lifetime: u64,
}

impl Default for AuthorizationSettings {
    fn default() -> Self {
        AuthorizationSettings {
            login_url: None,
            require_pushed_authorization_requests: true,
            code_ttl: 60,
            request_uri_ttl: 60,
            login_ttl: 600,
            session_ttl: 600,
            open_registration: false,
            clients: Vec::new(),
            dpop: DpopMode::Disabled,
            dpop_proof_max_age: 60,
            dpop_nonces: false,
            dpop_nonce_lifetime: 300,
        }
    }
}

impl AuthorizationSettings {
    /// Whether the authorization-code flow is served.
    pub fn enabled(&self) -> bool {
        self.login_url.is_some()
    }

    /// Every problem of the section, as `(field, problem)`.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut bad = |field: &str, problem: String| {
            problems.push((format!("authorization.{field}"), problem));
        };
        if let Some(url) = &self.login_url {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.fragment().is_none() => {}
                _ => bad(
                    "login_url",
                    format!("`{url}` must be an http(s) URL without fragment"),
                ),
            }
        }
        for (field, value, max) in [
            ("code_ttl", self.code_ttl, 600),
            ("request_uri_ttl", self.request_uri_ttl, 599),
            ("login_ttl", self.login_ttl, 3600),
            ("dpop_proof_max_age", self.dpop_proof_max_age, 600),
            ("session_ttl", self.session_ttl, 86_400),
            ("dpop_nonce_lifetime", self.dpop_nonce_lifetime, 3600),
        ] {
            if value == 0 || value > max {
                bad(field, format!("must be within 1..={max} seconds"));
            }
        }
        if self.dpop_nonces && !self.dpop.enabled() {
            bad(
                "dpop_nonces",
                "needs DPoP (`authorization.dpop = \"allowed\"` or `\"required\"`)".into(),
            );
        }
        let steps = self.request_uri_ttl.saturating_add(self.code_ttl);
        if self.session_ttl < steps {
            bad(
                "session_ttl",
                format!("must be at least request_uri_ttl + code_ttl ({steps} seconds)"),
            );
        }
        let mut seen = Vec::new();
        for (i, client) in self.clients.iter().enumerate() {
            if !is_client_id(&client.client_id) {
                bad(
                    &format!("clients[{i}].client_id"),
                    "must be 1-255 printable ASCII characters".into(),
                );
            }
            if seen.contains(&&client.client_id) {
                bad(
                    &format!("clients[{i}].client_id"),
                    format!("`{}` is registered twice", client.client_id),
                );
            }
            seen.push(&client.client_id);
            if client.redirect_uris.is_empty() {
                bad(
                    &format!("clients[{i}].redirect_uris"),
                    "must name at least one".into(),
                );
            }
            for uri in &client.redirect_uris {
                if let Err(problem) = check_redirect_uri_syntax(uri) {
                    bad(
                        &format!("clients[{i}].redirect_uris"),
                        format!("`{uri}`: {problem}"),
                    );
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_haip_and_fapi_and_leave_the_flow_off() {
        let settings = AuthorizationSettings::default();
        assert!(!settings.enabled());
        assert!(settings.require_pushed_authorization_requests);
        assert_eq!((settings.code_ttl, settings.request_uri_ttl), (60, 60));
        assert_eq!(settings.dpop, DpopMode::Disabled);
        assert!(settings.problems().is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let client = |id: &str, uris: &[&str]| ClientConfig {
            client_id: id.into(),
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
        };
        let settings = AuthorizationSettings {
            login_url: Some("ftp://bank.example/login".into()),
            code_ttl: 0,
            request_uri_ttl: 600,
            clients: vec![
                client("wallet", &["https://wallet.example/cb"]),
                client("wallet", &["https://wallet.example/cb#x"]),
                client("has space", &[]),
                client("other", &["javascript:alert(1)"]),
            ],
            ..AuthorizationSettings::default()
        };
        let fields: Vec<String> = settings.problems().into_iter().map(|(f, _)| f).collect();
        for expected in [
            "authorization.login_url",
            "authorization.code_ttl",
            "authorization.request_uri_ttl",
            "authorization.clients[1].client_id",
            "authorization.clients[1].redirect_uris",
            "authorization.clients[2].client_id",
            "authorization.clients[2].redirect_uris",
            "authorization.clients[3].redirect_uris",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected}: {fields:?}"
            );
        }
        assert_eq!(fields.len(), 8, "{fields:?}");
    }

    #[test]
    fn modes_parse_from_their_names() {
        for (name, mode) in [
            ("disabled", DpopMode::Disabled),
            ("allowed", DpopMode::Allowed),
            ("required", DpopMode::Required),
        ] {
            let parsed: DpopMode = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(parsed, mode);
            assert_eq!(parsed.enabled(), mode != DpopMode::Disabled);
        }
    }
}
