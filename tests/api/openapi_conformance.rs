//! The OpenAPI documents against independent tools and real answers:
//! - `openapi-spec-validator` (PyPI) accepts both documents and rejects a broken one;
//! - `schemathesis` (PyPI), a property-based fuzzer driven by the served documents, finds no
//!   5xx and no answer outside the documents (status, media type, body), on a service with
//!   an issued offer, a credential, an access token and the admin key;
//! - the response check of the integration tests ([`crate::support::openapi`]) rejects a
//!   body or a document that no longer match.
//!
//! Both tools run from the interop virtualenv (`ISSUANCE_TEST_PYTHON`, made by
//! `scripts/interop-venv.sh`, which `scripts/test.sh` calls); without it a targeted
//! `cargo test` skips them with a notice, CI fails. `ISSUANCE_TEST_FUZZ_SEED` replaces the
//! fuzzer's fixed seed, `ISSUANCE_TEST_FUZZ_EXAMPLES` its examples per operation.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use issuance::contracts::openapi::Api;
use serde_json::{json, Value};

use crate::support::openapi::{document, violations_in};
use crate::support::wallet::*;
use crate::support::*;

/// The interop virtualenv's python, or `None` (skip) outside CI.
fn python() -> Option<String> {
    match std::env::var("ISSUANCE_TEST_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("ISSUANCE_TEST_PYTHON is not set: run scripts/test.sh")
        }
        _ => {
            eprintln!("skipped: ISSUANCE_TEST_PYTHON not set (scripts/interop-venv.sh makes one)");
            None
        }
    }
}

/// Runs `program args` in `dir` with a deadline; exit success and the combined output.
fn run(program: &Path, args: &[String], dir: &Path, deadline: Duration) -> (bool, String) {
    let log = dir.join("output.log");
    let file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    match status {
        Some(status) => (status.success(), output),
        None => (false, format!("timed out after {deadline:?}\n{output}")),
    }
}

fn write(dir: &Path, name: &str, document: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(document).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn openapi_spec_validator_accepts_both_documents_and_rejects_a_broken_one() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec!["-m".to_string(), "openapi_spec_validator".to_string()];
    for api in [Api::Management, Api::Wallet] {
        files.push(write(dir.path(), &api.file_name(), &api.default_document()));
    }
    // As a deployment serves it: under an issuer path, with type metadata routes.
    let served = issuance::contracts::openapi::wallet::document(
        "/tenant",
        &["/tenant/types/identity".to_string()],
    );
    files.push(write(dir.path(), "served-wallet.json", &served));
    let (ok, output) = run(
        Path::new(&python),
        &files,
        dir.path(),
        Duration::from_secs(60),
    );
    assert!(ok, "openapi-spec-validator:\n{output}");

    // The validator has teeth: an operation without responses, and a schema of an unknown
    // type.
    let mut broken = Api::Management.default_document();
    broken["paths"]["/offers"]["post"]
        .as_object_mut()
        .unwrap()
        .remove("responses");
    broken["components"]["schemas"]["OfferCreation"]["type"] = json!("record");
    let args = vec![
        "-m".to_string(),
        "openapi_spec_validator".to_string(),
        write(dir.path(), "broken.json", &broken),
    ];
    let (ok, output) = run(
        Path::new(&python),
        &args,
        dir.path(),
        Duration::from_secs(60),
    );
    assert!(!ok, "a broken document passed:\n{output}");
}

/// `schemathesis` beside the virtualenv's python.
fn schemathesis(python: &str) -> PathBuf {
    Path::new(python).with_file_name("schemathesis")
}

/// What the fuzzer needs to get past the 404s: ids of things that exist.
struct Seeded {
    offer_id: String,
    reference: String,
    credential_id: String,
    list_id: String,
    kid: String,
    access_token: String,
}

async fn seed(app: &TestApp) -> Seeded {
    let mut body = identity_offer();
    body["subject"] = json!("customer-4711");
    body["single_use"] = json!(false);
    let created = app.create_offer(&body).await;
    let access_token = app.access_token(&created).await;
    let reply = app
        .request_credentials(&access_token, "IdentityCredential", &[&HolderKey::es256()])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let offer_id = offer_id(&created);
    let (_, credentials) = app
        .get_json(&format!("/offers/{offer_id}/credentials"))
        .await;
    let credential = &credentials["items"][0];
    let (status, key) = app
        .management_call(
            reqwest::Method::POST,
            "/issuers/default/keys",
            Some(&json!({"alg": "ES256"})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    // A second token: the fuzzer may revoke the offer or its redemption with the first.
    let access_token = app.access_token(&created).await;
    Seeded {
        reference: offer_reference_path(&created)
            .rsplit('/')
            .next()
            .unwrap()
            .to_string(),
        offer_id,
        credential_id: credential["credential_id"].as_str().unwrap().to_string(),
        list_id: credential["status_list"]["list_id"]
            .as_str()
            .unwrap()
            .to_string(),
        kid: key["kid"].as_str().unwrap().to_string(),
        access_token,
    }
}

/// `schemathesis.toml`: the seeded ids as path parameters of every operation naming them.
fn config(seeded: &Seeded) -> String {
    let parameters = [
        ("offer_id", &seeded.offer_id),
        ("reference", &seeded.reference),
        ("credential_id", &seeded.credential_id),
        ("list_id", &seeded.list_id),
        ("kid", &seeded.kid),
    ];
    let mut toml = String::from("[parameters]\n");
    for (name, value) in parameters {
        toml.push_str(&format!("\"path.{name}\" = \"{value}\"\n"));
    }
    toml.push_str("\"path.issuer_id\" = \"default\"\n");
    toml.push_str("\"path.configuration_id\" = \"IdentityCredential\"\n");
    toml.push_str("\"path.file\" = \"callback.status.json\"\n");
    toml
}

fn fuzz(
    python: &str,
    dir: &Path,
    base: &str,
    authorization: &str,
    extra: &[&str],
) -> (bool, String) {
    let seed = std::env::var("ISSUANCE_TEST_FUZZ_SEED").unwrap_or_else(|_| "20261206".into());
    let examples = std::env::var("ISSUANCE_TEST_FUZZ_EXAMPLES").unwrap_or_else(|_| "40".into());
    let args: Vec<String> = [
        "--config-file",
        "schemathesis.toml",
        "--no-color",
        "run",
        &format!("{base}/openapi.json"),
        "--url",
        base,
        "--header",
        &format!("Authorization: {authorization}"),
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples",
        &examples,
        "--seed",
        &seed,
        // One worker: CPython 3.11 can fail compiling in parallel threads ("AST
        // constructor recursion depth mismatch"), an error of the fuzzer, not ours.
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
        // On a loaded CI machine generation can be slow: that is no finding.
        "--suppress-health-check",
        "all",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect();
    run(&schemathesis(python), &args, dir, Duration::from_secs(150))
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

backend_test! {
    async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_documents(backend) {
        let Some(python) = python() else { return };
        let app = spawn_app_with(TestOptions::on(backend).keeping_claims()).await;
        let seeded = seed(&app).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("schemathesis.toml"), config(&seeded)).unwrap();
        // The wallet API first: the management run may revoke the offer and retire keys.
        let runs = [
            (
                app.wallet.clone(),
                format!("Bearer {}", seeded.access_token),
                &[][..],
            ),
            // Swagger UI's static assets: nothing to generate.
            (
                app.management.clone(),
                format!("Bearer {ADMIN_KEY}"),
                &["--exclude-path-regex", "^/docs"][..],
            ),
        ];
        for (base, authorization, extra) in runs {
            let (python, path) = (python.clone(), dir.path().to_path_buf());
            let (ok, output) = tokio::task::spawn_blocking(move || {
                fuzz(&python, &path, &base, &authorization, extra)
            })
            .await
            .unwrap();
            assert!(ok, "schemathesis found problems:\n{}", tail(&output, 150));
            assert!(output.contains("passed"), "{}", tail(&output, 40));
            eprintln!("schemathesis:\n{}", tail(&output, 12));
        }
        app.stop().await;
    }
}

/// The response check has teeth: the real answer to `POST /offers` passes; the same answer
/// with a field renamed, a document without one of its fields, or with a new required one,
/// an undocumented status or media type do not.
#[tokio::test]
async fn the_response_check_rejects_a_changed_field_status_or_media_type() {
    let app = spawn_app().await;
    let response = app
        .admin(reqwest::Method::POST, "/offers")
        .json(&identity_offer())
        .send()
        .await
        .unwrap();
    let kind = Some("application/json");
    let created: Value = response.json().await.unwrap();
    let management = document(Api::Management);
    let check = |document: &Value, status: u16, kind: Option<&str>, body: &Value| {
        violations_in(document, "post", "/offers", status, kind, body)
    };
    assert_eq!(check(management, 201, kind, &created), Vec::<String>::new());

    let mut renamed = created.clone();
    let uri = renamed
        .as_object_mut()
        .unwrap()
        .remove("credential_offer_uri")
        .unwrap();
    renamed["offer_uri"] = uri;
    let found = check(management, 201, kind, &renamed);
    assert_eq!(found.len(), 2, "missing and unknown field: {found:?}");

    let mut wrong_type = created.clone();
    wrong_type["expires_at"] = json!(1_700_000_000);
    assert!(!check(management, 201, kind, &wrong_type).is_empty());
    let mut nested = created.clone();
    nested["credential_offer"]["grants"]["implicit"] = json!({});
    assert!(!check(management, 201, kind, &nested).is_empty());

    // The document changed without the handler: a field removed, a required one added.
    let mut removed = management.clone();
    let schema = &mut removed["components"]["schemas"]["OfferCreation"];
    schema["properties"]
        .as_object_mut()
        .unwrap()
        .remove("tx_code_value");
    assert!(!check(&removed, 201, kind, &created).is_empty());
    let mut added = management.clone();
    let schema = &mut added["components"]["schemas"]["OfferCreation"];
    schema["required"].as_array_mut().unwrap().push(json!("qr"));
    schema["properties"]["qr"] = json!({"type": "string"});
    assert!(!check(&added, 201, kind, &created).is_empty());

    assert!(!check(management, 202, kind, &created).is_empty());
    assert!(!check(management, 201, Some("text/plain"), &created).is_empty());
    // A body where the document has none.
    assert!(!violations_in(
        management,
        "delete",
        "/offers/{offer_id}",
        204,
        None,
        &created
    )
    .is_empty());

    // The wallet side: the token response without its token type.
    let reply = app.redeem(&created).await;
    assert_eq!(reply.status, 200);
    let wallet = document(Api::Wallet);
    let token = |body: &Value| violations_in(wallet, "post", "/token", 200, kind, body);
    assert_eq!(token(&reply.body), Vec::<String>::new());
    let mut untyped = reply.body.clone();
    untyped.as_object_mut().unwrap().remove("token_type");
    assert!(!token(&untyped).is_empty());
    app.stop().await;
}
