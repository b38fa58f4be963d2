//! The binary's command line: configuration errors, first-run admin key, key creation.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_issuance");

fn command(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ISSUANCE_DATA_DIR", data_dir)
        .env("ISSUANCE_WALLET_ADDR", "127.0.0.1:0")
        .env("ISSUANCE_MANAGEMENT_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    command
}

#[test]
fn an_invalid_configuration_names_the_file_field_and_problem_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("issuer.toml");
    std::fs::write(
        &config,
        issuance::config::BUILT_IN_CONFIG
            .replace("max_expires_in = 1800", "max_expires_in = \"soon\""),
    )
    .unwrap();
    let output = command(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&config.display().to_string()), "{stderr}");
    assert!(stderr.contains("offers.max_expires_in"), "{stderr}");
    assert!(stderr.contains("soon"), "{stderr}");
}

#[test]
fn an_invalid_environment_override_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = migrate_with(dir.path(), "ISSUANCE_PUBLIC_URL", "ftp://nope");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("public_url"), "{stderr}");
}

#[test]
fn a_missing_configuration_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .arg("--config")
        .arg(dir.path().join("absent.toml"))
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("absent.toml"));
}

#[test]
fn the_first_run_prints_one_admin_key_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(key) = line.split_whitespace().find(|w| w.starts_with("isk_")) {
                let _ = sender.send(key.to_string());
                return;
            }
        }
    });
    let key = receiver
        .recv_timeout(Duration::from_secs(60))
        .expect("the admin key is printed");
    let _ = child.kill();
    let _ = child.wait();
    let stored = std::fs::read_to_string(dir.path().join("api-keys.json")).unwrap();
    assert!(!stored.contains(&key), "only the hash is stored");
    let entries: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(entries[0]["name"], "admin");
    assert_eq!(entries[0]["scopes"], serde_json::json!(["admin"]));

    // A second start prints no new key.
    let mut child = command(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains("isk_"));
}

/// Runs `command`, asserting that it succeeds; its output.
fn succeed(command: &mut Command) -> std::process::Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A data directory with empty stores (`issuance migrate`).
fn migrated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    succeed(command(dir.path()).arg("migrate"));
    dir
}

#[test]
fn commands_that_read_the_stores_refuse_to_run_where_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["audit", "verify"][..],
        &["replay"],
        &[
            "keys",
            "create",
            "--name",
            "backend",
            "--scope",
            "offers:read",
        ],
        &["keys", "rotate"],
    ] {
        let output = command(dir.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("there is none at") && stderr.contains("events.db"),
            "{args:?}: {stderr}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }

    // `migrate` creates them; then the same commands run.
    let dir = migrated();
    succeed(command(dir.path()).args(["audit", "verify"]));
}

#[test]
fn keys_create_prints_a_key_with_the_requested_scopes() {
    let dir = migrated();
    let output = succeed(command(dir.path()).args([
        "keys",
        "create",
        "--name",
        "backend",
        "--scope",
        "offers:write",
        "--scope",
        "offers:read",
    ]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("isk_"))
        .unwrap();
    let keys = issuance::http::management::auth::ApiKeys::load(&[], None, dir.path()).unwrap();
    let found = keys.authenticate(key).unwrap();
    assert_eq!(found.name, "backend");

    let output = command(dir.path())
        .args(["keys", "create", "--name", "x", "--scope", "root"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown scope"));

    // Restricted to issuers: each checked, the list kept with the key.
    let restricted = [
        "keys",
        "create",
        "--name",
        "acme",
        "--scope",
        "offers:read",
        "--issuer",
        "acme",
        "--issuer",
        "default",
    ];
    let output = succeed(command(dir.path()).args(restricted));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("isk_"))
        .unwrap();
    let keys = issuance::http::management::auth::ApiKeys::load(&[], None, dir.path()).unwrap();
    let issuers = keys.authenticate(key).unwrap().issuers.clone();
    assert_eq!(
        issuers,
        Some(vec!["acme".to_string(), "default".to_string()])
    );
    let output = command(dir.path())
        .args([
            "keys",
            "create",
            "--name",
            "y",
            "--scope",
            "offers:read",
            "--issuer",
            "Acme",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid issuer id"));
}

#[test]
fn nested_settings_are_overridden_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = migrate_with(dir.path(), "ISSUANCE_OFFERS__MAX_EXPIRES_IN", "soon");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("offers.max_expires_in"), "{stderr}");
}

/// `issuance migrate` on `dir` with one more environment variable; (exit code, stderr).
fn migrate_with(dir: &std::path::Path, variable: &str, value: &str) -> (Option<i32>, String) {
    let output = command(dir)
        .env(variable, value)
        .arg("migrate")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_environment_variable_that_names_no_setting_stops_the_start_with_the_valid_names() {
    for variable in [
        "ISSUANCE_DATA_DIRR",
        "ISSUANCE_RETENTION__ERASE_CLAIMS_AFTER_HOUR",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, stderr) = migrate_with(dir.path(), variable, "1");
        assert_eq!(code, Some(2), "{variable}");
        let name = variable.rsplit("__").next().unwrap().to_ascii_lowercase();
        assert!(
            stderr.to_ascii_lowercase().contains(&name),
            "{variable}: {stderr}"
        );
        assert!(!dir.path().join("events.db").exists(), "nothing opened");
    }
    // The unknown top-level name lists the valid ones.
    let dir = tempfile::tempdir().unwrap();
    let (_, stderr) = migrate_with(dir.path(), "ISSUANCE_DATA_DIRR", "x");
    assert!(stderr.contains("ISSUANCE_DATA_DIR,"), "{stderr}");
    assert!(stderr.contains("ISSUANCE_RETENTION"), "{stderr}");
    // Variables of the test suite and the configuration file's are not settings.
    let (code, stderr) = migrate_with(dir.path(), "ISSUANCE_TEST_ANYTHING", "x");
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_short_admin_key_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .env("ISSUANCE_ADMIN_KEY", "short-admin-key")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("admin_key") && stderr.contains("32"),
        "{stderr}"
    );
}

#[test]
fn keys_create_refuses_reserved_and_taken_names() {
    let dir = migrated();
    for name in ["system", "wallet", "scheduler"] {
        let output = command(dir.path())
            .args(["keys", "create", "--name", name, "--scope", "offers:read"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("reserved"), "{stderr}");
    }
    let output = command(dir.path())
        .env("ISSUANCE_ADMIN_KEY", "k".repeat(32))
        .args([
            "keys",
            "create",
            "--name",
            "admin",
            "--scope",
            "offers:read",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("exists"));
}
