//! A test wallet: holder keys, proof JWTs, and typed calls to the wallet API.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance::contracts::openapi::Api;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::ed::{EdCurve, EdKeyPair};
use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{EdDSA, JwsHeader, JwsSigner, ES256};
use jsonwebtoken::{DecodingKey, Header};
use reqwest::header::HeaderMap;
use sd_jwt_rs::{SDJWTSerializationFormat, SDJWTVerifier};
use serde_json::{json, Value};

use super::TestApp;

/// The pre-authorized grant type.
pub const PRE_AUTHORIZED: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// A holder key pair as a wallet keeps it.
pub struct HolderKey {
    /// Private JWK.
    pub private: Jwk,
    /// Public JWK (what goes into proofs and `cnf`).
    pub public: Jwk,
    /// PKCS#8 PEM of the private key (for the independent KB-JWT signer).
    pub pem: Vec<u8>,
    /// `ES256` or `EdDSA`.
    pub alg: &'static str,
    signer: Box<dyn JwsSigner>,
}

impl HolderKey {
    /// A P-256 key.
    pub fn es256() -> HolderKey {
        let pair = EcKeyPair::generate(EcCurve::P256).unwrap();
        let private = pair.to_jwk_private_key();
        HolderKey {
            public: pair.to_jwk_public_key(),
            pem: pair.to_pem_private_key(),
            signer: Box::new(ES256.signer_from_jwk(&private).unwrap()),
            private,
            alg: "ES256",
        }
    }

    /// An Ed25519 key.
    pub fn ed25519() -> HolderKey {
        let pair = EdKeyPair::generate(EdCurve::Ed25519).unwrap();
        let private = pair.to_jwk_private_key();
        HolderKey {
            public: pair.to_jwk_public_key(),
            pem: pair.to_pem_private_key(),
            signer: Box::new(EdDSA.signer_from_jwk(&private).unwrap()),
            private,
            alg: "EdDSA",
        }
    }

    /// The public key as JSON.
    pub fn public_json(&self) -> Value {
        Value::Object(self.public.as_ref().clone())
    }

    /// A proof for `audience` carrying `nonce`, issued now.
    pub fn proof(&self, audience: &str, nonce: &str) -> String {
        self.sign(
            &json!({"typ": "openid4vci-proof+jwt", "jwk": self.public_json()}),
            &json!({"aud": audience, "iat": now(), "nonce": nonce}),
        )
    }

    /// Signs `claims` under `header` (the signer sets `alg`).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let header = JwsHeader::from_map(header.as_object().unwrap().clone()).unwrap();
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &*self.signer)
            .unwrap()
    }
}

/// Unix seconds now (the service's clock starts at the system clock).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// sd-jwt-rs verification; the issuer key comes from `jwks` by the header's `kid`, and only
/// for our issuer.
pub fn verify(
    presentation: &str,
    issuer: &str,
    jwks: &Value,
    key_binding: Option<(&str, &str)>,
) -> Result<Value, sd_jwt_rs::error::Error> {
    let issuer = issuer.to_string();
    let keys: Vec<Value> = jwks["keys"].as_array().unwrap().clone();
    let resolver = move |iss: &str, header: &Header| -> DecodingKey {
        let key = keys
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref())
            .filter(|_| iss == issuer);
        match key {
            Some(key) => DecodingKey::from_ec_components(
                key["x"].as_str().unwrap(),
                key["y"].as_str().unwrap(),
            )
            .unwrap(),
            None => DecodingKey::from_secret(b"not the issuer key"),
        }
    };
    SDJWTVerifier::new(
        presentation.to_string(),
        Box::new(resolver),
        key_binding.map(|(aud, _)| aud.to_string()),
        key_binding.map(|(_, nonce)| nonce.to_string()),
        SDJWTSerializationFormat::Compact,
    )
    .map(|verifier| verifier.verified_claims)
}

/// The pre-authorized code in a creation response.
pub fn pre_authorized_code(created: &Value) -> String {
    created["credential_offer"]["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The transaction code in a creation response.
pub fn tx_code(created: &Value) -> String {
    created["tx_code_value"].as_str().unwrap().to_string()
}

/// The path (under the wallet's origin) of the `credential_offer_uri` in a creation
/// response: `[/prefix]/credential-offers/<reference>`.
pub fn offer_reference_path(created: &Value) -> String {
    let uri = created["credential_offer_uri"].as_str().unwrap();
    let encoded = uri
        .strip_prefix("openid-credential-offer://?credential_offer_uri=")
        .unwrap();
    let url = reqwest::Url::parse(&urlencoding::decode(encoded).unwrap()).unwrap();
    url.path().to_string()
}

/// The offer id in a creation response.
pub fn offer_id(created: &Value) -> String {
    created["offer_id"].as_str().unwrap().to_string()
}

/// A decoded base64url JSON segment.
pub fn decode_segment(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// A response's status, content type and text (for bodies that are not JSON, e.g. JWEs).
pub async fn text_of(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// JSON body (`Null` if none).
    pub body: Value,
}

impl Reply {
    /// Reads a response.
    pub async fn from_response(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Checks the answer to `method path` against the wallet API's OpenAPI document.
    pub fn checked(self, method: &str, path: &str) -> Reply {
        let kind = self.header("content-type").map(str::to_string);
        super::openapi::check(
            Api::Wallet,
            method,
            path,
            self.status,
            kind.as_deref(),
            &self.body,
        );
        self
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an OAuth error with `status` and `error`, never cached.
    pub fn assert_error(&self, status: u16, error: &str) {
        assert_eq!(
            (self.status, self.body["error"].as_str()),
            (status, Some(error)),
            "expected {status} {error}, got {} {}",
            self.status,
            self.body
        );
        assert!(self.body["error_description"].is_string(), "{}", self.body);
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}

impl TestApp {
    /// A wallet GET of `path` (relative to the wallet base URL).
    pub async fn wallet_get(&self, path: &str) -> Reply {
        let response = self
            .client
            .get(format!("{}{path}", self.wallet))
            .send()
            .await
            .unwrap();
        Reply::from_response(response).await.checked("GET", path)
    }

    /// `POST /token` with form parameters.
    pub async fn token_request(&self, params: &[(&str, &str)]) -> Reply {
        let response = self
            .client
            .post(format!("{}/token", self.wallet))
            .form(params)
            .send()
            .await
            .unwrap();
        Reply::from_response(response)
            .await
            .checked("POST", "/token")
    }

    /// Redeems a creation response's pre-authorized code with its transaction code.
    pub async fn redeem(&self, created: &Value) -> Reply {
        let code = pre_authorized_code(created);
        self.redeem_code(&code, created["tx_code_value"].as_str())
            .await
    }

    /// A pre-authorized code token request with `code` and `tx_code`.
    pub async fn redeem_code(&self, code: &str, tx_code: Option<&str>) -> Reply {
        let mut params = vec![
            ("grant_type", PRE_AUTHORIZED),
            ("pre-authorized_code", code),
        ];
        if let Some(tx) = tx_code {
            params.push(("tx_code", tx));
        }
        self.token_request(&params).await
    }

    /// The access token of a successful redemption.
    pub async fn access_token(&self, created: &Value) -> String {
        let reply = self.redeem(created).await;
        assert_eq!(reply.status, 200, "token: {}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_string()
    }

    /// A fresh `c_nonce` from the nonce endpoint.
    pub async fn c_nonce(&self) -> String {
        let response = self
            .client
            .post(format!("{}/nonce", self.wallet))
            .send()
            .await
            .unwrap();
        let reply = Reply::from_response(response)
            .await
            .checked("POST", "/nonce");
        assert_eq!(reply.status, 200);
        reply.body["c_nonce"].as_str().unwrap().to_string()
    }

    /// `POST /credential` with a bearer token and a JSON body.
    pub async fn credential_request(&self, access_token: &str, body: &Value) -> Reply {
        self.post_with_token("/credential", access_token, body)
            .await
    }

    /// `POST /notification` with a bearer token and a JSON body.
    pub async fn notification_request(&self, access_token: &str, body: &Value) -> Reply {
        self.post_with_token("/notification", access_token, body)
            .await
    }

    async fn post_with_token(&self, path: &str, access_token: &str, body: &Value) -> Reply {
        let response = self
            .client
            .post(format!("{}{path}", self.wallet))
            .bearer_auth(access_token)
            .json(body)
            .send()
            .await
            .unwrap();
        Reply::from_response(response).await.checked("POST", path)
    }

    /// A credential request for `configuration` with one fresh proof per key.
    pub async fn request_credentials(
        &self,
        access_token: &str,
        configuration: &str,
        keys: &[&HolderKey],
    ) -> Reply {
        let nonce = self.c_nonce().await;
        let proofs: Vec<String> = keys.iter().map(|k| k.proof(&self.wallet, &nonce)).collect();
        self.credential_request(
            access_token,
            &json!({"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}),
        )
        .await
    }

    /// Waits (bounded) until the offer view shows `status`; returns the view.
    pub async fn wait_for_status(&self, offer_id: &str, status: &str) -> Value {
        // First let the view catch up with everything written so far, so a status that
        // is already current is not read from a stale row.
        let head = self.written_head().await;
        assert!(
            self.state
                .offer_view_progress
                .wait_for(head, Duration::from_secs(10))
                .await
        );
        let mut view = Value::Null;
        for _ in 0..100 {
            let (code, body) = self.get_json(&format!("/offers/{offer_id}")).await;
            assert_eq!(code, 200, "{body}");
            if body["status"] == status {
                return body;
            }
            view = body;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("offer {offer_id} never reached {status}: {view}");
    }

    /// The offer's event types, from the management history endpoint.
    pub async fn event_types(&self, offer_id: &str) -> Vec<String> {
        let (status, body) = self.get_json(&format!("/offers/{offer_id}/events")).await;
        assert_eq!(status, 200, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }
}
