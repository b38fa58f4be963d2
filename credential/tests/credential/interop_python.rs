//! Runs the independent Python implementations of the interop tests: a script reads a JSON
//! request on stdin and fails with a message on the first problem. `mdoc_verify.py`
//! (pymdoccbor) runs in the virtualenv of `scripts/interop-venv.sh mdoc`. Shared by this
//! crate's interop tests and the service's HTTP tests (included there by path).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The virtualenv's python (`ISSUANCE_TEST_MDOC_PYTHON`, set by `scripts/test.sh`). Without
/// it (a targeted `cargo test`) the caller skips with a notice, except in CI, where it fails.
pub fn verifier_python() -> Option<String> {
    match std::env::var("ISSUANCE_TEST_MDOC_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("ISSUANCE_TEST_MDOC_PYTHON is not set: run scripts/test.sh")
        }
        _ => {
            eprintln!("skipped: ISSUANCE_TEST_MDOC_PYTHON not set (scripts/interop-venv.sh mdoc)");
            None
        }
    }
}

/// Verifies the documents of `request` (see `mdoc_verify.py`) with `python`; panics with
/// the verifier's message when it rejects one, else returns its summary.
pub fn verify_with_pymdoccbor(python: &str, request: &Value) -> Value {
    let script = Path::new(file!()).with_file_name("mdoc_verify.py");
    let script = if script.exists() {
        script
    } else {
        // `file!()` is relative to the workspace root; tests run in their package's root.
        Path::new("..").join(script)
    };
    let stdout = run_json_script(python, &script, request);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["ok"], true, "{summary}");
    summary
}

/// Runs `script` with `python`, `request` as JSON on stdin; panics with its output when it
/// fails, else returns its stdout.
pub fn run_json_script(python: &str, script: &Path, request: &Value) -> String {
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the interop python starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
