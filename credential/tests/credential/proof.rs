//! `jwt` proof verification (OpenID4VCI 1.0 Appendix F): one test per acceptance rule.

use issuance_credential::{thumbprint, verify_proof_jwt, ProofError, ProofExpectations};
use josekit::jwk::alg::ec::EcCurve;
use josekit::jws::ES384;
use serde_json::{json, Value};

use crate::helpers::*;

fn expectations() -> ProofExpectations<'static> {
    ProofExpectations {
        audience: ISSUER,
        now: NOW,
        max_age_seconds: 300,
        max_future_skew_seconds: 60,
        allowed_algs: &["ES256", "EdDSA"],
        client_id: None,
    }
}

fn es256_proof_with(
    header_edit: impl FnOnce(&mut Value),
    claims_edit: impl FnOnce(&mut Value),
) -> String {
    let wallet = es256_wallet();
    let mut header = proof_header(&wallet);
    header_edit(&mut header);
    let mut claims = proof_claims();
    claims_edit(&mut claims);
    sign(&header, &claims, &*wallet.signer)
}

fn rejected(jwt: &str) -> ProofError {
    verify_proof_jwt(jwt, &expectations()).expect_err("proof must be rejected")
}

#[test]
fn valid_es256_proof_passes() {
    let wallet = es256_wallet();
    let jwt = sign(&proof_header(&wallet), &proof_claims(), &*wallet.signer);
    let proof = verify_proof_jwt(&jwt, &expectations()).unwrap();
    assert_eq!(proof.holder_jwk, wallet.public);
    assert_eq!(proof.thumbprint, thumbprint(&wallet.public).unwrap());
    assert_eq!(proof.nonce.as_deref(), Some("c-nonce-1"));
    assert_eq!(proof.issued_at, NOW);
    assert!(proof.holder_jwk.parameter("d").is_none());
}

#[test]
fn valid_eddsa_proof_passes() {
    let wallet = ed25519_wallet();
    let jwt = sign(&proof_header(&wallet), &proof_claims(), &*wallet.signer);
    let proof = verify_proof_jwt(&jwt, &expectations()).unwrap();
    assert_eq!(proof.holder_jwk.key_type(), "OKP");
    assert_eq!(proof.thumbprint, thumbprint(&wallet.public).unwrap());
}

#[test]
fn jwk_with_its_own_kid_member_passes() {
    // josekit would otherwise demand a matching kid header, which F.1 forbids beside jwk.
    let jwt = es256_proof_with(|h| h["jwk"]["kid"] = json!("wallet-key-1"), |_| {});
    assert!(verify_proof_jwt(&jwt, &expectations()).is_ok());
}

#[test]
fn audience_may_be_an_array_containing_the_issuer() {
    let jwt = es256_proof_with(|_| {}, |c| c["aud"] = json!(["https://other", ISSUER]));
    assert!(verify_proof_jwt(&jwt, &expectations()).is_ok());
}

#[test]
fn iat_within_future_skew_passes() {
    let jwt = es256_proof_with(|_| {}, |c| c["iat"] = json!(NOW + 60));
    assert!(verify_proof_jwt(&jwt, &expectations()).is_ok());
}

#[test]
fn wrong_typ_is_rejected() {
    let jwt = es256_proof_with(|h| h["typ"] = json!("JWT"), |_| {});
    assert!(
        matches!(rejected(&jwt), ProofError::Type(reason) if reason == "typ must be openid4vci-proof+jwt")
    );
    let jwt = es256_proof_with(
        |h| {
            h.as_object_mut().unwrap().remove("typ");
        },
        |_| {},
    );
    assert!(matches!(rejected(&jwt), ProofError::Type(_)));
}

#[test]
fn alg_none_is_rejected() {
    let wallet = es256_wallet();
    let mut header = proof_header(&wallet);
    header["alg"] = json!("none");
    let jwt = format!("{}.{}.", segment(&header), segment(&proof_claims()));
    assert_eq!(
        rejected(&jwt),
        ProofError::Algorithm("alg none is not allowed".into())
    );
    // Even when a careless configuration lists it.
    let expect = ProofExpectations {
        allowed_algs: &["none", "ES256"],
        ..expectations()
    };
    assert!(matches!(
        verify_proof_jwt(&jwt, &expect),
        Err(ProofError::Algorithm(_))
    ));
}

#[test]
fn alg_not_in_the_allow_list_is_rejected() {
    let private = josekit::jwk::Jwk::generate_ec_key(EcCurve::P384).unwrap();
    let signer = ES384.signer_from_jwk(&private).unwrap();
    let header = json!({"typ": "openid4vci-proof+jwt",
        "jwk": Value::Object(private.to_public_key().unwrap().as_ref().clone())});
    let jwt = sign(&header, &proof_claims(), &signer);
    assert_eq!(
        rejected(&jwt),
        ProofError::Algorithm("alg is not allowed; use one of ES256, EdDSA".into())
    );
    // ...but accepted once allowed.
    let expect = ProofExpectations {
        allowed_algs: &["ES384"],
        ..expectations()
    };
    assert!(verify_proof_jwt(&jwt, &expect).is_ok());
}

#[test]
fn private_key_in_header_is_rejected() {
    let wallet = es256_wallet();
    let mut header = proof_header(&wallet);
    header["jwk"] = Value::Object(wallet.private.as_ref().clone());
    let jwt = sign(&header, &proof_claims(), &*wallet.signer);
    assert!(matches!(rejected(&jwt), ProofError::Key(reason) if reason.contains("\"d\"")));
}

#[test]
fn kid_instead_of_jwk_is_rejected() {
    let jwt = es256_proof_with(
        |h| {
            h.as_object_mut().unwrap().remove("jwk");
            h["kid"] = json!("did:example:123#key-1");
        },
        |_| {},
    );
    assert!(matches!(rejected(&jwt), ProofError::KeySource(reason) if reason.contains("kid")));
}

#[test]
fn jwk_together_with_x5c_is_rejected() {
    let jwt = es256_proof_with(|h| h["x5c"] = json!(["MIIB"]), |_| {});
    assert!(
        matches!(rejected(&jwt), ProofError::KeySource(reason) if reason.contains("exactly one"))
    );
}

#[test]
fn header_without_any_key_is_rejected() {
    let jwt = es256_proof_with(
        |h| {
            h.as_object_mut().unwrap().remove("jwk");
        },
        |_| {},
    );
    assert!(matches!(rejected(&jwt), ProofError::KeySource(_)));
}

#[test]
fn missing_aud_is_rejected() {
    let jwt = es256_proof_with(
        |_| {},
        |c| {
            c.as_object_mut().unwrap().remove("aud");
        },
    );
    assert_eq!(
        rejected(&jwt),
        ProofError::Audience("proof has no aud claim".into())
    );
}

#[test]
fn wrong_aud_is_rejected() {
    let jwt = es256_proof_with(|_| {}, |c| c["aud"] = json!("https://evil.example.com"));
    assert!(matches!(rejected(&jwt), ProofError::Audience(_)));
}

#[test]
fn stale_iat_is_rejected() {
    let jwt = es256_proof_with(|_| {}, |c| c["iat"] = json!(NOW - 301));
    assert!(matches!(rejected(&jwt), ProofError::IssuedAt(reason) if reason.contains("old")));
}

#[test]
fn iat_beyond_future_skew_is_rejected() {
    let jwt = es256_proof_with(|_| {}, |c| c["iat"] = json!(NOW + 61));
    assert!(matches!(rejected(&jwt), ProofError::IssuedAt(reason) if reason.contains("future")));
}

#[test]
fn missing_iat_is_rejected() {
    let jwt = es256_proof_with(
        |_| {},
        |c| {
            c.as_object_mut().unwrap().remove("iat");
        },
    );
    assert_eq!(
        rejected(&jwt),
        ProofError::IssuedAt("proof has no iat claim".into())
    );
}

#[test]
fn signature_by_another_key_is_rejected() {
    let wallet = es256_wallet();
    let other = es256_wallet();
    let jwt = sign(&proof_header(&wallet), &proof_claims(), &*other.signer);
    assert!(matches!(rejected(&jwt), ProofError::Signature(_)));
}

#[test]
fn tampered_payload_is_rejected() {
    let wallet = es256_wallet();
    let jwt = sign(&proof_header(&wallet), &proof_claims(), &*wallet.signer);
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut claims = proof_claims();
    claims["nonce"] = json!("another-nonce");
    let forged = format!("{}.{}.{}", parts[0], segment(&claims), parts[2]);
    assert!(matches!(rejected(&forged), ProofError::Signature(_)));
}

#[test]
fn eddsa_alg_with_an_ec_key_is_rejected() {
    let wallet = es256_wallet();
    let ed = ed25519_wallet();
    let jwt = sign(&proof_header(&wallet), &proof_claims(), &*ed.signer);
    assert!(matches!(rejected(&jwt), ProofError::Key(_)));
}

#[test]
fn missing_nonce_is_its_own_error() {
    let jwt = es256_proof_with(
        |_| {},
        |c| {
            c.as_object_mut().unwrap().remove("nonce");
        },
    );
    assert_eq!(rejected(&jwt), ProofError::MissingNonce);
}

#[test]
fn iss_must_equal_the_client_id_when_known() {
    let jwt = es256_proof_with(|_| {}, |c| c["iss"] = json!("wallet-a"));
    let expect = ProofExpectations {
        client_id: Some("wallet-b"),
        ..expectations()
    };
    assert!(matches!(
        verify_proof_jwt(&jwt, &expect),
        Err(ProofError::Issuer(_))
    ));
    let expect = ProofExpectations {
        client_id: Some("wallet-a"),
        ..expectations()
    };
    assert!(verify_proof_jwt(&jwt, &expect).is_ok());
    // Anonymous pre-authorized flow: no client to compare with.
    assert!(verify_proof_jwt(&jwt, &expectations()).is_ok());
}

#[test]
fn expired_proof_is_rejected() {
    let jwt = es256_proof_with(|_| {}, |c| c["exp"] = json!(NOW - 120));
    assert!(matches!(rejected(&jwt), ProofError::Expired(_)));
}

#[test]
fn garbage_is_malformed() {
    assert!(matches!(rejected("not-a-jwt"), ProofError::Malformed(_)));
    assert!(matches!(rejected("a.b.c"), ProofError::Malformed(_)));
    let huge = "a".repeat(20_000);
    assert!(matches!(rejected(&huge), ProofError::Malformed(_)));
}

#[test]
fn critical_header_extensions_are_rejected() {
    let jwt = es256_proof_with(|h| h["crit"] = json!(["exp"]), |_| {});
    assert!(matches!(rejected(&jwt), ProofError::Malformed(reason) if reason.contains("crit")));
}
