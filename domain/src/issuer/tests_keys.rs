//! Signing keys: generate, import, activate, retire, certificate chains, and what the JWKS
//! publishes when.

use base64::Engine as _;
use serde_json::json;

use super::tests::*;
use super::*;

fn add(kid: &str, alg: SigningAlg) -> AddSigningKey {
    AddSigningKey {
        kid: kid.into(),
        alg,
        public_jwk: public_jwk(alg),
        certificate_chain: None,
        key_ref: format!("kek-v1/{kid}"),
    }
}

fn generate(key: AddSigningKey) -> IssuerCommand {
    cmd(IssuerAction::GenerateSigningKey(key))
}

fn activate(kid: &str) -> IssuerCommand {
    cmd(IssuerAction::ActivateSigningKey(ActivateSigningKey {
        kid: kid.into(),
    }))
}

fn retire(kid: &str, published_until: chrono::DateTime<chrono::Utc>) -> IssuerCommand {
    cmd(IssuerAction::RetireSigningKey(RetireSigningKey {
        kid: kid.into(),
        published_until,
    }))
}

fn set_chain(kid: &str, chain: Vec<String>) -> IssuerCommand {
    cmd(IssuerAction::SetCertificateChain(SetCertificateChain {
        kid: kid.into(),
        chain,
    }))
}

fn key_retired(kid: &str, published_until: chrono::DateTime<chrono::Utc>) -> IssuerEvent {
    IssuerEvent::SigningKeyRetired(SigningKeyRetired {
        kid: kid.into(),
        published_until,
        actor: ACTOR.into(),
        at: t0(),
    })
}

/// Certificates as `x5c` holds them: the standard base64 of (stand-in) DER bytes.
fn chain(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| base64::engine::general_purpose::STANDARD.encode(format!("DER of {name}")))
        .collect()
}

/// k1 active, k2 generated then retired (published until +1 h), k3 pending.
fn rotated() -> Vec<IssuerEvent> {
    vec![
        created(),
        generated("k1"),
        generated("k2"),
        activated("k2"),
        activated("k1"),
        key_retired("k2", at(3600)),
        generated("k3"),
    ]
}

fn decide_keys(command: IssuerCommand) -> DecideResult {
    decide_in(&rotated(), command)
}

// ---- generate / import ----

#[test]
fn a_generated_key_is_recorded_pending_and_published() {
    let mut expected = key_added("k1");
    expected.at = now();
    IssuerTest::with(())
        .given(vec![created()])
        .when(generate(add("k1", SigningAlg::ES256)))
        .then_expect_events(vec![IssuerEvent::SigningKeyGenerated(expected)]);
    let issuer = Issuer::from_events(&[created(), generated("k1")]);
    let key = issuer.key("k1").unwrap();
    assert_eq!(key.status, KeyStatus::Pending);
    assert_eq!(key.origin, KeyOrigin::Generated);
    assert_eq!(key.key_ref, "kek-v1/k1");
    assert_eq!(key.added_at, t0());
    assert!(issuer.active_key().is_none(), "a new key does not sign yet");
    assert_eq!(issuer.published_keys(now()), vec![key]);
}

#[test]
fn an_imported_key_is_recorded_with_its_chain_for_every_algorithm() {
    for alg in [SigningAlg::ES256, SigningAlg::ES384, SigningAlg::EdDSA] {
        let mut key = add("imported", alg);
        key.certificate_chain = Some(chain(&["leaf", "ca"]));
        key.public_jwk["kid"] = json!("imported");
        key.public_jwk["alg"] = json!(alg.as_str());
        key.public_jwk["use"] = json!("sig");
        let events = decide_in(
            &[created()],
            cmd(IssuerAction::ImportSigningKey(key.clone())),
        )
        .unwrap();
        let [IssuerEvent::SigningKeyImported(imported)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(imported.alg, alg);
        assert_eq!(imported.public_jwk, key.public_jwk);
        let issuer = Issuer::from_events(&[created(), events[0].clone()]);
        let state = issuer.key("imported").unwrap();
        assert_eq!(state.origin, KeyOrigin::Imported);
        assert_eq!(state.certificate_chain, Some(chain(&["leaf", "ca"])));
    }
    assert_eq!(SigningAlg::default(), SigningAlg::ES256);
    assert_eq!(SigningAlg::EdDSA.to_string(), "EdDSA");
    assert_eq!(
        serde_json::to_value(SigningAlg::ES384).unwrap(),
        json!("ES384")
    );
}

#[test]
fn an_ed448_key_may_sign_with_eddsa() {
    let mut key = add("ed448", SigningAlg::EdDSA);
    key.public_jwk["crv"] = json!("Ed448");
    assert!(decide_in(&[created()], generate(key)).is_ok());
}

#[test]
fn a_kid_used_before_is_rejected_even_once_retired() {
    for kid in ["k1", "k2", "k3"] {
        assert_eq!(
            decide_keys(generate(add(kid, SigningAlg::ES256))),
            Err(IssuerError::DuplicateKid(kid.into()))
        );
        assert_eq!(
            decide_keys(cmd(IssuerAction::ImportSigningKey(add(
                kid,
                SigningAlg::ES256
            )))),
            Err(IssuerError::DuplicateKid(kid.into()))
        );
    }
}

/// A change that breaks a key, and the text of the rule its rejection names.
type Breakage = (Box<dyn Fn(&mut AddSigningKey)>, &'static str);

#[test]
fn keys_breaking_a_rule_are_rejected_with_the_rule() {
    let too_long = "k".repeat(129);
    let broken: Vec<Breakage> = vec![
        (Box::new(|k| k.kid.clear()), "kid"),
        (Box::new(move |k| k.kid = too_long.clone()), "kid"),
        (Box::new(|k| k.kid = "with space".into()), "kid"),
        (
            Box::new(|k| k.public_jwk = json!("not a key")),
            "JSON object",
        ),
        (Box::new(|k| k.public_jwk["kty"] = json!("RSA")), "kty `EC`"),
        (Box::new(|k| k.alg = SigningAlg::EdDSA), "kty `OKP`"),
        (Box::new(|k| k.alg = SigningAlg::ES384), "crv P-384"),
        (Box::new(|k| k.public_jwk["crv"] = json!(null)), "crv P-256"),
        (
            Box::new(|k| {
                k.public_jwk.as_object_mut().unwrap().remove("y");
            }),
            "lacks `y`",
        ),
        (Box::new(|k| k.public_jwk["x"] = json!("")), "lacks `x`"),
        (
            Box::new(|k| k.public_jwk["kid"] = json!("other")),
            "`kid` is not `k1`",
        ),
        (
            Box::new(|k| k.public_jwk["alg"] = json!("ES384")),
            "`alg` is not `ES256`",
        ),
        (
            Box::new(|k| k.public_jwk["use"] = json!("enc")),
            "`use` is not `sig`",
        ),
        (Box::new(|k| k.key_ref = " ".into()), "key reference"),
    ];
    for (change, text) in broken {
        let mut key = add("k1", SigningAlg::ES256);
        change(&mut key);
        match decide_in(&[created()], generate(key.clone())) {
            Err(IssuerError::InvalidKey(problem)) => {
                assert!(problem.contains(text), "{problem} / {text}")
            }
            other => panic!("{key:?}: {other:?}"),
        }
    }
}

#[test]
fn a_jwk_with_private_key_material_is_never_recorded() {
    for member in PRIVATE_JWK_MEMBERS {
        let mut key = add("k1", SigningAlg::ES256);
        key.public_jwk[*member] = json!("c2VjcmV0");
        for action in [
            IssuerAction::GenerateSigningKey(key.clone()),
            IssuerAction::ImportSigningKey(key.clone()),
        ] {
            match decide_in(&[created()], cmd(action)) {
                Err(IssuerError::InvalidKey(problem)) => {
                    assert!(problem.contains(&format!("private member `{member}`")))
                }
                other => panic!("{member}: {other:?}"),
            }
        }
    }
}

#[test]
fn a_certificate_chain_must_be_base64_der_certificates() {
    for (bad, text) in [
        (vec![], "at least one"),
        (vec![String::new()], "certificate 0"),
        (
            vec![chain(&["leaf"])[0].clone(), "not base64!".into()],
            "certificate 1",
        ),
        (vec!["TUlJQg".into()], "certificate 0"),
    ] {
        let mut key = add("k9", SigningAlg::ES256);
        key.certificate_chain = Some(bad.clone());
        for command in [generate(key.clone()), set_chain("k1", bad.clone())] {
            match decide_keys(command) {
                Err(IssuerError::InvalidCertificateChain(problem)) => {
                    assert!(problem.contains(text), "{problem} / {text}")
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}

// ---- activate ----

#[test]
fn activating_a_key_makes_it_sign_and_keeps_the_previous_one_published() {
    IssuerTest::with(())
        .given(rotated())
        .when(activate("k3"))
        .then_expect_events(vec![IssuerEvent::SigningKeyActivated(
            SigningKeyActivated {
                kid: "k3".into(),
                actor: ACTOR.into(),
                at: now(),
            },
        )]);
    let mut history = rotated();
    history.push(activated("k3"));
    let issuer = Issuer::from_events(&history);
    assert_eq!(issuer.active_key().map(|k| k.kid.as_str()), Some("k3"));
    assert_eq!(issuer.key("k1").unwrap().status, KeyStatus::Inactive);
    let published: Vec<&str> = issuer
        .published_keys(now())
        .iter()
        .map(|k| k.kid.as_str())
        .collect();
    assert_eq!(published, ["k1", "k2", "k3"]);
}

#[test]
fn an_inactive_key_can_be_activated_again() {
    let mut history = rotated();
    history.push(activated("k3"));
    assert_eq!(decide_in(&history, activate("k1")).unwrap().len(), 1);
}

#[test]
fn activating_the_active_key_changes_nothing() {
    IssuerTest::with(())
        .given(rotated())
        .when(activate("k1"))
        .then_expect_events(vec![]);
}

#[test]
fn only_known_keys_that_are_not_retired_can_be_activated() {
    assert_eq!(
        decide_keys(activate("k9")),
        Err(IssuerError::UnknownKid("k9".into()))
    );
    assert_eq!(
        decide_keys(activate("k2")),
        Err(IssuerError::KeyRetired("k2".into()))
    );
}

// ---- retire ----

#[test]
fn retiring_a_key_keeps_it_published_until_what_it_signed_has_expired() {
    IssuerTest::with(())
        .given(rotated())
        .when(retire("k3", at(7200)))
        .then_expect_events(vec![IssuerEvent::SigningKeyRetired(SigningKeyRetired {
            kid: "k3".into(),
            published_until: at(7200),
            actor: ACTOR.into(),
            at: now(),
        })]);
    let issuer = Issuer::from_events(&rotated());
    let k2 = issuer.key("k2").unwrap();
    assert_eq!(
        k2.status,
        KeyStatus::Retired {
            retired_at: t0(),
            published_until: at(3600)
        }
    );
    let kids = |now| -> Vec<String> {
        issuer
            .published_keys(now)
            .iter()
            .map(|k| k.kid.clone())
            .collect()
    };
    assert_eq!(kids(at(3599)), ["k1", "k2", "k3"]);
    assert_eq!(kids(at(3600)), ["k1", "k3"], "gone at published_until");
}

#[test]
fn a_key_whose_credentials_all_expired_leaves_the_jwks_at_once() {
    let mut history = rotated();
    history.extend(decide_in(&history, retire("k3", at(-1))).unwrap());
    let issuer = Issuer::from_events(&history);
    assert!(!issuer.key("k3").unwrap().is_published(now()));
}

#[test]
fn the_active_key_is_retired_only_after_another_is_activated() {
    assert_eq!(
        decide_keys(retire("k1", at(3600))),
        Err(IssuerError::CannotRetireActiveKey("k1".into()))
    );
    let mut history = rotated();
    history.push(activated("k3"));
    assert_eq!(
        decide_in(&history, retire("k1", at(3600))).unwrap().len(),
        1
    );
}

#[test]
fn retiring_an_unknown_or_retired_key_is_rejected() {
    assert_eq!(
        decide_keys(retire("k9", at(3600))),
        Err(IssuerError::UnknownKid("k9".into()))
    );
    assert_eq!(
        decide_keys(retire("k2", at(9999))),
        Err(IssuerError::KeyRetired("k2".into()))
    );
}

// ---- certificate chains ----

#[test]
fn a_certificate_chain_is_set_and_replaced() {
    IssuerTest::with(())
        .given(rotated())
        .when(set_chain("k1", chain(&["leaf", "ca"])))
        .then_expect_events(vec![IssuerEvent::CertificateChainSet(
            CertificateChainSet {
                kid: "k1".into(),
                chain: chain(&["leaf", "ca"]),
                actor: ACTOR.into(),
                at: now(),
            },
        )]);
    let mut history = rotated();
    history.extend(decide_in(&history, set_chain("k1", chain(&["leaf", "ca"]))).unwrap());
    history.extend(decide_in(&history, set_chain("k1", chain(&["renewed"]))).unwrap());
    let issuer = Issuer::from_events(&history);
    assert_eq!(
        issuer.key("k1").unwrap().certificate_chain,
        Some(chain(&["renewed"]))
    );
    assert_eq!(
        decide_in(&history, set_chain("k1", chain(&["renewed"]))),
        Ok(vec![]),
        "the same chain again changes nothing"
    );
}

#[test]
fn a_chain_is_set_only_on_known_keys_that_are_not_retired() {
    assert_eq!(
        decide_keys(set_chain("k9", chain(&["leaf"]))),
        Err(IssuerError::UnknownKid("k9".into()))
    );
    assert_eq!(
        decide_keys(set_chain("k2", chain(&["leaf"]))),
        Err(IssuerError::KeyRetired("k2".into()))
    );
}
