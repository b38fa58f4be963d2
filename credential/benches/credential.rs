//! Issuance and proof-verification cost: one SD-JWT VC with ten claims (SD and plain, a
//! nested object, an array with SD elements), one ISO mdoc with ten data elements (without
//! and with a 20 kB portrait), and one ES256 proof verification. Token Status List cost:
//! building, compressing and signing the default list (131,072 entries of 2 bits) at several
//! revocation rates, and one index allocation.

// Benchmark set-up: a panic only aborts the benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use issuance_credential::mdoc::dev_certificates::{
    generate_development_chain, DevelopmentChainRequest,
};
use issuance_credential::status_list::{
    sign_status_list_cwt, sign_status_list_jwt, IndexPermutation, StatusBits, StatusList,
    StatusListTokenInput,
};
use issuance_credential::{
    issue_mdoc, issue_sd_jwt_vc, verify_proof_jwt, DataElements, IssuerKeys, MdocInput,
    ProofExpectations, SdJwtVcInput, ValidityInfo,
};
use issuance_domain::credential_config::ClaimDefinition;
use issuance_domain::mdoc_config::{
    MdocClaimDefinition, MdocConfiguration, MdocValueType, COSE_ALG_ES256,
};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, ES256};
use serde_json::{json, Map, Value};

const ISSUER: &str = "https://issuer.example.com";
const NOW: i64 = 1_750_000_000;

fn definition(path: Value, sd: bool) -> ClaimDefinition {
    ClaimDefinition {
        path: serde_json::from_value(path).unwrap(),
        mandatory: false,
        selectively_disclosable: sd,
        value_type: None,
        display: vec![],
    }
}

fn issuance(c: &mut Criterion) {
    let keys = IssuerKeys::ephemeral().unwrap();
    let holder = Jwk::generate_ec_key(EcCurve::P256)
        .unwrap()
        .to_public_key()
        .unwrap();
    let definitions = vec![
        definition(json!(["given_name"]), true),
        definition(json!(["family_name"]), true),
        definition(json!(["birthdate"]), true),
        definition(json!(["email"]), true),
        definition(json!(["document_number"]), true),
        definition(json!(["age_over_18"]), false),
        definition(json!(["issuing_country"]), false),
        definition(json!(["address"]), true),
        definition(json!(["address", "locality"]), true),
        definition(json!(["address", "country"]), false),
        definition(json!(["nationalities", null]), true),
    ];
    let claims: Map<String, Value> = json!({
        "given_name": "Erika", "family_name": "Mustermann", "birthdate": "1964-08-12",
        "email": "erika@example.org", "document_number": "T22000129", "age_over_18": true,
        "issuing_country": "DE", "address": {"locality": "Koeln", "country": "DE"},
        "nationalities": ["DE", "FR"], "member_since": 2019
    })
    .as_object()
    .unwrap()
    .clone();
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: "https://issuer.example.com/vct/identity",
        vct_integrity: None,
        issued_at: NOW,
        expires_at: NOW + 86_400,
        holder_jwk: &holder,
        claims: &claims,
        definitions: &definitions,
        status: None,
    };
    c.bench_function("issue_sd_jwt_vc/10_claims", |b| {
        b.iter(|| issue_sd_jwt_vc(keys.active(), black_box(&input)).unwrap())
    });
}

fn mdl_configuration() -> MdocConfiguration {
    let claim = |element: &str, value_type| MdocClaimDefinition {
        namespace: "org.iso.18013.5.1".into(),
        element: element.into(),
        mandatory: false,
        value_type,
        display: vec![],
    };
    MdocConfiguration {
        id: "mDL".into(),
        doctype: "org.iso.18013.5.1.mDL".into(),
        scope: "mdl".into(),
        display: vec![],
        claims: vec![
            claim("family_name", MdocValueType::Tstr),
            claim("given_name", MdocValueType::Tstr),
            claim("birth_date", MdocValueType::FullDate),
            claim("issue_date", MdocValueType::FullDate),
            claim("expiry_date", MdocValueType::FullDate),
            claim("issuing_country", MdocValueType::Tstr),
            claim("issuing_authority", MdocValueType::Tstr),
            claim("document_number", MdocValueType::Tstr),
            claim("age_over_18", MdocValueType::Bool),
            claim("driving_privileges", MdocValueType::DrivingPrivileges),
            claim("portrait", MdocValueType::Bstr),
        ],
        validity_seconds: 86_400,
        credential_signing_alg_values_supported: vec![COSE_ALG_ES256],
    }
}

/// The mdoc counterpart of `issuance`: ten data elements (the claims converted per request,
/// as the credential endpoint will), then with a 20 kB portrait as an eleventh.
fn mdoc_issuance(c: &mut Criterion) {
    let chain = generate_development_chain(&DevelopmentChainRequest {
        country: "DE",
        organization: "Example Bank",
        issuer_url: ISSUER,
        crl_url: None,
        not_before: NOW - 60,
    })
    .unwrap();
    let key = chain.document_signer(NOW).unwrap();
    let holder = Jwk::generate_ec_key(EcCurve::P256)
        .unwrap()
        .to_public_key()
        .unwrap();
    let configuration = mdl_configuration();
    let mut claims = json!({"org.iso.18013.5.1": {
        "family_name": "Mustermann", "given_name": "Erika", "birth_date": "1964-08-12",
        "issue_date": "2024-01-15", "expiry_date": "2034-01-14", "issuing_country": "DE",
        "issuing_authority": "Kraftfahrt-Bundesamt", "document_number": "T22000129",
        "age_over_18": true,
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2010-03-01"}]
    }});
    let validity = ValidityInfo {
        signed: NOW,
        valid_from: NOW,
        valid_until: NOW + 86_400,
    };
    let mut rng = rand::rngs::OsRng;
    for (name, portrait) in [
        ("10_elements", None),
        ("10_elements_20kb_portrait", Some(20_000)),
    ] {
        if let Some(bytes) = portrait {
            claims["org.iso.18013.5.1"]["portrait"] = json!(STANDARD.encode(vec![0x5a; bytes]));
        }
        let claims: Map<String, Value> = claims.as_object().unwrap().clone();
        c.bench_function(&format!("issue_mdoc/{name}"), |b| {
            b.iter(|| {
                let elements =
                    DataElements::from_claims(&configuration, black_box(&claims)).unwrap();
                let input = MdocInput {
                    doc_type: &configuration.doctype,
                    elements: &elements,
                    holder_jwk: &holder,
                    validity,
                    status: None,
                };
                issue_mdoc(&key, &input, &mut rng).unwrap()
            })
        });
    }
}

fn proof_verification(c: &mut Criterion) {
    let wallet = Jwk::generate_ec_key(EcCurve::P256).unwrap();
    let signer = ES256.signer_from_jwk(&wallet).unwrap();
    let mut header = JwsHeader::new();
    header.set_token_type("openid4vci-proof+jwt");
    header.set_jwk(wallet.to_public_key().unwrap());
    let claims = json!({"aud": ISSUER, "iat": NOW, "nonce": "wKI4LT17ac15ES9bw8ac4"});
    let jwt =
        josekit::jws::serialize_compact(claims.to_string().as_bytes(), &header, &signer).unwrap();
    let expect = ProofExpectations {
        audience: ISSUER,
        now: NOW,
        max_age_seconds: 300,
        max_future_skew_seconds: 60,
        allowed_algs: &["ES256", "EdDSA"],
        client_id: None,
    };
    c.bench_function("verify_proof_jwt/es256", |b| {
        b.iter(|| verify_proof_jwt(black_box(&jwt), &expect).unwrap())
    });
}

/// The default list with `per_mille` of its entries revoked or suspended, at permuted
/// (random-looking) indexes as issuance places them.
fn default_list(per_mille: u32) -> StatusList {
    const SIZE: u32 = 131_072;
    let permutation = IndexPermutation::new(b"bench", "list", SIZE).unwrap();
    let mut list = StatusList::new(StatusBits::Two, SIZE).unwrap();
    for (n, index) in permutation.indexes(0..SIZE * per_mille / 1000).enumerate() {
        list.set(index, 1 + (n % 2) as u8).unwrap();
    }
    list
}

fn status_list(c: &mut Criterion) {
    let keys = IssuerKeys::ephemeral().unwrap();
    let mut group = c.benchmark_group("status_list_131072x2");
    for per_mille in [0, 10, 100] {
        let list = default_list(per_mille);
        let encoded = list.encode().unwrap();
        println!(
            "status list 131,072 x 2 bits, {} % set: {} compressed bytes, JWT {} bytes",
            per_mille as f64 / 10.0,
            encoded.compressed().len(),
            encoded.lst().len()
        );
        group.bench_function(format!("encode/{per_mille}permille"), |b| {
            b.iter(|| black_box(&list).encode().unwrap())
        });
        let input = StatusListTokenInput {
            uri: "https://issuer.example.com/status-lists/1",
            issuer: None,
            issued_at: NOW,
            expires_at: Some(NOW + 86_400),
            ttl: Some(300),
            list: &encoded,
        };
        group.bench_function(format!("sign_jwt/{per_mille}permille"), |b| {
            b.iter(|| sign_status_list_jwt(keys.active(), black_box(&input)).unwrap())
        });
        group.bench_function(format!("sign_cwt/{per_mille}permille"), |b| {
            b.iter(|| sign_status_list_cwt(keys.active(), black_box(&input)).unwrap())
        });
    }
    let mut list = default_list(10);
    group.bench_function("set_one_entry", |b| {
        b.iter(|| list.set(black_box(77_777), 2).unwrap())
    });
    group.finish();
    let permutation = IndexPermutation::new(b"bench", "list", 131_072).unwrap();
    let mut position = 0u32;
    c.bench_function("status_list_index/131072", |b| {
        b.iter(|| {
            position = (position + 1) % 131_072;
            permutation.index(black_box(position)).unwrap()
        })
    });
}

criterion_group!(
    benches,
    issuance,
    mdoc_issuance,
    proof_verification,
    status_list
);
criterion_main!(benches);
