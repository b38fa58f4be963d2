//! Issue 21 acceptance: in `profile = "haip"` the metadata advertises exactly what is
//! enforced. Each advertised requirement is shown enforced by a request that violates it
//! and only it; each enforced rule is shown advertised; and a request that meets only the
//! advertised requirements succeeds, so nothing unadvertised is enforced.

use serde_json::{json, Value};

use crate::support::authcode::*;
use crate::support::haip::{HaipDeployment, HaipWallet};
use crate::support::wallet::*;
use crate::support::*;

const CLIENT: &str = "haip-wallet";

/// A pre-authorized token request of a fresh offer.
async fn pre_authorized(app: &TestApp) -> (String, String) {
    let created = app.create_offer(&identity_offer()).await;
    (pre_authorized_code(&created), tx_code(&created))
}

fn token_params<'a>(code: &'a str, tx: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("grant_type", PRE_AUTHORIZED),
        ("pre-authorized_code", code),
        ("tx_code", tx),
        ("client_id", CLIENT),
    ]
}

/// A request for the identity credential with `proofs`.
fn identity(proofs: Value) -> Value {
    json!({"credential_configuration_id": "IdentityCredential", "proofs": proofs})
}

/// The error of an answer (status, `error`).
fn error_of(answer: &(u16, String, String)) -> (u16, String) {
    let body: Value = serde_json::from_str(&answer.2).unwrap_or(Value::Null);
    (
        answer.0,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn haip_metadata_advertises_exactly_what_is_enforced() {
    let deployment = HaipDeployment::new();
    let app = spawn_app_with(deployment.options_from(with_authcode(TestOptions::default()))).await;
    let issuer = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await
        .body;
    let server = app
        .wallet_get("/.well-known/oauth-authorization-server")
        .await
        .body;
    let mut wallet = HaipWallet::new(&deployment, CLIENT);
    wallet.fetch_challenge(&app).await;

    // Client authentication: wallet attestation only, at the token endpoint and PAR.
    assert_eq!(
        server["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );
    assert_eq!(
        server["pre-authorized_grant_anonymous_access_supported"],
        json!(false)
    );
    assert_eq!(
        server["client_attestation_signing_alg_values_supported"],
        json!(["ES256", "ES384"])
    );
    assert_eq!(
        server["challenge_endpoint"],
        json!(format!("{}/challenge", app.wallet))
    );
    let (code, tx) = pre_authorized(&app).await;
    let params = token_params(&code, &tx);
    let unauthenticated = ["oauth-client-attestation", "oauth-client-attestation-pop"];
    wallet
        .post_form_without(&app, "/token", &params, &unauthenticated)
        .await
        .assert_error(401, "invalid_client");
    let pkce = Pkce::new();
    wallet
        .post_form_without(&app, "/par", &par_params(&pkce, &[]), &unauthenticated)
        .await
        .assert_error(401, "invalid_client");

    // DPoP: advertised, required at the token endpoint (with the server's nonces), and the
    // token it binds is no bearer token.
    let dpop_algs = json!(["ES256", "ES384", "ES512", "EdDSA"]);
    assert_eq!(server["dpop_signing_alg_values_supported"], dpop_algs);
    wallet
        .post_form_without(&app, "/token", &params, &["dpop"])
        .await
        .assert_error(400, "invalid_dpop_proof");
    wallet.dpop_nonce = None;
    wallet
        .post_form(&app, "/token", &params)
        .await
        .assert_error(400, "use_dpop_nonce");
    assert_ne!(wallet.dpop_nonce, None);
    let reply = wallet.post_form(&app, "/token", &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "DPoP");
    let token = reply.body["access_token"].as_str().unwrap().to_string();
    let holder = HolderKey::es256();
    let c_nonce = app.c_nonce().await;
    let attestation = HaipWallet::key_attestation(&deployment, &[&holder], Some(&c_nonce));
    let with_attestation = wallet.proof(&app.wallet, &holder, &c_nonce, Some(&attestation));
    let without_attestation = wallet.proof(&app.wallet, &holder, &c_nonce, None);
    let request = identity(json!({"jwt": [with_attestation]}));
    let as_bearer = app.credential_request(&token, &request).await;
    as_bearer.assert_error(401, "invalid_token");
    let challenge = as_bearer.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("DPoP "), "{challenge}");

    // Encryption: required for requests and responses.
    let request_encryption = &issuer["credential_request_encryption"];
    assert_eq!(request_encryption["encryption_required"], json!(true));
    assert_eq!(
        request_encryption["enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    assert_eq!(
        issuer["credential_response_encryption"],
        json!({"alg_values_supported": ["ECDH-ES"], "enc_values_supported": ["A128GCM", "A256GCM"],
               "encryption_required": true})
    );
    let plain = wallet
        .post_credential(&app, &token, "application/json", request.to_string())
        .await;
    assert_eq!(
        error_of(&plain),
        (400, "invalid_encryption_parameters".into())
    );
    let no_response_encryption = wallet.encrypt_request(&issuer, &request);
    let answer = wallet
        .post_credential(&app, &token, "application/jwt", no_response_encryption)
        .await;
    assert_eq!(
        error_of(&answer),
        (400, "invalid_encryption_parameters".into())
    );

    // Key attestations: every SD-JWT VC configuration requires them, on both proof types;
    // a proof without one is refused.
    let configurations = issuer["credential_configurations_supported"]
        .as_object()
        .unwrap();
    for (id, configuration) in configurations {
        let proof_types = &configuration["proof_types_supported"];
        if configuration["format"] == "dc+sd-jwt" {
            assert_eq!(
                proof_types["jwt"]["key_attestations_required"],
                json!({}),
                "{id}"
            );
            assert_eq!(
                proof_types["attestation"],
                json!({"proof_signing_alg_values_supported": ["ES256", "ES384"],
                       "key_attestations_required": {}}),
                "{id}"
            );
        } else {
            // Not enforced for mdocs, so not advertised.
            assert!(
                proof_types["jwt"]
                    .get("key_attestations_required")
                    .is_none(),
                "{id}"
            );
            assert!(proof_types.get("attestation").is_none(), "{id}");
        }
    }
    let unattested = identity(json!({"jwt": [without_attestation]}));
    let answer = wallet
        .post_encrypted(&app, &issuer, &token, &unattested)
        .await;
    assert_eq!(error_of(&answer), (400, "invalid_proof".into()));

    // The nonce endpoint is advertised, and a proof's nonce must come from it.
    assert_eq!(
        issuer["nonce_endpoint"],
        json!(format!("{}/nonce", app.wallet))
    );
    let forged = HaipWallet::key_attestation(&deployment, &[&holder], Some("forged"));
    let forged = identity(json!({"attestation": [forged]}));
    let answer = wallet.post_encrypted(&app, &issuer, &token, &forged).await;
    assert_eq!(error_of(&answer), (400, "invalid_nonce".into()));

    // The batch size is advertised and is the limit of attested keys.
    let batch_size = issuer["batch_credential_issuance"]["batch_size"]
        .as_u64()
        .unwrap() as usize;
    let many: Vec<HolderKey> = (0..=batch_size).map(|_| HolderKey::es256()).collect();
    let many: Vec<&HolderKey> = many.iter().collect();
    let too_many = HaipWallet::key_attestation(&deployment, &many, Some(&c_nonce));
    let too_many = identity(json!({"attestation": [too_many]}));
    let answer = wallet
        .post_encrypted(&app, &issuer, &token, &too_many)
        .await;
    assert_eq!(error_of(&answer), (400, "invalid_proof".into()));

    // Meeting exactly the advertised requirements is enough.
    let response = wallet
        .encrypted_credential(&app, &issuer, &token, &request)
        .await;
    assert_eq!(response["credentials"].as_array().unwrap().len(), 1);
}
