//! A test wallet for the authorization-code flow (PKCE, PAR, the browser's redirects, DPoP
//! proofs) and a test institution (the login page that accepts or rejects through the
//! management API).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest as _;

use super::wallet::{now, HolderKey, Reply};
use super::{spawn_app_with, Backend, TestApp, TestOptions};

/// The registered wallet.
pub const CLIENT_ID: &str = "wallet-app";
/// Its registered redirect URI.
pub const REDIRECT_URI: &str = "https://wallet.example/callback";
/// The institution's login page.
pub const LOGIN_URL: &str = "https://bank.example/issuance-login";
/// The wallet's `state`.
pub const WALLET_STATE: &str = "wallet-state-7f3a";

/// Options enabling the authorization-code flow with one registered wallet.
pub fn authcode_options() -> TestOptions {
    with_authcode(TestOptions::default())
}

/// `options` with the authorization-code flow enabled and one registered wallet.
pub fn with_authcode(options: TestOptions) -> TestOptions {
    options
        .set("authorization.login_url", json!(LOGIN_URL))
        .set(
            "authorization.clients",
            json!([{"client_id": CLIENT_ID, "redirect_uris": [REDIRECT_URI]}]),
        )
}

/// Starts the service with the authorization-code flow enabled.
pub async fn spawn_authcode_app() -> TestApp {
    spawn_authcode_app_on(Backend::Sqlite).await
}

/// Starts the service on `backend` with the authorization-code flow enabled.
pub async fn spawn_authcode_app_on(backend: Backend) -> TestApp {
    spawn_app_with(with_authcode(TestOptions::on(backend))).await
}

/// A PKCE pair (RFC 7636): a random verifier and its S256 challenge.
pub struct Pkce {
    /// `code_verifier`.
    pub verifier: String,
    /// `code_challenge` = base64url(SHA-256(verifier)).
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair.
    pub fn new() -> Pkce {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The issuer state of an authorization-code offer's creation response.
pub fn issuer_state(created: &Value) -> String {
    created["credential_offer"]["grants"]["authorization_code"]["issuer_state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The standard pushed request parameters for `pkce`, plus `extra`.
pub fn par_params<'a>(pkce: &'a Pkce, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", WALLET_STATE),
    ];
    for (name, value) in extra {
        params.retain(|(n, _)| n != name);
        params.push((name, value));
    }
    params
}

/// A browser's view of a redirect.
#[derive(Debug)]
pub struct Redirect {
    /// Status.
    pub status: u16,
    /// `Location`, if any.
    pub location: Option<String>,
    /// The JSON body (an error page), if any.
    pub body: Value,
}

impl Redirect {
    /// The redirect target, asserting a 302.
    pub fn target(&self) -> &str {
        assert_eq!(self.status, 302, "expected a redirect: {self:?}");
        self.location.as_deref().unwrap()
    }

    /// The login challenge of a redirect to the institution's login page.
    pub fn login_challenge(&self) -> String {
        let target = self.target();
        assert!(target.starts_with(LOGIN_URL), "{target}");
        query_of(target)["login_challenge"].clone()
    }
}

/// The institution's answer to accept or reject.
#[derive(Debug)]
pub struct LoginAnswer {
    /// Status.
    pub status: u16,
    /// Body.
    pub body: Value,
}

impl LoginAnswer {
    /// The query of `redirect_to`, after checking it goes to the wallet.
    pub fn wallet_response(&self) -> HashMap<String, String> {
        let target = self.body["redirect_to"]
            .as_str()
            .unwrap_or_else(|| panic!("{self:?}"));
        assert!(target.starts_with(REDIRECT_URI), "{target}");
        query_of(target)
    }
}

impl TestApp {
    /// An identity credential offer with the authorization-code grant, made for `subject`.
    pub async fn create_authorization_code_offer(&self, subject: &str) -> Value {
        self.create_offer(&json!({
            "credential_configuration_id": "IdentityCredential",
            "claims": {"given_name": "Erika", "family_name": "Mustermann"},
            "grant": "authorization_code",
            "subject": subject,
        }))
        .await
    }

    /// `POST /par` with form parameters and optional headers.
    pub async fn par(&self, params: &[(&str, &str)]) -> Reply {
        self.par_with(params, &[]).await
    }

    /// `POST /par` with extra headers (e.g. `DPoP`).
    pub async fn par_with(&self, params: &[(&str, &str)], headers: &[(&str, String)]) -> Reply {
        let mut request = self
            .client
            .post(format!("{}/par", self.wallet))
            .form(params);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        Reply::from_response(request.send().await.unwrap()).await
    }

    /// The `request_uri` of a successful pushed request.
    pub async fn request_uri(&self, params: &[(&str, &str)]) -> String {
        let reply = self.par(params).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["request_uri"].as_str().unwrap().to_string()
    }

    /// `GET /authorize` with query parameters, as the browser.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Redirect {
        let response = self
            .client
            .get(format!("{}/authorize", self.wallet))
            .query(params)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let body = response.json().await.unwrap_or(Value::Null);
        Redirect {
            status,
            location,
            body,
        }
    }

    /// `/authorize` with a pushed request; returns the login challenge.
    pub async fn start_login(&self, request_uri: &str) -> String {
        self.authorize(&[("client_id", CLIENT_ID), ("request_uri", request_uri)])
            .await
            .login_challenge()
    }

    /// `PUT /authorization-sessions/{challenge}/{action}` with the admin key.
    pub async fn login_decision(&self, challenge: &str, action: &str, body: &Value) -> LoginAnswer {
        let response = self
            .admin(
                reqwest::Method::PUT,
                &format!("/authorization-sessions/{challenge}/{action}"),
            )
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        LoginAnswer {
            status,
            body: response.json().await.unwrap_or(Value::Null),
        }
    }

    /// The institution accepts `subject` (and `claims`, for wallet-initiated requests).
    pub async fn accept_login(&self, challenge: &str, body: &Value) -> LoginAnswer {
        self.login_decision(challenge, "accept", body).await
    }

    /// `/authorize` with a pushed `request_uri`, then the institution accepts `subject`: the
    /// query of the redirect back to the wallet (`code`, `state`, `iss`).
    pub async fn login_as(&self, request_uri: &str, subject: &str) -> HashMap<String, String> {
        let challenge = self.start_login(request_uri).await;
        let answer = self
            .accept_login(&challenge, &json!({"subject": subject}))
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer.wallet_response()
    }

    /// PAR → authorize → accept as `subject`: the authorization code the wallet receives.
    pub async fn authorization_code(
        &self,
        pkce: &Pkce,
        extra: &[(&str, &str)],
        accept: &Value,
    ) -> String {
        let request_uri = self.request_uri(&par_params(pkce, extra)).await;
        let challenge = self.start_login(&request_uri).await;
        let answer = self.accept_login(&challenge, accept).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let response = answer.wallet_response();
        assert_eq!(response["state"], WALLET_STATE);
        response["code"].clone()
    }

    /// A token request with the authorization code grant.
    pub async fn exchange_code(&self, code: &str, verifier: &str) -> Reply {
        self.exchange_code_as(code, verifier, Some(REDIRECT_URI), CLIENT_ID)
            .await
    }

    /// A token request with the authorization code grant, naming `redirect_uri` (if any)
    /// and `client_id`.
    pub async fn exchange_code_as(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: Option<&str>,
        client_id: &str,
    ) -> Reply {
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ];
        if let Some(redirect_uri) = redirect_uri {
            params.push(("redirect_uri", redirect_uri));
        }
        self.token_request(&params).await
    }

    /// The event types of an authorization session's stream.
    pub async fn session_event_types(&self, session_id: &str) -> Vec<String> {
        let (status, body) = self
            .get_json(&format!("/authorization-sessions/{session_id}/events"))
            .await;
        assert_eq!(status, 200, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }
}

/// A DPoP proof (RFC 9449 §4.2) by `key` for `method` `url`, bound to `access_token`.
pub fn dpop_proof(key: &HolderKey, method: &str, url: &str, access_token: Option<&str>) -> String {
    let mut claims = json!({
        "jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
        "htm": method,
        "htu": url,
        "iat": now(),
    });
    if let Some(token) = access_token {
        claims["ath"] = json!(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())));
    }
    key.sign(
        &json!({"typ": "dpop+jwt", "jwk": key.public_json()}),
        &claims,
    )
}
