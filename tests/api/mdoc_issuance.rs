//! ISO mdoc (`mso_mdoc`) issuance over HTTP: the built-in mDL configuration, an offer with
//! a transaction code, a batch of two, each verified by `pymdoccbor` (an implementation we
//! did not write; `credential/tests/credential/mdoc_verify.py` in the virtualenv of
//! `scripts/interop-venv.sh mdoc`), and the refusals.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use josekit::jws::HS256;
use serde_json::{json, Value};

use crate::support::wallet::*;
use crate::support::*;

use crate::interop_python::{verifier_python, verify_with_pymdoccbor};

const MDL: &str = "org.iso.18013.5.1.mDL";
const MDL_NAMESPACE: &str = "org.iso.18013.5.1";

/// The MSO's `status.status_list` `(idx, uri)` of a base64url `IssuerSigned`.
fn mso_status(credential: &str) -> (u64, String) {
    use ciborium::value::Value as Cbor;
    let field = |map: &Cbor, name: &str| -> Cbor {
        map.as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .unwrap_or_else(|| panic!("no {name}"))
            .1
            .clone()
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(credential)
        .expect("base64url IssuerSigned");
    let issuer_signed: Cbor = ciborium::from_reader(bytes.as_slice()).unwrap();
    let issuer_auth = field(&issuer_signed, "issuerAuth");
    let payload = issuer_auth.as_array().unwrap()[2]
        .as_bytes()
        .unwrap()
        .clone();
    let Cbor::Tag(24, inner) = ciborium::from_reader(payload.as_slice()).unwrap() else {
        panic!("the MSO payload is not tag 24");
    };
    let mso: Cbor = ciborium::from_reader(inner.as_bytes().unwrap().as_slice()).unwrap();
    let reference = field(&field(&mso, "status"), "status_list");
    let idx = field(&reference, "idx").as_integer().unwrap();
    let uri = field(&reference, "uri").as_text().unwrap().to_string();
    (u64::try_from(idx).unwrap(), uri)
}

fn mdl_claims() -> Value {
    json!({MDL_NAMESPACE: {
        "family_name": "Mustermann", "given_name": "Erika", "birth_date": "1971-09-01",
        "issue_date": "2024-01-15", "expiry_date": "2034-01-14", "issuing_country": "DE",
        "issuing_authority": "Kraftfahrt-Bundesamt", "document_number": "T22000129",
        "portrait": STANDARD.encode([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]),
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2010-03-01",
                                "expiry_date": "2034-01-14", "codes": [{"code": "78"}]}],
        "un_distinguishing_sign": "D", "age_over_18": true, "height": 176
    }})
}

fn mdl_offer() -> Value {
    json!({
        "credential_configuration_id": MDL,
        "claims": mdl_claims(),
        "tx_code": {"length": 6},
    })
}

#[tokio::test]
async fn an_mdl_offer_with_tx_code_issues_a_batch_of_two_that_an_independent_verifier_accepts() {
    let app = spawn_app_with(TestOptions::default().set("issuer.batch_size", json!(2))).await;
    let metadata = app
        .wallet_get("/.well-known/openid-credential-issuer")
        .await
        .body;
    let entry = &metadata["credential_configurations_supported"][MDL];
    assert_eq!(entry["format"], "mso_mdoc");
    assert_eq!(entry["doctype"], MDL);
    assert_eq!(
        entry["cryptographic_binding_methods_supported"],
        json!(["cose_key"])
    );
    assert_eq!(
        entry["credential_signing_alg_values_supported"],
        json!([-7])
    );

    let created = app.create_offer(&mdl_offer()).await;
    let token = app.access_token(&created).await;
    let keys = [HolderKey::es256(), HolderKey::es256()];
    let reply = app
        .request_credentials(&token, MDL, &[&keys[0], &keys[1]])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let credentials: Vec<String> = reply.body["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credential"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(credentials.len(), 2);
    assert_ne!(credentials[0], credentials[1], "own salts and MSO per copy");
    // Each MSO carries its own entry in a status list this issuer serves.
    let statuses: Vec<(u64, String)> = credentials.iter().map(|c| mso_status(c)).collect();
    assert_ne!(statuses[0].0, statuses[1].0, "distinct indexes per copy");
    for (_, uri) in &statuses {
        assert!(
            uri.starts_with(&format!("{}/status-lists/", app.wallet)),
            "{uri}"
        );
        let path = uri.trim_start_matches(app.wallet.as_str());
        assert_eq!(app.wallet_get(path).await.status, 200, "{uri}");
    }

    let offer_id = offer_id(&created);
    let view = app.wait_for_status(&offer_id, "COMPLETED").await;
    assert_eq!(view["issued"].as_array().map(Vec::len), Some(2));
    let types = app.event_types(&offer_id).await;
    assert_eq!(
        types.iter().filter(|t| *t == "CredentialIssued").count(),
        2,
        "{types:?}"
    );

    let Some(python) = verifier_python() else {
        return;
    };
    let iaca = std::fs::read_to_string(app.data_dir.path().join("mdoc").join("iaca.pem")).unwrap();
    let request = json!({
        "doc_type": MDL,
        "iaca_pem": iaca,
        "now": now() + 1,
        "documents": credentials.iter().zip(&keys).map(|(credential, key)| json!({
            "credential": credential,
            "holder_jwk": key.public_json(),
            "elements": mdl_claims()[MDL_NAMESPACE].as_object().unwrap().len(),
        })).collect::<Vec<_>>(),
    });
    verify_with_pymdoccbor(&python, &request);
}

#[tokio::test]
async fn mdoc_claims_that_do_not_fit_the_namespaces_are_refused_with_details() {
    let app = spawn_app().await;
    let before = app.event_count().await;
    let mut claims = mdl_claims();
    let elements = claims[MDL_NAMESPACE].as_object_mut().unwrap();
    elements.remove("family_name");
    elements.insert("birth_date".into(), json!("01.09.1971"));
    elements.insert("shoe_size".into(), json!(42));
    let (status, body) = app
        .post_offer(&json!({"credential_configuration_id": MDL, "claims": claims}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_claims");
    let named: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["claim"].as_str().unwrap())
        .collect();
    for claim in [
        "org.iso.18013.5.1/family_name",
        "org.iso.18013.5.1/birth_date",
        "org.iso.18013.5.1/shoe_size",
    ] {
        assert!(named.contains(&claim), "{claim} in {named:?}");
    }

    let (status, body) = app
        .post_offer(&json!({
            "credential_configuration_ids": [MDL, "IdentityCredential"],
            "claims": mdl_claims(),
        }))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("one format"));
    assert_eq!(app.event_count().await, before, "nothing may be written");
}

#[tokio::test]
async fn an_mdoc_proof_with_an_unsupported_algorithm_is_an_invalid_proof() {
    let app = spawn_app().await;
    let created = app.create_offer(&mdl_offer()).await;
    let token = app.access_token(&created).await;
    let nonce = app.c_nonce().await;
    let header = josekit::jws::JwsHeader::from_map(
        json!({"typ": "openid4vci-proof+jwt", "jwk": HolderKey::es256().public_json()})
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap();
    let claims = json!({"aud": app.wallet, "iat": now(), "nonce": nonce});
    let signer = HS256
        .signer_from_bytes(b"a shared secret is no holder key")
        .unwrap();
    let proof =
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap();
    let reply = app
        .credential_request(
            &token,
            &json!({"credential_configuration_id": MDL, "proofs": {"jwt": [proof]}}),
        )
        .await;
    reply.assert_error(400, "invalid_proof");
}
