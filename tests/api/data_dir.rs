//! The data directory: owner-only modes whatever the umask, one process at a time, and
//! `replay` under the projectors' leases.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::json;

use crate::audit_support::run_cli;
use crate::support::process::serve_briefly;
use crate::support::wallet::HolderKey;
use crate::support::*;

/// Every file and directory under `dir` (itself included) whose mode is not 0600 (files)
/// or 0700 (directories).
fn loose_modes(dir: &Path) -> Vec<String> {
    let mut loose = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        // SQLite's transient files (journals, the checkpointer's) may go between listing and
        // looking: a file that is gone has no mode to check.
        let metadata = match std::fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let mode = metadata.permissions().mode() & 0o777;
        let expected = if metadata.is_dir() { 0o700 } else { 0o600 };
        if mode != expected {
            loose.push(format!("{} {mode:o}", path.display()));
        }
        if metadata.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap().flatten() {
                pending.push(entry.path());
            }
        }
    }
    loose
}

#[tokio::test]
async fn the_data_directory_and_its_files_are_owner_only_whatever_the_umask() {
    // Arrange: the most permissive umask (process-wide: other tests meanwhile only create
    // files more openly, which nothing checks), and a data directory that does not exist.
    let previous = rustix::process::umask(rustix::fs::Mode::empty());
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    let app = spawn_app_with(TestOptions::default().set("data_dir", json!(data_dir))).await;

    // Act: a whole flow, so that every store, WAL and key file exists.
    let created = app.create_offer(&identity_offer()).await;
    let token = app.access_token(&created).await;
    let nonce = app.c_nonce().await;
    let holder = HolderKey::es256();
    let reply = app
        .credential_request(
            &token,
            &json!({
                "credential_configuration_id": "IdentityCredential",
                "proofs": {"jwt": [holder.proof(&app.wallet, &nonce)]}
            }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let running = loose_modes(&data_dir);
    let files: Vec<String> = std::fs::read_dir(&data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    app.stop().await;
    rustix::process::umask(previous);

    // Assert
    for expected in [
        "events.db",
        "events.db-wal",
        "views.db-wal",
        "keys",
        "secrets",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} in {files:?}"
        );
    }
    assert!(running.is_empty(), "not owner-only: {running:?}");
    assert!(loose_modes(&data_dir).is_empty());
}

#[tokio::test]
async fn a_second_process_on_the_same_data_directory_refuses_to_start() {
    // Arrange: a running service.
    let app = spawn_app().await;
    let data_dir = app.data_dir.path();

    // Act: a second service, and a replay, on its data directory.
    let (ok, serve_error) = serve_briefly(data_dir, None, &[]);
    let (replayed, _, replay_error) = run_cli(data_dir, None, &["replay"]);
    // Reading is allowed beside the service.
    let (verified, _, verify_error) = run_cli(data_dir, None, &["audit", "verify"]);

    // Assert
    assert!(!ok, "a second service started");
    assert!(
        serve_error.contains("another issuance process") && serve_error.contains("issuance.lock"),
        "{serve_error}"
    );
    assert!(
        serve_error.contains(&format!("pid {}", std::process::id())),
        "{serve_error}"
    );
    assert!(!replayed, "replay ran beside the service");
    assert!(
        replay_error.contains("another issuance process"),
        "{replay_error}"
    );
    assert!(verified, "{verify_error}");

    // Once the service stopped, the directory is free again.
    let stopped = app.shutdown().await;
    let (replayed, stdout, stderr) = run_cli(stopped.data_dir.path(), None, &["replay"]);
    assert!(replayed, "{stdout}\n{stderr}");
}

#[tokio::test]
async fn replay_takes_the_projector_leases_on_a_shared_database() {
    // Arrange: a node on PostgreSQL holds the projectors' leases.
    let app = spawn_app_on(Backend::Postgres).await;
    let created = app.create_offer(&identity_offer()).await;
    // Read back through the view: its projector runs, so it holds its lease.
    let (status, _) = app
        .get_json(&format!(
            "/offers/{}",
            created["offer_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    // Another node's data directory, with the deployment's server secret.
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = std::fs::read(app.data_dir.path().join("secrets/server.key")).unwrap();
    std::fs::create_dir(elsewhere.path().join("secrets")).unwrap();
    std::fs::write(elsewhere.path().join("secrets/server.key"), secret).unwrap();

    // Act: a replay from another machine's data directory on the same database.
    let (replayed, stdout, stderr) = run_cli(
        elsewhere.path(),
        app.database.as_deref(),
        &["replay", "--projection", "offer_view"],
    );

    // Assert: refused while the node runs; done once it stopped.
    assert!(!replayed, "{stdout}");
    assert!(
        stderr.contains("`offer_view` projector lease is held"),
        "{stderr}"
    );
    let stopped = app.shutdown().await;
    let (replayed, stdout, stderr) = run_cli(
        elsewhere.path(),
        stopped.database.as_deref(),
        &["replay", "--projection", "offer_view"],
    );
    assert!(replayed, "{stdout}\n{stderr}");
    assert!(stdout.contains("offer_view: replayed"), "{stdout}");
}
