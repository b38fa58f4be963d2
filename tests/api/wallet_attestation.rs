//! Wallet attestation as client authentication (OAuth 2.0 Attestation-Based Client
//! Authentication draft -07; issue 21 item 2): with `attestation.trust_anchors` and
//! `attestation.required`, PAR and the token endpoint (both grants) need a wallet
//! attestation chaining to a configured anchor and a fresh, single-use PoP for this issuer;
//! a missing one is `invalid_client`, a bad one `invalid_client_attestation` (both 401).
//! The attested wallet is recorded on the redemption and shown in the audit view.

use std::path::PathBuf;

use issuance_credential::attestation::testing::{
    instance_key, public_json, sign_with, TestCertificate,
};
use issuance_credential::{Jwk, CLIENT_ATTESTATION_POP_TYP, CLIENT_ATTESTATION_TYP};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::audit_support::{audit_entries, wait_for_projections};
use crate::support::authcode::*;
use crate::support::wallet::*;
use crate::support::*;

const YEAR: i64 = 365 * 24 * 3600;
const PROVIDER: &str = "https://wallet-provider.example";

/// A wallet provider under a test root CA, and a wallet instance it attests.
struct Provider {
    root: TestCertificate,
    signer: TestCertificate,
    instance: Jwk,
    /// Holds the anchor file.
    _dir: TempDir,
    anchor_file: PathBuf,
}

impl Provider {
    fn new() -> Provider {
        let root = TestCertificate::root("Wallet Root CA", now() - YEAR, now() + YEAR);
        let signer = root.issue("Wallet Provider", false, now() - YEAR, now() + YEAR);
        let dir = tempfile::tempdir().unwrap();
        let anchor_file = dir.path().join("wallet-root.pem");
        std::fs::write(&anchor_file, root.pem()).unwrap();
        Provider {
            root,
            signer,
            instance: instance_key(),
            _dir: dir,
            anchor_file,
        }
    }

    fn claims(&self, client_id: &str) -> Value {
        json!({"iss": PROVIDER, "sub": client_id, "iat": now() - 5, "exp": now() + 3600,
               "cnf": {"jwk": public_json(&self.instance)}})
    }

    /// An attestation of `claims` signed by `signer` with chain `x5c`.
    fn attestation(signer: &TestCertificate, x5c: &[&TestCertificate], claims: &Value) -> String {
        signer.sign(CLIENT_ATTESTATION_TYP, x5c, claims)
    }

    fn valid_attestation(&self, client_id: &str) -> String {
        Self::attestation(&self.signer, &[&self.signer], &self.claims(client_id))
    }

    fn pop_by(key: &Jwk, audience: &str) -> String {
        let jti = format!("{:032x}", rand::random::<u128>());
        sign_with(
            key,
            CLIENT_ATTESTATION_POP_TYP,
            &json!({"aud": audience, "jti": jti, "iat": now()}),
        )
    }

    fn pop(&self, audience: &str) -> String {
        Self::pop_by(&self.instance, audience)
    }

    fn headers(&self, app: &TestApp, client_id: &str) -> Vec<(&'static str, String)> {
        vec![
            (
                "oauth-client-attestation",
                self.valid_attestation(client_id),
            ),
            ("oauth-client-attestation-pop", self.pop(&app.wallet)),
        ]
    }
}

fn options(provider: &Provider) -> TestOptions {
    TestOptions::default()
        .keeping_claims()
        .set("attestation.trust_anchors", json!([provider.anchor_file]))
        .set("attestation.required", json!(true))
}

async fn token_with(app: &TestApp, params: &[(&str, &str)], headers: &[(&str, String)]) -> Reply {
    let mut request = app
        .client
        .post(format!("{}/token", app.wallet))
        .form(params);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    Reply::from_response(request.send().await.unwrap()).await
}

#[tokio::test]
async fn an_attested_wallet_completes_a_pre_authorized_flow() {
    let provider = Provider::new();
    let app = spawn_app_with(options(&provider)).await;
    let metadata = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(
        metadata.body["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );
    assert_eq!(
        metadata.body["client_attestation_signing_alg_values_supported"],
        json!(["ES256", "ES384"])
    );

    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let first_tx = tx_code(&created);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", first_tx.as_str()),
    ];
    // No attestation: invalid_client, and the offer is untouched.
    token_with(&app, &params, &[])
        .await
        .assert_error(401, "invalid_client");

    let headers = provider.headers(&app, "wallet-instance");
    let reply = token_with(&app, &params, &headers).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = reply.body["access_token"].as_str().unwrap().to_string();
    let key = HolderKey::es256();
    let nonce = app.c_nonce().await;
    let proof = key.sign(
        &json!({"typ": "openid4vci-proof+jwt", "jwk": key.public_json()}),
        &json!({"iss": "wallet-instance", "aud": app.wallet, "iat": now(), "nonce": nonce}),
    );
    let issued = app
        .credential_request(
            &token,
            &json!({"credential_configuration_id": "IdentityCredential",
                    "proofs": {"jwt": [proof]}}),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);

    // The same PoP again: its jti is spent.
    let second = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&second);
    let second_tx = tx_code(&second);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", second_tx.as_str()),
    ];
    token_with(&app, &params, &headers)
        .await
        .assert_error(401, "invalid_client_attestation");

    // The redemption records the attested wallet; the audit view shows it.
    wait_for_projections(&app).await;
    let redeemed = audit_entries(&app, "type=OfferRedeemed", 10).await;
    assert_eq!(redeemed.len(), 1, "{redeemed:?}");
    let summary = redeemed[0]["summary"].as_str().unwrap();
    assert!(
        summary.ends_with(&format!("wallet wallet-instance attested by {PROVIDER}")),
        "{summary}"
    );
}

#[tokio::test]
async fn bad_wallet_attestations_are_refused_with_invalid_client_attestation() {
    let provider = Provider::new();
    let app = spawn_app_with(options(&provider)).await;
    let created = app.create_offer(&identity_offer()).await;
    let code = pre_authorized_code(&created);
    let first_tx = tx_code(&created);
    let params = [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code.as_str()),
        ("tx_code", first_tx.as_str()),
        ("client_id", "wallet-instance"),
    ];
    let other_root = TestCertificate::root("Other Root", now() - YEAR, now() + YEAR);
    let untrusted = other_root.issue("Provider", false, now() - YEAR, now() + YEAR);
    let mut expired = provider.claims("wallet-instance");
    expired["exp"] = json!(now() - 1);
    let mut without_sub = provider.claims("wallet-instance");
    without_sub.as_object_mut().unwrap().remove("sub");
    let claims = provider.claims("wallet-instance");
    let signer = &provider.signer;
    let valid = provider.valid_attestation("wallet-instance");
    let good_pop = || provider.pop(&app.wallet);
    let cases: Vec<(&str, String, String)> = vec![
        (
            "untrusted CA",
            Provider::attestation(&untrusted, &[&untrusted], &claims),
            good_pop(),
        ),
        (
            "expired",
            Provider::attestation(signer, &[signer], &expired),
            good_pop(),
        ),
        (
            "missing sub",
            Provider::attestation(signer, &[signer], &without_sub),
            good_pop(),
        ),
        (
            "another client",
            provider.valid_attestation("someone-else"),
            good_pop(),
        ),
        (
            "PoP with a wrong aud",
            valid.clone(),
            provider.pop("https://other-issuer.example"),
        ),
        (
            "PoP by another key than cnf",
            valid.clone(),
            Provider::pop_by(&instance_key(), &app.wallet),
        ),
        (
            "anchor included in x5c",
            Provider::attestation(signer, &[signer, &provider.root], &claims),
            good_pop(),
        ),
    ];
    for (case, attestation, pop) in cases {
        let reply = token_with(
            &app,
            &params,
            &[
                ("oauth-client-attestation", attestation),
                ("oauth-client-attestation-pop", pop),
            ],
        )
        .await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.body);
        assert_eq!(reply.body["error"], "invalid_client_attestation", "{case}");
    }
    // Only a PoP without its attestation.
    token_with(
        &app,
        &params,
        &[("oauth-client-attestation-pop", good_pop())],
    )
    .await
    .assert_error(401, "invalid_client_attestation");
    // The offer was not touched by any of them.
    let reply = token_with(&app, &params, &provider.headers(&app, "wallet-instance")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn an_attested_wallet_completes_an_authorization_code_flow() {
    let provider = Provider::new();
    let app = spawn_app_with(with_authcode(options(&provider))).await;
    let offer = app.create_authorization_code_offer("subject-1").await;
    let issuer_state = issuer_state(&offer);
    let pkce = Pkce::new();
    let params = par_params(&pkce, &[("issuer_state", issuer_state.as_str())]);
    app.par(&params).await.assert_error(401, "invalid_client");
    let reply = app
        .par_with(&params, &provider.headers(&app, "someone-else"))
        .await;
    reply.assert_error(401, "invalid_client_attestation");
    let reply = app
        .par_with(&params, &provider.headers(&app, CLIENT_ID))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let request_uri = reply.body["request_uri"].as_str().unwrap().to_string();
    let code = app.login_as(&request_uri, "subject-1").await["code"].clone();
    let token_params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
    ];
    let reply = token_with(&app, &token_params, &provider.headers(&app, CLIENT_ID)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}
