//! Nodes sharing a database must share the server secret and the signing keys: the shared
//! store records their fingerprints, and a node with others refuses to start.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::support::process::{copy_keys, serve_briefly};
use crate::support::*;

fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

async fn records(database: &TestDatabase) -> Vec<(String, String)> {
    let rows = database
        .client()
        .await
        .query(
            "SELECT name, value FROM deployment_records ORDER BY name",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test]
async fn a_node_with_another_server_secret_or_signing_key_refuses_to_start() {
    // Arrange: a first node on a PostgreSQL schema records the deployment's secrets.
    let secret = random_secret();
    let first =
        spawn_app_with(TestOptions::on(Backend::Postgres).set("server_secret", json!(secret)))
            .await;
    let database = first.database.clone().unwrap();
    let recorded = records(&database).await;
    let names: Vec<&str> = recorded.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["server_secret", "signing_key"]);
    assert!(
        recorded.iter().all(|(_, v)| !v.contains(&secret)),
        "a fingerprint, never the secret"
    );

    // Act + assert: another server secret (with the right keys) is refused, naming it;
    // the right secret with a signing key of its own is refused, naming the key.
    let second_dir = tempfile::tempdir().unwrap();
    copy_keys(first.data_dir.path(), second_dir.path());
    let third_dir = tempfile::tempdir().unwrap();
    let other = random_secret();
    for (dir, node_secret, differs, same) in [
        (
            second_dir.path(),
            &other,
            "server secret differs",
            "signing key differs",
        ),
        (
            third_dir.path(),
            &secret,
            "signing key differs",
            "server secret differs",
        ),
    ] {
        let (ok, stderr) = serve_briefly(
            dir,
            Some(&database),
            &[
                ("ISSUANCE_SERVER_SECRET", node_secret),
                ("ISSUANCE_ADMIN_KEY", ADMIN_KEY),
            ],
        );
        assert!(!ok, "{stderr}");
        assert!(stderr.contains(differs), "{stderr}");
        assert!(!stderr.contains(same), "{stderr}");
    }

    // The same secret and keys start; a deployment from before the records (none stored)
    // gets them written at its next start.
    database
        .client()
        .await
        .batch_execute("DELETE FROM deployment_records")
        .await
        .unwrap();
    let second = spawn_app_with(
        TestOptions {
            data_dir: Some(Arc::new(second_dir)),
            database: Some(database.clone()),
            ..TestOptions::on(Backend::Postgres)
        }
        .set("server_secret", json!(secret)),
    )
    .await;
    assert_eq!(records(&database).await, recorded);
    second.shutdown().await;
    first.shutdown().await;
}
