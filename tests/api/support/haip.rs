//! A HAIP 1.0 deployment and wallet for tests: test CAs for the issuer's certificate chain,
//! the wallet provider (client attestations) and the key storage provider (key
//! attestations), and a wallet that attests itself and its keys, follows the server's
//! DPoP nonces and attestation challenges, and encrypts its credential requests and the
//! responses it asks for.

use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use issuance_credential::attestation::testing::{
    instance_key, public_json, sign_with, TestCertificate,
};
use issuance_credential::{
    Jwk, CLIENT_ATTESTATION_POP_TYP, CLIENT_ATTESTATION_TYP, KEY_ATTESTATION_TYP,
};
use josekit::jwe::{JweHeader, ECDH_ES};
use josekit::jwk::alg::ec::EcCurve;
use serde_json::{json, Value};
use sha2::Digest as _;
use tempfile::TempDir;

use super::wallet::{now, text_of, HolderKey, Reply};
use super::{TestApp, TestOptions};

const YEAR: i64 = 365 * 24 * 3600;
/// The wallet provider's identifier (`iss` of its client attestations).
pub const WALLET_PROVIDER: &str = "https://wallet-provider.example";

/// The CAs and files of a HAIP deployment.
pub struct HaipDeployment {
    /// The issuer's signing certificate (its `x5c`).
    pub issuer: TestCertificate,
    /// The wallet provider's root (a trust anchor).
    pub wallet_root: TestCertificate,
    /// The wallet provider's signing certificate.
    pub provider: TestCertificate,
    /// The key storage provider's signing certificate (under `wallet_root`).
    pub key_storage: TestCertificate,
    files: (PathBuf, PathBuf, PathBuf),
    _dir: TempDir,
}

impl HaipDeployment {
    /// Fresh CAs and the files the service reads.
    pub fn new() -> HaipDeployment {
        let (from, until) = (now() - YEAR, now() + YEAR);
        let issuer_root = TestCertificate::root("Issuer Root", from, until);
        let issuer = issuer_root.issue("Issuer", false, from, until);
        let wallet_root = TestCertificate::root("Wallet Root", from, until);
        let provider = wallet_root.issue("Wallet Provider", false, from, until);
        let key_storage = wallet_root.issue("Key Storage", false, from, until);
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("issuer-key.pem");
        std::fs::write(&key_file, issuer.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        let chain_file = dir.path().join("issuer-chain.pem");
        std::fs::write(&chain_file, issuer.pem()).unwrap();
        let anchor_file = dir.path().join("wallet-root.pem");
        std::fs::write(&anchor_file, wallet_root.pem()).unwrap();
        HaipDeployment {
            issuer,
            wallet_root,
            provider,
            key_storage,
            files: (key_file, chain_file, anchor_file),
            _dir: dir,
        }
    }

    /// `profile = "haip"` with the issuer's key and chain and the wallet root as anchor.
    pub fn options(&self) -> TestOptions {
        self.options_from(TestOptions::default())
    }

    /// `options` with the HAIP settings added.
    pub fn options_from(&self, options: TestOptions) -> TestOptions {
        self.settings()
            .into_iter()
            .fold(options, |options, (key, value)| options.set(key, value))
    }

    /// The wallet root as attestation trust anchor, alone (issuers opt into `haip`).
    pub fn anchor_setting(&self) -> (&'static str, Value) {
        ("attestation.trust_anchors", json!([self.files.2]))
    }

    /// The HAIP settings: the profile, the issuer's key and chain, the wallet root as
    /// trust anchor.
    pub fn settings(&self) -> Vec<(&'static str, Value)> {
        let (key_file, chain_file, anchor_file) = &self.files;
        vec![
            ("profile", json!("haip")),
            ("issuer.signing_key_file", json!(key_file)),
            ("issuer.certificate_chain_file", json!(chain_file)),
            ("attestation.trust_anchors", json!([anchor_file])),
        ]
    }
}

/// A wallet instance attested by the deployment's wallet provider.
pub struct HaipWallet {
    /// Its client identifier (the attestation's `sub`).
    pub client_id: String,
    /// The attested instance key (`cnf.jwk`).
    pub instance: Jwk,
    /// The client attestation.
    pub attestation: String,
    /// The DPoP key.
    pub dpop: HolderKey,
    /// The last `DPoP-Nonce` the server sent.
    pub dpop_nonce: Option<String>,
    /// The last attestation challenge the server sent.
    pub challenge: Option<String>,
    /// The response encryption key pair (private, public).
    pub encryption: (josekit::jwk::Jwk, josekit::jwk::Jwk),
    /// The Credential Issuer Identifier it talks to; `None`: the default issuer's.
    pub issuer: Option<String>,
}

impl HaipWallet {
    /// A wallet `client_id` attested by `deployment`'s provider.
    pub fn new(deployment: &HaipDeployment, client_id: &str) -> HaipWallet {
        let instance = instance_key();
        let provider = &deployment.provider;
        let attestation = provider.sign(
            CLIENT_ATTESTATION_TYP,
            &[provider],
            &json!({"iss": WALLET_PROVIDER, "sub": client_id, "iat": now(),
                    "exp": now() + 3600, "cnf": {"jwk": public_json(&instance)}}),
        );
        let pair = ECDH_ES.generate_ec_key_pair(EcCurve::P256).unwrap();
        let mut private = pair.to_jwk_key_pair();
        private.set_algorithm("ECDH-ES");
        let mut public = private.to_public_key().unwrap();
        public.set_algorithm("ECDH-ES");
        HaipWallet {
            client_id: client_id.to_string(),
            instance,
            attestation,
            dpop: HolderKey::es256(),
            dpop_nonce: None,
            challenge: None,
            encryption: (private, public),
            issuer: None,
        }
    }

    /// The identifier of the issuer it talks to.
    pub fn base(&self, app: &TestApp) -> String {
        self.issuer.clone().unwrap_or_else(|| app.wallet.clone())
    }

    /// A fresh attestation PoP for `audience` (with the last challenge, if any).
    pub fn pop(&self, audience: &str) -> String {
        let mut claims = json!({"iss": self.client_id, "aud": audience, "iat": now(),
                                "jti": format!("{:032x}", rand::random::<u128>())});
        if let Some(challenge) = &self.challenge {
            claims["challenge"] = json!(challenge);
        }
        sign_with(&self.instance, CLIENT_ATTESTATION_POP_TYP, &claims)
    }

    /// A DPoP proof for `POST url` with the last server nonce, bound to `access_token`.
    pub fn dpop_proof(&self, url: &str, access_token: Option<&str>) -> String {
        let mut claims = json!({"jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
                                "htm": "POST", "htu": url, "iat": now()});
        if let Some(nonce) = &self.dpop_nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Some(token) = access_token {
            claims["ath"] = json!(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())));
        }
        self.dpop.sign(
            &json!({"typ": "dpop+jwt", "jwk": self.dpop.public_json()}),
            &claims,
        )
    }

    /// Remembers the nonces a reply carries.
    pub fn remember(&mut self, reply: &Reply) {
        if let Some(nonce) = reply.header("dpop-nonce") {
            self.dpop_nonce = Some(nonce.to_string());
        }
        if let Some(challenge) = reply.header("oauth-client-attestation-challenge") {
            self.challenge = Some(challenge.to_string());
        }
    }

    /// Fetches a challenge from the challenge endpoint named in the AS metadata.
    pub async fn fetch_challenge(&mut self, app: &TestApp) {
        let metadata = app
            .wallet_get("/.well-known/oauth-authorization-server")
            .await;
        let endpoint = metadata.body["challenge_endpoint"].as_str().unwrap();
        let response = app.client.post(endpoint).send().await.unwrap();
        let reply = Reply::from_response(response).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        self.remember(&reply);
        self.challenge = Some(reply.body["attestation_challenge"].as_str().unwrap().into());
    }

    /// An authenticated, DPoP-proven form POST to `path` (`/par`, `/token`).
    pub async fn post_form(&mut self, app: &TestApp, path: &str, params: &[(&str, &str)]) -> Reply {
        self.post_form_without(app, path, params, &[]).await
    }

    /// [`Self::post_form`] without the request headers named in `omitted`.
    pub async fn post_form_without(
        &mut self,
        app: &TestApp,
        path: &str,
        params: &[(&str, &str)],
        omitted: &[&str],
    ) -> Reply {
        let base = self.base(app);
        let url = format!("{base}{path}");
        let mut request = app.client.post(&url).form(params);
        for (name, value) in [
            ("oauth-client-attestation", self.attestation.clone()),
            ("oauth-client-attestation-pop", self.pop(&base)),
            ("dpop", self.dpop_proof(&url, None)),
        ] {
            if !omitted.contains(&name) {
                request = request.header(name, value);
            }
        }
        let reply = Reply::from_response(request.send().await.unwrap()).await;
        self.remember(&reply);
        reply
    }

    /// A `jwt` proof by `holder` for the issuer `audience` over `c_nonce` (`iss`: this
    /// wallet), with `key_attestation` in its header.
    pub fn proof(
        &self,
        audience: &str,
        holder: &HolderKey,
        c_nonce: &str,
        key_attestation: Option<&str>,
    ) -> String {
        let mut header = json!({"typ": "openid4vci-proof+jwt", "jwk": holder.public_json()});
        if let Some(attestation) = key_attestation {
            header["key_attestation"] = json!(attestation);
        }
        holder.sign(
            &header,
            &json!({"iss": self.client_id, "aud": audience, "iat": now(), "nonce": c_nonce}),
        )
    }

    /// A key attestation by the deployment's key storage provider for `keys`, carrying
    /// `nonce`.
    pub fn key_attestation(
        deployment: &HaipDeployment,
        keys: &[&HolderKey],
        nonce: Option<&str>,
    ) -> String {
        let keys: Vec<Value> = keys.iter().map(|k| k.public_json()).collect();
        let mut claims = json!({"iat": now(), "exp": now() + 600, "attested_keys": keys,
                                "key_storage": ["iso_18045_high"]});
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let signer = &deployment.key_storage;
        signer.sign(KEY_ATTESTATION_TYP, &[signer], &claims)
    }

    /// `request` asking for a response encrypted to this wallet's key.
    pub fn asking_for_encryption(&self, request: &Value) -> Value {
        let mut request = request.clone();
        request["credential_response_encryption"] = json!({
            "jwk": Value::Object(self.encryption.1.as_ref().clone()), "enc": "A256GCM"});
        request
    }

    /// `request` as a JWE to the issuer's request encryption key (from `metadata`).
    pub fn encrypt_request(&self, metadata: &Value, request: &Value) -> String {
        let key = &metadata["credential_request_encryption"]["jwks"]["keys"][0];
        let jwk = josekit::jwk::Jwk::from_bytes(serde_json::to_vec(key).unwrap()).unwrap();
        let mut header = JweHeader::new();
        header.set_content_encryption("A128GCM");
        header.set_key_id(jwk.key_id().unwrap());
        let encrypter = ECDH_ES.encrypter_from_jwk(&jwk).unwrap();
        josekit::jwe::serialize_compact(&serde_json::to_vec(request).unwrap(), &header, &encrypter)
            .unwrap()
    }

    /// `POST /credential` with `body` sent as `content_type`, DPoP-bound to
    /// `access_token`: (status, content type, text).
    pub async fn post_credential(
        &mut self,
        app: &TestApp,
        access_token: &str,
        content_type: &str,
        body: String,
    ) -> (u16, String, String) {
        let url = format!("{}/credential", self.base(app));
        let response = app
            .client
            .post(&url)
            .header("authorization", format!("DPoP {access_token}"))
            .header("dpop", self.dpop_proof(&url, Some(access_token)))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        if let Some(nonce) = response.headers().get("dpop-nonce") {
            self.dpop_nonce = Some(nonce.to_str().unwrap().to_string());
        }
        text_of(response).await
    }

    /// `request`, asking for an encrypted response, sent encrypted: the raw answer.
    pub async fn post_encrypted(
        &mut self,
        app: &TestApp,
        metadata: &Value,
        access_token: &str,
        request: &Value,
    ) -> (u16, String, String) {
        let jwe = self.encrypt_request(metadata, &self.asking_for_encryption(request));
        self.post_credential(app, access_token, "application/jwt", jwe)
            .await
    }

    /// An encrypted credential request for `request`; the decrypted JSON response.
    pub async fn encrypted_credential(
        &mut self,
        app: &TestApp,
        metadata: &Value,
        access_token: &str,
        request: &Value,
    ) -> Value {
        let (status, kind, text) = self
            .post_encrypted(app, metadata, access_token, request)
            .await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(kind, "application/jwt");
        let decrypter = ECDH_ES.decrypter_from_jwk(&self.encryption.0).unwrap();
        let (plaintext, _) = josekit::jwe::deserialize_compact(&text, &decrypter).unwrap();
        serde_json::from_slice(&plaintext).unwrap()
    }
}
