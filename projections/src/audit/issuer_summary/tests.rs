use chrono::{DateTime, TimeZone, Utc};
use issuance_domain::issuer::{
    ConfigurationPublished, IssuerCreated, IssuerId, IssuerProfile, ProfileSet, SigningAlg,
    SigningKeyAdded, SigningKeyRetired,
};
use serde_json::json;

use super::*;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0)
        .single()
        .unwrap()
}

fn display(name: &str, locale: Option<&str>) -> IssuerDisplay {
    IssuerDisplay {
        name: name.into(),
        locale: locale.map(str::to_string),
        logo: None,
    }
}

#[test]
fn display_names_stay_out_of_the_summary() {
    let created = IssuerEvent::IssuerCreated(IssuerCreated {
        issuer_id: IssuerId::parse("bank-a").unwrap(),
        display: vec![
            display("Bank A of Jane Doe", Some("en")),
            display("Bank A", Some("de")),
        ],
        actor: "admin".into(),
        at: at(),
    });
    let text = issuer_summary("bank-a", &created);
    assert_eq!(
        text,
        "Issuer bank-a created with 2 display entries (en, de)"
    );
    assert!(!text.contains("Jane"));
}

#[test]
fn keys_are_summarised_by_id_algorithm_and_chain_length() {
    let key = SigningKeyAdded {
        kid: "k1".into(),
        alg: SigningAlg::ES256,
        public_jwk: json!({"kty": "EC"}),
        certificate_chain: Some(vec!["MII".into(), "MII".into()]),
        key_ref: "vault-1".into(),
        actor: "admin".into(),
        at: at(),
    };
    assert_eq!(
        issuer_summary("bank-a", &IssuerEvent::SigningKeyGenerated(key)),
        "Signing key k1 (ES256) generated for issuer bank-a with a certificate chain of 2 certificate(s)"
    );
    let retired = IssuerEvent::SigningKeyRetired(SigningKeyRetired {
        kid: "k1".into(),
        published_until: at(),
        actor: "admin".into(),
        at: at(),
    });
    assert_eq!(
        issuer_summary("bank-a", &retired),
        "Signing key k1 of issuer bank-a retired; published until 2026-12-05T10:00:00Z"
    );
}

#[test]
fn a_new_configuration_version_names_the_one_it_replaces() {
    let published = IssuerEvent::ConfigurationPublished(ConfigurationPublished {
        configuration_id: "Identity".into(),
        version: 3,
        configuration: json!({"format": "dc+sd-jwt", "vct": "https://example.org/id"}),
        actor: "admin".into(),
        at: at(),
    });
    assert_eq!(
        issuer_summary("bank-a", &published),
        "Credential configuration Identity of issuer bank-a published as version 3 (replacing version 2); format dc+sd-jwt"
    );
}

#[test]
fn a_profile_change_names_the_profile() {
    let set = IssuerEvent::ProfileSet(ProfileSet {
        profile: IssuerProfile::Haip,
        actor: "admin".into(),
        at: at(),
    });
    assert_eq!(
        issuer_summary("bank-a", &set),
        "Issuer bank-a follows profile haip from now on"
    );
}
