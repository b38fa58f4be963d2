use super::*;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509StoreContext;
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn request(crl_url: Option<&str>) -> DevelopmentChainRequest<'_> {
    DevelopmentChainRequest {
        country: "DE",
        organization: "Example Bank",
        issuer_url: "https://issuer.example.com",
        crl_url,
        not_before: now() - 60,
    }
}

fn certificates(chain: &DevelopmentChain) -> (X509, X509) {
    (
        X509::from_pem(chain.iaca_certificate_pem.as_bytes()).unwrap(),
        X509::from_pem(chain.document_signer_certificate_pem.as_bytes()).unwrap(),
    )
}

fn subject_entry(certificate: &X509, nid: Nid) -> String {
    let entry = certificate
        .subject_name()
        .entries_by_nid(nid)
        .next()
        .unwrap();
    entry.data().to_string().unwrap()
}

#[test]
fn the_document_signer_verifies_up_to_the_root() {
    let chain = generate_development_chain(&request(None)).unwrap();
    let (root, ds) = certificates(&chain);
    assert!(
        root.verify(&root.public_key().unwrap()).unwrap(),
        "self-signed"
    );
    assert!(ds.verify(&root.public_key().unwrap()).unwrap());

    let mut store = X509StoreBuilder::new().unwrap();
    store.add_cert(root.clone()).unwrap();
    let store = store.build();
    let mut context = X509StoreContext::new().unwrap();
    let verified = context
        .init(&store, &ds, &Stack::new().unwrap(), |c| {
            let ok = c.verify_cert()?;
            Ok((ok, c.error()))
        })
        .unwrap();
    assert!(verified.0, "{}", verified.1);
}

#[test]
fn both_certificates_are_labelled_and_carry_the_annex_b_extensions() {
    let chain =
        generate_development_chain(&request(Some("https://issuer.example.com/iaca.crl"))).unwrap();
    let (root, ds) = certificates(&chain);
    for certificate in [&root, &ds] {
        let common_name = subject_entry(certificate, Nid::COMMONNAME);
        assert!(common_name.contains(DEVELOPMENT_LABEL), "{common_name}");
        assert_eq!(subject_entry(certificate, Nid::COUNTRYNAME), "DE");
        let serial = certificate.serial_number().to_bn().unwrap();
        assert!(serial.num_bytes() <= 20 && serial.num_bits() > 63);
        let text = String::from_utf8(certificate.to_text().unwrap()).unwrap();
        assert!(text.contains("Version: 3"), "{text}");
        assert!(text.contains("X509v3 Issuer Alternative Name"), "{text}");
        assert!(text.contains("URI:https://issuer.example.com"), "{text}");
        assert!(text.contains("X509v3 CRL Distribution Points"), "{text}");
        assert!(
            text.contains("URI:https://issuer.example.com/iaca.crl"),
            "{text}"
        );
        assert!(text.contains("X509v3 Subject Key Identifier"), "{text}");
    }
    let root_text = String::from_utf8(root.to_text().unwrap()).unwrap();
    assert!(root_text.contains("CA:TRUE, pathlen:0"), "{root_text}");
    assert!(
        root_text.contains("Certificate Sign, CRL Sign"),
        "{root_text}"
    );

    let ds_text = String::from_utf8(ds.to_text().unwrap()).unwrap();
    assert!(ds_text.contains("X509v3 Key Usage: critical"), "{ds_text}");
    assert!(ds_text.contains("Digital Signature"), "{ds_text}");
    assert!(
        ds_text.contains("X509v3 Extended Key Usage: critical"),
        "{ds_text}"
    );
    assert!(ds_text.contains(EKU_MDL_DOCUMENT_SIGNER), "{ds_text}");
    assert!(
        ds_text.contains("X509v3 Authority Key Identifier"),
        "{ds_text}"
    );
    assert!(!ds_text.contains("CA:TRUE"), "{ds_text}");
    assert_ne!(
        root.serial_number().to_bn().unwrap(),
        ds.serial_number().to_bn().unwrap()
    );
}

#[test]
fn without_a_crl_url_there_is_no_distribution_point() {
    let chain = generate_development_chain(&request(None)).unwrap();
    let (root, _) = certificates(&chain);
    let text = String::from_utf8(root.to_text().unwrap()).unwrap();
    assert!(!text.contains("CRL Distribution Points"), "{text}");
}

#[test]
fn the_document_signer_key_signs_with_its_certificate_as_chain() {
    let chain = generate_development_chain(&request(None)).unwrap();
    let (_, ds) = certificates(&chain);
    let key = chain.document_signer(0).unwrap();
    assert_eq!(key.x5c().unwrap(), &[ds.to_der().unwrap()]);
    assert!(format!("{chain:?}").find("PRIVATE").is_none());
}

#[test]
fn a_bad_country_or_url_is_refused() {
    for (country, url) in [("de", "https://x"), ("DEU", "https://x"), ("DE", "ftp://x")] {
        let mut bad = request(None);
        bad.country = country;
        bad.issuer_url = url;
        assert!(matches!(
            generate_development_chain(&bad),
            Err(KeyError::Generate(_))
        ));
    }
}

#[test]
fn der_lengths_use_the_short_and_long_forms() {
    assert_eq!(der(0x04, &[0; 127])[..2], [0x04, 0x7f]);
    assert_eq!(der(0x04, &[0; 200])[..3], [0x04, 0x81, 0xc8]);
    assert_eq!(der(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
}
