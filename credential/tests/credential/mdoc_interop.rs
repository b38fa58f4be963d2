//! Issue mdocs and verify them with an independent implementation, `pymdoccbor` from PyPI
//! (with `pycose`, `cbor2` and `cryptography` underneath), run by `mdoc_verify.py` in the
//! virtualenv of `scripts/interop-venv.sh mdoc`.
//!
//! It checks issuerAuth against the document signer certificate and that certificate
//! against the development IACA root, every item digest, deviceKey against the proof key,
//! validity and docType, for a batch of P-256, P-384 and Ed25519 holder keys.

use std::time::{SystemTime, UNIX_EPOCH};

use issuance_credential::mdoc::dev_certificates::{
    generate_development_chain, DevelopmentChainRequest,
};
use issuance_credential::{issue_mdoc, DataElements, Jwk, MdocInput, ValidityInfo};
use josekit::jwk::alg::ec::EcCurve;
use rand::rngs::OsRng;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::interop_python::{verifier_python, verify_with_pymdoccbor};
use crate::mdoc::{mdl_claims, mdl_configuration, MDL_DOCTYPE};

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn pymdoccbor_verifies_a_batch_of_issued_mdocs() {
    let Some(python) = verifier_python() else {
        return;
    };
    // pymdoccbor checks the certificates against the real clock, so the chain starts now.
    let now = unix_now();
    let chain = generate_development_chain(&DevelopmentChainRequest {
        country: "DE",
        organization: "Example Bank",
        issuer_url: ISSUER,
        crl_url: Some("https://issuer.example.com/iaca.crl"),
        not_before: now - 60,
    })
    .unwrap();
    let key = chain.document_signer(now).unwrap();
    let elements = DataElements::from_claims(&mdl_configuration(), &mdl_claims(2_000)).unwrap();
    let holders: Vec<Jwk> = vec![
        es256_wallet().public,
        Jwk::generate_ec_key(EcCurve::P384)
            .unwrap()
            .to_public_key()
            .unwrap(),
        ed25519_wallet().public,
    ];
    let documents: Vec<Value> = holders
        .iter()
        .map(|holder| {
            let input = MdocInput {
                doc_type: MDL_DOCTYPE,
                elements: &elements,
                holder_jwk: holder,
                validity: ValidityInfo {
                    signed: now,
                    valid_from: now,
                    valid_until: now + 30 * 86_400,
                },
                status: None,
            };
            let issued = issue_mdoc(&key, &input, &mut OsRng).unwrap();
            json!({
                "credential": issued.credential(),
                "holder_jwk": Value::Object(holder.as_ref().clone()),
                "elements": issued.element_count,
            })
        })
        .collect();
    let request = json!({
        "doc_type": MDL_DOCTYPE,
        "iaca_pem": chain.iaca_certificate_pem,
        "now": now + 1,
        "documents": documents,
    });

    let summary = verify_with_pymdoccbor(&python, &request);
    let kinds: Vec<&str> = summary["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["verified_items"], 17);
            d["device_key"].as_str().unwrap()
        })
        .collect();
    assert_eq!(kinds, vec!["EC2Key", "EC2Key", "OKPKey"]);
}
