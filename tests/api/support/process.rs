//! The `issuance` binary as a separate process, and what its nodes share.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::TestDatabase;

/// Runs `issuance serve` on `data_dir` (and `database`, if given) on free ports, with
/// `env` on top; returns (exited successfully, stderr). One still running after 20 s has
/// started: it is killed, and counts as not refused.
pub fn serve_briefly(
    data_dir: &Path,
    database: Option<&TestDatabase>,
    env: &[(&str, &str)],
) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_issuance"));
    command
        .arg("serve")
        .env_remove("ISSUANCE_CONFIG")
        .env_remove("ISSUANCE_EVENT_STORE")
        .env_remove("ISSUANCE_READ_STORE")
        .env("ISSUANCE_DATA_DIR", data_dir)
        .env("ISSUANCE_WALLET_ADDR", "127.0.0.1:0")
        .env("ISSUANCE_MANAGEMENT_ADDR", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(database) = database {
        command.env("ISSUANCE_EVENT_STORE", database.url());
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            let output = child.wait_with_output().unwrap();
            return (
                output.status.success(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    (false, "still running after 20 s: it started".into())
}

/// Copies the issuer signing keys of one node's data directory into another's, as the
/// nodes of one deployment share them.
pub fn copy_keys(from: &Path, to: &Path) {
    let keys = to.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for entry in std::fs::read_dir(from.join("keys")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), keys.join(entry.file_name())).unwrap();
    }
}
