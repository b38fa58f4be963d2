//! Our Status List Tokens checked by implementations we did not write (Python, in the
//! virtualenv of `scripts/interop-venv.sh`): `token-status-list` decodes every entry of
//! `lst`, `jwcrypto` verifies the JWT, `pycose` the CWT's COSE_Sign1.
//!
//! `scripts/test.sh` sets `ISSUANCE_TEST_PYTHON`; a run without it (a targeted
//! `cargo test`) skips with a notice, except in CI, where it fails.

use issuance_credential::status_list::{
    sign_status_list_cwt, sign_status_list_jwt, IndexPermutation, StatusBits, StatusList,
    StatusListTokenInput,
};
use issuance_credential::IssuerKeys;
use serde_json::{json, Value};

use crate::interop_python::run_json_script;

const SIZE: u32 = 131_072;
const IAT: i64 = 1_750_000_000;

fn python() -> Option<String> {
    match std::env::var("ISSUANCE_TEST_PYTHON") {
        Ok(python) if !python.is_empty() => Some(python),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("ISSUANCE_TEST_PYTHON is not set: run scripts/test.sh")
        }
        _ => None,
    }
}

/// One list per width: 40 entries at permuted indexes, cycling through the width's values.
fn case(keys: &IssuerKeys, bits: StatusBits) -> Value {
    let uri = format!(
        "https://issuer.example.com/status-lists/bits-{}",
        bits.get()
    );
    let permutation = IndexPermutation::new(b"interop", &uri, SIZE).unwrap();
    let mut list = StatusList::new(bits, SIZE).unwrap();
    let mut statuses = Vec::new();
    for (n, index) in permutation.indexes(0..40).enumerate() {
        let value = (n as u8 % bits.max_value()) + 1;
        list.set(index, value).unwrap();
        statuses.push(json!([index, value]));
    }
    let encoded = list.encode().unwrap();
    let input = StatusListTokenInput {
        uri: &uri,
        issuer: None,
        issued_at: IAT,
        expires_at: Some(IAT + 86_400),
        ttl: Some(300),
        list: &encoded,
    };
    let cwt = sign_status_list_cwt(keys.active(), &input).unwrap();
    json!({
        "uri": uri,
        "bits": bits.get(),
        "size": SIZE,
        "statuses": statuses,
        "jwt": sign_status_list_jwt(keys.active(), &input).unwrap(),
        "cwt_hex": cwt.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    })
}

#[test]
fn independent_python_implementations_verify_and_decode_our_tokens() {
    let Some(python) = python() else {
        eprintln!("skipped: ISSUANCE_TEST_PYTHON not set (scripts/interop-venv.sh makes one)");
        return;
    };
    let keys = IssuerKeys::ephemeral().unwrap();
    let bits = [
        StatusBits::One,
        StatusBits::Two,
        StatusBits::Four,
        StatusBits::Eight,
    ];
    let request = json!({
        "jwk": keys.active().public_jwk().as_ref(),
        "cases": bits.iter().map(|b| case(&keys, *b)).collect::<Vec<_>>(),
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/check_status_list.py"
    );
    let stdout = run_json_script(&python, std::path::Path::new(script), &request);
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok:")).count(), 4);
}
