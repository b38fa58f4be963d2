//! SD-JWT VC shape checks that need no external verifier.

use issuance_credential::{issue_sd_jwt_vc, IssueError, IssuerKeys, JwkError, SdJwtVcInput};
use issuance_domain::credential_config::ClaimDefinition;
use serde_json::{json, Map, Value};

use crate::helpers::*;

fn definition(path: Value, sd: bool) -> ClaimDefinition {
    ClaimDefinition {
        path: serde_json::from_value(path).unwrap(),
        mandatory: false,
        selectively_disclosable: sd,
        value_type: None,
        display: vec![],
    }
}

fn issue(
    claims: &Map<String, Value>,
    definitions: &[ClaimDefinition],
) -> Result<String, IssueError> {
    issue_pinned(claims, definitions, None)
}

/// Like `issue`, with `vct#integrity`.
fn issue_pinned(
    claims: &Map<String, Value>,
    definitions: &[ClaimDefinition],
    vct_integrity: Option<&str>,
) -> Result<String, IssueError> {
    let keys = IssuerKeys::ephemeral().unwrap();
    let holder = es256_wallet().public;
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: "https://issuer.example.com/vct/identity",
        vct_integrity,
        issued_at: NOW,
        expires_at: NOW + 3600,
        holder_jwk: &holder,
        claims,
        definitions,
        status: None,
    };
    issue_sd_jwt_vc(keys.active(), &input).map(|issued| issued.compact)
}

#[test]
fn without_disclosable_claims_there_is_no_sd_and_no_sd_alg() {
    let compact = issue(
        &object(json!({"given_name": "Erika"})),
        &[definition(json!(["given_name"]), false)],
    )
    .unwrap();
    let (_, payload, disclosures) = split_sd_jwt(&compact);
    assert!(disclosures.is_empty());
    assert_eq!(compact.matches('~').count(), 1);
    assert_eq!(payload["given_name"], "Erika");
    assert!(payload.get("_sd").is_none());
    assert!(payload.get("_sd_alg").is_none());
}

#[test]
fn every_sd_array_has_one_to_three_decoys_and_is_sorted() {
    for _ in 0..20 {
        let compact = issue(
            &object(json!({"a": 1, "b": 2})),
            &[
                definition(json!(["a"]), true),
                definition(json!(["b"]), true),
            ],
        )
        .unwrap();
        let (_, payload, disclosures) = split_sd_jwt(&compact);
        assert_eq!(disclosures.len(), 2);
        let sd: Vec<&str> = payload["_sd"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert!(
            (3..=5).contains(&sd.len()),
            "2 digests + 1..=3 decoys, got {}",
            sd.len()
        );
        let mut sorted = sd.clone();
        sorted.sort();
        assert_eq!(sd, sorted);
        assert_eq!(payload["_sd_alg"], "sha-256");
    }
}

#[test]
fn reserved_claim_names_are_refused() {
    for name in [
        "iss", "nbf", "exp", "iat", "cnf", "vct", "status", "_sd", "_sd_alg", "...",
    ] {
        let claims = object(json!({ name: "x" }));
        assert_eq!(
            issue(&claims, &[]),
            Err(IssueError::ReservedClaim(name.to_owned())),
            "{name}"
        );
    }
}

#[test]
fn sd_keywords_are_refused_at_any_depth() {
    let claims = object(json!({"address": {"_sd": ["x"]}}));
    assert_eq!(
        issue(&claims, &[]),
        Err(IssueError::ReservedClaim("address._sd".into()))
    );
    let claims = object(json!({"list": [{"...": "x"}]}));
    assert_eq!(
        issue(&claims, &[]),
        Err(IssueError::ReservedClaim("list[0]....".into()))
    );
}

#[test]
fn private_holder_key_is_refused() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let wallet = es256_wallet();
    let claims = Map::new();
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: "urn:vct",
        vct_integrity: None,
        issued_at: NOW,
        expires_at: NOW + 1,
        holder_jwk: &wallet.private,
        claims: &claims,
        definitions: &[],
        status: None,
    };
    assert_eq!(
        issue_sd_jwt_vc(keys.active(), &input),
        Err(IssueError::HolderKey(JwkError::PrivateMember("d")))
    );
}

#[test]
fn expiry_must_follow_issuance() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let holder = es256_wallet().public;
    let claims = Map::new();
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: "urn:vct",
        vct_integrity: None,
        issued_at: NOW,
        expires_at: NOW,
        holder_jwk: &holder,
        claims: &claims,
        definitions: &[],
        status: None,
    };
    assert!(matches!(
        issue_sd_jwt_vc(keys.active(), &input),
        Err(IssueError::InvalidInput(_))
    ));
}

#[test]
fn debug_output_redacts_the_credential_and_claim_values() {
    let keys = IssuerKeys::ephemeral().unwrap();
    let holder = es256_wallet().public;
    let claims = object(json!({"given_name": "Erika"}));
    let definitions = [definition(json!(["given_name"]), true)];
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: "urn:vct",
        vct_integrity: None,
        issued_at: NOW,
        expires_at: NOW + 1,
        holder_jwk: &holder,
        claims: &claims,
        definitions: &definitions,
        status: None,
    };
    assert!(!format!("{input:?}").contains("Erika"));
    let issued = issue_sd_jwt_vc(keys.active(), &input).unwrap();
    let debug = format!("{issued:?}");
    assert!(debug.contains("redacted") && !debug.contains(&issued.compact[..20]));
}

#[test]
fn vct_integrity_is_a_plain_claim_next_to_vct() {
    let integrity = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let compact = issue_pinned(
        &object(json!({"given_name": "Erika"})),
        &[definition(json!(["given_name"]), true)],
        Some(integrity),
    )
    .unwrap();
    let (_, payload, disclosures) = split_sd_jwt(&compact);
    assert_eq!(payload["vct#integrity"], integrity);
    assert_eq!(disclosures.len(), 1, "only given_name is disclosed");
}
