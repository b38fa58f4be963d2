//! SD-JWT VC type metadata (draft -13 §6–9): served at the `vct` URL for configurations
//! whose `vct` is under the issuer identifier, pinned by `vct#integrity` in every credential
//! of them; external type metadata is pinned by its configured integrity and not served.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;

use crate::support::wallet::*;
use crate::support::*;

/// SRI of a document published elsewhere (here: of the empty document).
const EXTERNAL_INTEGRITY: &str = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/// The built-in configurations and three more: one whose `vct` is under the issuer
/// identifier, one with pinned external type metadata, one under the identifier that
/// points elsewhere without an integrity.
fn options() -> TestOptions {
    let extra = format!(
        r##"
[[credential_configurations]]
id = "EmployeeCredential"
vct = "{WALLET_URL}/types/employee"
scope = "employee_credential"
display = [
  {{ name = "Employee ID", locale = "en-US", description = "Proof of employment", background_color = "#12107c" }},
  {{ name = "Mitarbeiterausweis", locale = "de-DE" }},
]

[[credential_configurations.claims]]
path = "given_name"
mandatory = true
display = [{{ name = "Given name", locale = "en-US", description = "As in the passport" }}, {{ name = "Vorname", locale = "de-DE" }}]

[[credential_configurations.claims]]
path = "employee_number"
selectively_disclosable = false
display = [{{ name = "Employee number", locale = "en-US" }}]

[[credential_configurations]]
id = "RegistryCredential"
vct = "https://types.example/registry"
scope = "registry_credential"
type_metadata_uri = "https://types.example/registry"
type_metadata_integrity = "{EXTERNAL_INTEGRITY}"

[[credential_configurations.claims]]
path = "given_name"

[[credential_configurations]]
id = "UnpinnedCredential"
vct = "{WALLET_URL}/types/unpinned"
scope = "unpinned_credential"
type_metadata_uri = "https://types.example/unpinned"

[[credential_configurations.claims]]
path = "given_name"
"##
    );
    TestOptions {
        toml: format!("{}{extra}", issuance::config::BUILT_IN_CONFIG),
        ..TestOptions::default()
    }
}

/// The credential of `configuration` issued with `claims` through the pre-authorized
/// flow, checked by sd-jwt-rs, and its issuer-signed payload.
async fn issue(app: &TestApp, configuration: &str, claims: Value) -> (Value, Value) {
    let created = app
        .create_offer(&json!({"credential_configuration_id": configuration, "claims": claims}))
        .await;
    let token = app.access_token(&created).await;
    let issued = app
        .request_credentials(&token, configuration, &[&HolderKey::es256()])
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let credential = issued.body["credentials"][0]["credential"]
        .as_str()
        .unwrap();
    let jwks = app.wallet_get("/.well-known/jwt-vc-issuer").await.body["jwks"].clone();
    let verified =
        verify(credential, &app.wallet, &jwks, None).expect("sd-jwt-rs accepts the credential");
    let payload = decode_segment(credential.split('.').nth(1).unwrap());
    (verified, payload)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_type_metadata_is_served_at_the_vct_and_pinned_by_every_credential() {
    let app = spawn_app_with(options()).await;
    let vct = format!("{}/types/employee", app.wallet);

    let response = app.client.get(&vct).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let bytes = response.bytes().await.unwrap();
    // The full shape is unit tested with the rendering; here: what the TOML gave.
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(document["vct"], vct.as_str());
    assert_eq!(document["name"], "Employee ID");
    assert_eq!(document["display"][1]["locale"], "de-DE");
    assert_eq!(
        document["display"][0]["rendering"]["simple"]["background_color"],
        "#12107c"
    );
    let claims = &document["claims"];
    assert_eq!(claims[0]["path"], json!(["given_name"]));
    assert_eq!(claims[0]["sd"], "always");
    assert_eq!(claims[0]["display"][0]["description"], "As in the passport");
    assert_eq!(claims[1]["path"], json!(["employee_number"]));
    assert_eq!(claims[1]["sd"], "never");
    assert_eq!(claims[1]["display"][0]["label"], "Employee number");
    let integrity = format!("sha256-{}", STANDARD.encode(sha2::Sha256::digest(&bytes)));

    let (verified, payload) = issue(
        &app,
        "EmployeeCredential",
        json!({"given_name": "Erika", "employee_number": "E-17"}),
    )
    .await;
    assert_eq!(verified["vct"], vct.as_str());
    assert_eq!(verified["vct#integrity"], integrity.as_str());
    assert_eq!(verified["given_name"], "Erika");
    // Never selectively disclosable: in the issuer-signed payload itself.
    assert_eq!(payload["vct#integrity"], integrity.as_str());
    assert_eq!(payload["employee_number"], "E-17");
    assert!(
        payload.get("given_name").is_none(),
        "given_name is disclosed"
    );

    // The built-in identity credential's vct is on another host: no integrity to pin.
    let (verified, payload) = issue(
        &app,
        "IdentityCredential",
        json!({"given_name": "Erika", "family_name": "Mustermann"}),
    )
    .await;
    assert_eq!(
        verified["vct"],
        "https://credentials.example.com/identity_credential"
    );
    assert!(payload.get("vct#integrity").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn external_type_metadata_is_pinned_by_its_configured_integrity_and_not_served() {
    let app = spawn_app_with(options()).await;

    let (verified, payload) =
        issue(&app, "RegistryCredential", json!({"given_name": "Erika"})).await;
    assert_eq!(verified["vct"], "https://types.example/registry");
    assert_eq!(payload["vct#integrity"], EXTERNAL_INTEGRITY);

    // Under the identifier but published elsewhere: not served, nothing pinned.
    app.wallet_get("/types/unpinned")
        .await
        .assert_error(404, "not_found");
    let (_, payload) = issue(&app, "UnpinnedCredential", json!({"given_name": "Erika"})).await;
    assert!(payload.get("vct#integrity").is_none());
    // The served document does not answer other paths or methods.
    app.wallet_get("/types/employee/x")
        .await
        .assert_error(404, "not_found");
}
