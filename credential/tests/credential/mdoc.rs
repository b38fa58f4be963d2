//! mdoc issuance checked from the outside: the output is decoded with ciborium and coset,
//! the signature verified with the document signer certificate's key, every digest
//! recomputed over the bytes as sent, and determinism, batches and refusals exercised.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ciborium::value::Value;
use coset::{iana, CborSerializable, CoseSign1, Label};
use issuance_credential::mdoc::cbor::encode;
use issuance_credential::mdoc::cose_key_from_jwk;
use issuance_credential::mdoc::dev_certificates::{
    generate_development_chain, DevelopmentChain, DevelopmentChainRequest,
};
use issuance_credential::{
    issue_mdoc, DataElements, IssuedMdoc, IssuerKeys, Jwk, MdocError, MdocInput, SigningKey,
    ValidityInfo,
};
use issuance_domain::mdoc_config::{
    MdocClaimDefinition, MdocConfiguration, MdocValueType, COSE_ALG_ES256,
};
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::x509::X509;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";

fn claim(element: &str, mandatory: bool, value_type: MdocValueType) -> MdocClaimDefinition {
    MdocClaimDefinition {
        namespace: MDL_NAMESPACE.into(),
        element: element.into(),
        mandatory,
        value_type,
        display: vec![],
    }
}

/// An mDL configuration with an element of every value type and a second namespace.
pub fn mdl_configuration() -> MdocConfiguration {
    let mut claims = vec![
        claim("family_name", true, MdocValueType::Tstr),
        claim("given_name", true, MdocValueType::Tstr),
        claim("birth_date", true, MdocValueType::FullDate),
        claim("issue_date", true, MdocValueType::FullDate),
        claim("expiry_date", true, MdocValueType::FullDate),
        claim("issuing_country", true, MdocValueType::Tstr),
        claim("issuing_authority", true, MdocValueType::Tstr),
        claim("document_number", true, MdocValueType::Tstr),
        claim("portrait", true, MdocValueType::Bstr),
        claim("driving_privileges", true, MdocValueType::DrivingPrivileges),
        claim("un_distinguishing_sign", true, MdocValueType::Tstr),
        claim("height", false, MdocValueType::Uint),
        claim("age_over_18", false, MdocValueType::Bool),
        claim("issue_time", false, MdocValueType::Tdate),
        claim("nationalities", false, MdocValueType::Array),
        claim("residence", false, MdocValueType::Map),
    ];
    claims.push(MdocClaimDefinition {
        namespace: "org.iso.18013.5.1.aamva".into(),
        element: "organ_donor".into(),
        mandatory: false,
        value_type: MdocValueType::Uint,
        display: vec![],
    });
    MdocConfiguration {
        id: "mDL".into(),
        doctype: MDL_DOCTYPE.into(),
        scope: "mdl".into(),
        display: vec![],
        claims,
        validity_seconds: 365 * 86_400,
        credential_signing_alg_values_supported: vec![COSE_ALG_ES256],
    }
}

/// Claims for [`mdl_configuration`] with a portrait of `portrait_bytes` bytes.
pub fn mdl_claims(portrait_bytes: usize) -> Map<String, Json> {
    let portrait: Vec<u8> = (0..portrait_bytes).map(|i| (i % 251) as u8).collect();
    json!({
        MDL_NAMESPACE: {
            "family_name": "Mustermann", "given_name": "Erika", "birth_date": "1971-09-01",
            "issue_date": "2024-01-15", "expiry_date": "2034-01-14", "issuing_country": "DE",
            "issuing_authority": "Kraftfahrt-Bundesamt", "document_number": "T22000129",
            "portrait": STANDARD.encode(portrait),
            "driving_privileges": [
                {"vehicle_category_code": "B", "issue_date": "2010-03-01",
                 "expiry_date": "2034-01-14", "codes": [{"code": "78"}]},
                {"vehicle_category_code": "AM"}
            ],
            "un_distinguishing_sign": "D", "height": 176, "age_over_18": true,
            "issue_time": "2024-01-15T10:00:00Z", "nationalities": ["DE", "FR"],
            "residence": {"city": "Berlin", "postal_code": 10115}
        },
        "org.iso.18013.5.1.aamva": {"organ_donor": 1}
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A development chain and its document signer key.
pub fn document_signer() -> (DevelopmentChain, SigningKey) {
    let chain = generate_development_chain(&DevelopmentChainRequest {
        country: "DE",
        organization: "Example Bank",
        issuer_url: ISSUER,
        crl_url: None,
        not_before: NOW - 3600,
    })
    .unwrap();
    let key = chain.document_signer(NOW).unwrap();
    (chain, key)
}

pub fn validity() -> ValidityInfo {
    ValidityInfo {
        signed: NOW,
        valid_from: NOW,
        valid_until: NOW + 365 * 86_400,
    }
}

pub fn issue(key: &SigningKey, holder: &Jwk, elements: &DataElements, seed: u64) -> IssuedMdoc {
    let input = MdocInput {
        doc_type: MDL_DOCTYPE,
        elements,
        holder_jwk: holder,
        validity: validity(),
        status: None,
    };
    issue_mdoc(key, &input, &mut StdRng::seed_from_u64(seed)).unwrap()
}

/// An mDL with a portrait of `portrait_bytes` for a fresh P-256 holder, salts from `seed`.
fn issue_mdl(portrait_bytes: usize, seed: u64) -> IssuedMdoc {
    let (_, key) = document_signer();
    let holder = es256_wallet().public;
    let elements =
        DataElements::from_claims(&mdl_configuration(), &mdl_claims(portrait_bytes)).unwrap();
    issue(&key, &holder, &elements, seed)
}

fn decode(bytes: &[u8]) -> Value {
    ciborium::de::from_reader(bytes).unwrap()
}

fn member<'a>(map: &'a Value, name: &str) -> &'a Value {
    map.as_map()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no member {name}"))
}

fn untag(value: &Value, tag: u64) -> &Value {
    match value {
        Value::Tag(t, inner) if *t == tag => inner,
        other => panic!("expected tag {tag}, got {other:?}"),
    }
}

/// The parts of an issued mdoc a verifier looks at.
struct Decoded {
    name_spaces: Value,
    sign1: CoseSign1,
    mso: Value,
}

fn decoded(issued: &IssuedMdoc) -> Decoded {
    let issuer_signed = decode(&issued.issuer_signed);
    let keys: Vec<_> = issuer_signed
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_text().unwrap().to_string())
        .collect();
    assert_eq!(keys, vec!["issuerAuth", "nameSpaces"]);
    let issuer_auth = encode(member(&issuer_signed, "issuerAuth")).unwrap();
    assert_eq!(
        issuer_auth[0], 0x84,
        "untagged four-element COSE_Sign1 array"
    );
    let sign1 = CoseSign1::from_slice(&issuer_auth).unwrap();
    let payload = sign1.payload.clone().unwrap();
    assert_eq!(payload[..2], [0xd8, 0x18], "payload is #6.24(bstr)");
    let mso = decode(untag(&decode(&payload), 24).as_bytes().unwrap());
    Decoded {
        name_spaces: member(&issuer_signed, "nameSpaces").clone(),
        sign1,
        mso,
    }
}

fn verify_signature(sign1: &CoseSign1, certificate_der: &[u8]) {
    let key = X509::from_der(certificate_der)
        .unwrap()
        .public_key()
        .unwrap()
        .ec_key()
        .unwrap();
    sign1
        .verify_signature(b"", |signature, to_be_signed| {
            assert_eq!(signature.len(), 64, "raw r || s, not DER");
            let signature = EcdsaSig::from_private_components(
                BigNum::from_slice(&signature[..32]).unwrap(),
                BigNum::from_slice(&signature[32..]).unwrap(),
            )
            .unwrap();
            match signature.verify(&Sha256::digest(to_be_signed), &key) {
                Ok(true) => Ok(()),
                _ => Err("signature does not verify"),
            }
        })
        .unwrap();
}

#[test]
fn issuer_auth_is_an_es256_cose_sign1_verified_by_the_document_signer_certificate() {
    let issued = issue_mdl(300, 1);
    let Decoded { sign1, .. } = decoded(&issued);

    assert_eq!(
        sign1.protected.original_data.as_deref(),
        Some(&[0xa1, 0x01, 0x26][..]),
        "protected header is exactly {{1: -7}}"
    );
    assert_eq!(
        sign1.protected.header.alg,
        Some(coset::Algorithm::Assigned(iana::Algorithm::ES256))
    );
    let x5chain = sign1
        .unprotected
        .rest
        .iter()
        .find(|(label, _)| *label == Label::Int(33))
        .map(|(_, v)| v.as_bytes().unwrap().clone())
        .unwrap();
    let certificate = X509::from_der(&x5chain).unwrap();
    let common_name = certificate
        .subject_name()
        .entries()
        .last()
        .unwrap()
        .data()
        .to_string();
    assert!(common_name.unwrap().contains("Document Signer"));
    verify_signature(&sign1, &x5chain);

    let mut tampered = sign1.clone();
    tampered.signature[5] ^= 1;
    assert!(std::panic::catch_unwind(|| verify_signature(&tampered, &x5chain)).is_err());
}

#[test]
fn the_mso_lists_a_digest_of_every_item_exactly_as_sent() {
    // 70,000 bytes: the portrait item needs a four-byte length head.
    let issued = issue_mdl(70_000, 2);
    let Decoded {
        name_spaces, mso, ..
    } = decoded(&issued);

    assert_eq!(member(&mso, "version").as_text(), Some("1.0"));
    assert_eq!(member(&mso, "digestAlgorithm").as_text(), Some("SHA-256"));
    assert_eq!(member(&mso, "docType").as_text(), Some(MDL_DOCTYPE));
    let value_digests = member(&mso, "valueDigests");
    let mut salts = std::collections::HashSet::new();
    let mut count = 0;
    for (namespace, items) in name_spaces.as_map().unwrap() {
        let digests = member(value_digests, namespace.as_text().unwrap())
            .as_map()
            .unwrap();
        let items = items.as_array().unwrap();
        assert_eq!(digests.len(), items.len());
        for item in items {
            let as_sent = encode(item).unwrap();
            assert!(
                issued
                    .issuer_signed
                    .windows(as_sent.len())
                    .any(|w| w == as_sent.as_slice()),
                "the re-encoded item occurs byte for byte in the credential"
            );
            let inner = decode(untag(item, 24).as_bytes().unwrap());
            let id = member(&inner, "digestID").clone();
            let expected = digests
                .iter()
                .find(|(k, _)| *k == id)
                .unwrap()
                .1
                .as_bytes()
                .unwrap();
            assert_eq!(Sha256::digest(&as_sent).as_slice(), expected.as_slice());
            let salt = member(&inner, "random").as_bytes().unwrap().clone();
            assert!(salt.len() >= 16);
            assert!(salts.insert(salt), "salts are distinct");
            count += 1;
        }
    }
    assert_eq!(count, 17);
    assert_eq!(issued.element_count, 17);
}

#[test]
fn element_values_have_their_cbor_types() {
    let Decoded { name_spaces, .. } = decoded(&issue_mdl(40, 3));
    let mdl = member(&name_spaces, MDL_NAMESPACE).as_array().unwrap();
    let value = |name: &str| -> Value {
        mdl.iter()
            .map(|item| decode(untag(item, 24).as_bytes().unwrap()))
            .find(|inner| member(inner, "elementIdentifier").as_text() == Some(name))
            .map(|inner| member(&inner, "elementValue").clone())
            .unwrap()
    };
    assert_eq!(value("family_name"), Value::Text("Mustermann".into()));
    assert_eq!(
        value("birth_date"),
        Value::Tag(1004, Box::new(Value::Text("1971-09-01".into())))
    );
    assert_eq!(
        value("issue_time"),
        Value::Tag(0, Box::new(Value::Text("2024-01-15T10:00:00Z".into())))
    );
    let portrait: Vec<u8> = (0..40u8).collect();
    assert_eq!(value("portrait"), Value::Bytes(portrait));
    assert_eq!(value("height"), Value::from(176u64));
    assert_eq!(value("age_over_18"), Value::Bool(true));
    assert_eq!(
        value("nationalities"),
        Value::Array(vec![Value::Text("DE".into()), Value::Text("FR".into())])
    );
    let privileges = value("driving_privileges");
    let first = &privileges.as_array().unwrap()[0];
    assert_eq!(
        member(first, "issue_date"),
        &Value::Tag(1004, Box::new(Value::Text("2010-03-01".into())))
    );
    assert_eq!(member(first, "vehicle_category_code").as_text(), Some("B"));
}

#[test]
fn validity_is_written_as_tdates_and_the_device_key_is_the_proof_key() {
    let (_, key) = document_signer();
    for wallet in [es256_wallet(), ed25519_wallet()] {
        let elements = DataElements::from_claims(&mdl_configuration(), &mdl_claims(10)).unwrap();
        let Decoded { mso, .. } = decoded(&issue(&key, &wallet.public, &elements, 4));
        let validity = member(&mso, "validityInfo");
        let tdate = |name: &str| {
            untag(member(validity, name), 0)
                .as_text()
                .unwrap()
                .to_string()
        };
        assert_eq!(tdate("signed"), "2025-06-15T15:06:40Z");
        assert_eq!(tdate("validFrom"), "2025-06-15T15:06:40Z");
        assert_eq!(tdate("validUntil"), "2026-06-15T15:06:40Z");
        let device_key = member(member(&mso, "deviceKeyInfo"), "deviceKey");
        assert_eq!(device_key, &cose_key_from_jwk(&wallet.public).unwrap());
        let x = member_int(device_key, -2).as_bytes().unwrap().clone();
        let jwk_x = URL_SAFE_NO_PAD
            .decode(wallet.public.parameter("x").unwrap().as_str().unwrap())
            .unwrap();
        assert_eq!(x, jwk_x);
    }
}

fn member_int(map: &Value, label: i64) -> &Value {
    map.as_map()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_integer() == Some(label.into()))
        .map(|(_, v)| v)
        .unwrap()
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_batch_copies_share_nothing_random() {
    let (_, key) = document_signer();
    let holder = es256_wallet().public;
    let elements = DataElements::from_claims(&mdl_configuration(), &mdl_claims(100)).unwrap();
    let a = decoded(&issue(&key, &holder, &elements, 7));
    let b = decoded(&issue(&key, &holder, &elements, 7));
    assert_eq!(
        encode(&a.name_spaces).unwrap(),
        encode(&b.name_spaces).unwrap()
    );
    assert_eq!(
        a.sign1.payload, b.sign1.payload,
        "the MSO bytes are equal too"
    );

    // A batch: one call per proof key, each with its own salts and MSO.
    let other_holder = es256_wallet().public;
    let mut rng = StdRng::seed_from_u64(8);
    let copies: Vec<Decoded> = [&holder, &other_holder]
        .into_iter()
        .map(|holder| {
            let input = MdocInput {
                doc_type: MDL_DOCTYPE,
                elements: &elements,
                holder_jwk: holder,
                validity: validity(),
                status: None,
            };
            decoded(&issue_mdoc(&key, &input, &mut rng).unwrap())
        })
        .collect();
    assert_ne!(copies[0].sign1.payload, copies[1].sign1.payload);
    let salts = |d: &Decoded| -> Vec<Vec<u8>> {
        member(&d.name_spaces, MDL_NAMESPACE)
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let inner = decode(untag(item, 24).as_bytes().unwrap());
                member(&inner, "random").as_bytes().unwrap().clone()
            })
            .collect()
    };
    let first = salts(&copies[0]);
    assert!(salts(&copies[1]).iter().all(|salt| !first.contains(salt)));
}

#[test]
fn refusals_name_the_problem() {
    let (_, key) = document_signer();
    let holder = es256_wallet().public;
    let configuration = mdl_configuration();
    let elements = DataElements::from_claims(&configuration, &mdl_claims(10)).unwrap();
    let attempt = |signer: &SigningKey, holder: &Jwk, validity: ValidityInfo| {
        let input = MdocInput {
            doc_type: MDL_DOCTYPE,
            elements: &elements,
            holder_jwk: holder,
            validity,
            status: None,
        };
        issue_mdoc(signer, &input, &mut StdRng::seed_from_u64(9))
    };

    let early = ValidityInfo {
        valid_from: NOW - 1,
        ..validity()
    };
    assert!(matches!(
        attempt(&key, &holder, early),
        Err(MdocError::InvalidInput(reason)) if reason.contains("validFrom")
    ));
    let empty = ValidityInfo {
        valid_until: NOW,
        ..validity()
    };
    assert!(attempt(&key, &holder, empty).is_err());

    let uncertified = IssuerKeys::ephemeral().unwrap();
    assert_eq!(
        attempt(uncertified.active(), &holder, validity()),
        Err(MdocError::MissingCertificate)
    );
    assert!(matches!(
        attempt(&key, &es256_wallet().private, validity()),
        Err(MdocError::HolderKey(_))
    ));

    let mut claims = mdl_claims(10);
    claims[MDL_NAMESPACE]["birth_date"] = json!("01.09.1971");
    claims[MDL_NAMESPACE]
        .as_object_mut()
        .unwrap()
        .insert("shoe_size".into(), json!(42));
    match DataElements::from_claims(&configuration, &claims) {
        Err(MdocError::Claims(problems)) => {
            let names: Vec<_> = problems.iter().map(|p| p.claim.as_str()).collect();
            assert_eq!(
                names,
                vec![
                    "org.iso.18013.5.1/birth_date",
                    "org.iso.18013.5.1/shoe_size"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(format!("{elements:?}").contains("family_name"));
    assert!(!format!("{elements:?}").contains("Mustermann"));
}
