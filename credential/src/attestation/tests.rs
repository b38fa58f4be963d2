use serde_json::json;

use super::client::*;
use super::key::*;
use super::testing::*;
use super::*;
use crate::jwk::thumbprint;

const NOW: i64 = 1_800_000_000;
const YEAR: i64 = 365 * 24 * 3600;
const AS: &str = "https://issuer.example";

struct Fixture {
    root: TestCertificate,
    provider: TestCertificate,
    anchors: TrustAnchors,
    instance: josekit::jwk::Jwk,
}

fn fixture() -> Fixture {
    let root = TestCertificate::root("Test Wallet Root", NOW - YEAR, NOW + YEAR);
    let provider = root.issue("Test Wallet Provider", false, NOW - YEAR, NOW + YEAR);
    let anchors = TrustAnchors::from_pem(&root.pem()).unwrap();
    Fixture {
        root,
        provider,
        anchors,
        instance: instance_key(),
    }
}

fn attestation_claims(f: &Fixture) -> serde_json::Value {
    json!({"iss": "https://provider.example", "sub": "wallet-client", "iat": NOW - 10,
           "exp": NOW + 3600, "cnf": {"jwk": public_json(&f.instance)}})
}

fn pop_claims() -> serde_json::Value {
    json!({"aud": AS, "jti": "pop-1", "iat": NOW})
}

/// The provider's attestation of the fixture's instance, with a valid chain.
fn signed_attestation(f: &Fixture) -> String {
    f.provider.sign(
        CLIENT_ATTESTATION_TYP,
        &[&f.provider],
        &attestation_claims(f),
    )
}

fn expect(f: &Fixture) -> ClientAttestationExpectations<'_> {
    ClientAttestationExpectations {
        anchors: &f.anchors,
        audience: AS,
        client_id: Some("wallet-client"),
        challenge: None,
        now: NOW,
        pop_max_age_seconds: 60,
        max_future_skew_seconds: 10,
        pop_algs: &["ES256"],
    }
}

fn check(
    f: &Fixture,
    attestation: &str,
    pop: &str,
) -> Result<VerifiedClientAttestation, AttestationError> {
    verify_client_attestation(attestation, pop, &expect(f))
}

#[test]
fn a_valid_wallet_attestation_authenticates_the_client() {
    let f = fixture();
    let attestation = signed_attestation(&f);
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    let verified = check(&f, &attestation, &pop).unwrap();
    assert_eq!(verified.provider, "https://provider.example");
    assert_eq!(verified.client_id, "wallet-client");
    assert_eq!(verified.pop_jti, "pop-1");
    assert_eq!(
        verified.instance_key_thumbprint,
        thumbprint(&f.instance).unwrap()
    );
}

#[test]
fn an_intermediate_ca_in_x5c_is_followed_to_the_anchor() {
    let f = fixture();
    let intermediate = f.root.issue("Intermediate", true, NOW - YEAR, NOW + YEAR);
    let leaf = intermediate.issue("Provider", false, NOW - YEAR, NOW + YEAR);
    let attestation = leaf.sign(
        CLIENT_ATTESTATION_TYP,
        &[&leaf, &intermediate],
        &attestation_claims(&f),
    );
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert!(check(&f, &attestation, &pop).is_ok());
}

#[test]
fn an_attestation_from_an_untrusted_ca_is_refused() {
    let f = fixture();
    let other = TestCertificate::root("Other Root", NOW - YEAR, NOW + YEAR);
    let provider = other.issue("Provider", false, NOW - YEAR, NOW + YEAR);
    let attestation = provider.sign(
        CLIENT_ATTESTATION_TYP,
        &[&provider],
        &attestation_claims(&f),
    );
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::UntrustedChain(_))
    ));
}

#[test]
fn an_expired_attestation_or_certificate_is_refused() {
    let f = fixture();
    let mut claims = attestation_claims(&f);
    claims["exp"] = json!(NOW - 1);
    let attestation = f
        .provider
        .sign(CLIENT_ATTESTATION_TYP, &[&f.provider], &claims);
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::Expired(_))
    ));
    let stale = f.root.issue("Provider", false, NOW - YEAR, NOW - 1);
    let attestation = stale.sign(CLIENT_ATTESTATION_TYP, &[&stale], &attestation_claims(&f));
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::UntrustedChain(_))
    ));
}

#[test]
fn an_attestation_without_sub_or_for_another_client_is_refused() {
    let f = fixture();
    let mut claims = attestation_claims(&f);
    claims.as_object_mut().unwrap().remove("sub");
    let attestation = f
        .provider
        .sign(CLIENT_ATTESTATION_TYP, &[&f.provider], &claims);
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::Claim(_))
    ));
    let mut claims = attestation_claims(&f);
    claims["sub"] = json!("someone-else");
    let attestation = f
        .provider
        .sign(CLIENT_ATTESTATION_TYP, &[&f.provider], &claims);
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::Subject(_))
    ));
}

#[test]
fn a_pop_for_another_audience_or_by_another_key_is_refused() {
    let f = fixture();
    let attestation = f.provider.sign(
        CLIENT_ATTESTATION_TYP,
        &[&f.provider],
        &attestation_claims(&f),
    );
    let mut claims = pop_claims();
    claims["aud"] = json!("https://other.example");
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &claims);
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::Audience(_))
    ));
    let pop = sign_with(&instance_key(), CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::Signature(_))
    ));
    let mut claims = pop_claims();
    claims["iat"] = json!(NOW - 61);
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &claims);
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::IssuedAt(_))
    ));
}

#[test]
fn a_chain_with_the_anchor_or_a_self_signed_leaf_is_refused() {
    let f = fixture();
    let attestation = f.provider.sign(
        CLIENT_ATTESTATION_TYP,
        &[&f.provider, &f.root],
        &attestation_claims(&f),
    );
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert_eq!(
        check(&f, &attestation, &pop),
        Err(AttestationError::AnchorIncluded)
    );
    let lone = TestCertificate::root("Self", NOW - YEAR, NOW + YEAR);
    let attestation = lone.sign(CLIENT_ATTESTATION_TYP, &[&lone], &attestation_claims(&f));
    assert_eq!(
        check(&f, &attestation, &pop),
        Err(AttestationError::SelfSigned)
    );
}

#[test]
fn key_attestations_list_the_attested_keys() {
    let f = fixture();
    let holder = instance_key();
    let claims = json!({"iat": NOW, "exp": NOW + 60, "key_storage": ["iso_18045_high"],
                        "attested_keys": [public_json(&holder)], "nonce": "n"});
    let jwt = f
        .provider
        .sign(KEY_ATTESTATION_TYP, &[&f.provider], &claims);
    let verified = verify_key_attestation(&jwt, &f.anchors, NOW).unwrap();
    assert!(verified.covers(&thumbprint(&holder).unwrap()));
    assert!(!verified.covers(&thumbprint(&f.instance).unwrap()));
    assert!(verified.satisfies(&["iso_18045_high".into()], &[]));
    assert!(!verified.satisfies(&["iso_18045_moderate".into()], &[]));
    assert_eq!(verified.nonce.as_deref(), Some("n"));
    assert_eq!(verified.issued_at, NOW);
    assert_eq!(
        verified.attested_keys,
        vec![holder.to_public_key().unwrap()]
    );
    assert_eq!(
        verified.attested_key_thumbprints,
        vec![thumbprint(&holder).unwrap()]
    );
    // Private keys, a missing exp and a wrong typ are refused.
    let private = json!({"iat": NOW, "exp": NOW + 60,
                         "attested_keys": [serde_json::Value::Object(holder.as_ref().clone())]});
    let jwt = f
        .provider
        .sign(KEY_ATTESTATION_TYP, &[&f.provider], &private);
    assert!(matches!(
        verify_key_attestation(&jwt, &f.anchors, NOW),
        Err(AttestationError::Key(_))
    ));
    let no_exp = json!({"iat": NOW, "attested_keys": [public_json(&holder)]});
    let jwt = f
        .provider
        .sign(KEY_ATTESTATION_TYP, &[&f.provider], &no_exp);
    assert!(matches!(
        verify_key_attestation(&jwt, &f.anchors, NOW),
        Err(AttestationError::Expired(_))
    ));
    let jwt = f.provider.sign("jwt", &[&f.provider], &claims);
    assert!(matches!(
        verify_key_attestation(&jwt, &f.anchors, NOW),
        Err(AttestationError::Type(_))
    ));
}

#[test]
fn a_pop_challenge_is_returned_for_the_caller_and_must_be_a_string() {
    let f = fixture();
    let attestation = signed_attestation(&f);
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &pop_claims());
    assert_eq!(check(&f, &attestation, &pop).unwrap().challenge, None);
    let mut claims = pop_claims();
    claims["challenge"] = json!("c-1");
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &claims);
    let verified = check(&f, &attestation, &pop).unwrap();
    assert_eq!(verified.challenge.as_deref(), Some("c-1"));
    // An expected challenge must be the one carried.
    let expected = ClientAttestationExpectations {
        challenge: Some("c-2"),
        ..expect(&f)
    };
    assert!(matches!(
        verify_client_attestation(&attestation, &pop, &expected),
        Err(AttestationError::Challenge(_))
    ));
    claims["challenge"] = json!(7);
    let pop = sign_with(&f.instance, CLIENT_ATTESTATION_POP_TYP, &claims);
    assert!(matches!(
        check(&f, &attestation, &pop),
        Err(AttestationError::Claim(_))
    ));
}
