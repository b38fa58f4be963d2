//! The interoperability profile: `haip` needs the active key's certificate chain, the same
//! profile again changes nothing, and a `haip` issuer activates only keys with a chain.

use super::tests::*;
use super::*;

fn set_profile(profile: IssuerProfile) -> IssuerCommand {
    cmd(IssuerAction::SetProfile(SetProfile { profile }))
}

fn profile_set(profile: IssuerProfile) -> IssuerEvent {
    IssuerEvent::ProfileSet(ProfileSet {
        profile,
        actor: ACTOR.into(),
        at: now(),
    })
}

fn chain_set(kid: &str) -> IssuerEvent {
    IssuerEvent::CertificateChainSet(CertificateChainSet {
        kid: kid.into(),
        chain: vec!["MIIB".into()],
        actor: ACTOR.into(),
        at: t0(),
    })
}

fn activate(kid: &str) -> IssuerCommand {
    cmd(IssuerAction::ActivateSigningKey(ActivateSigningKey {
        kid: kid.into(),
    }))
}

/// k1 active with a chain, k2 pending without one.
fn certified() -> Vec<IssuerEvent> {
    vec![
        created(),
        generated("k1"),
        chain_set("k1"),
        activated("k1"),
        generated("k2"),
    ]
}

fn haip() -> Vec<IssuerEvent> {
    let mut history = certified();
    history.push(profile_set(IssuerProfile::Haip));
    history
}

#[test]
fn a_new_issuer_follows_the_standard_profile() {
    assert_eq!(
        Issuer::from_events(&[created()]).profile,
        IssuerProfile::Standard
    );
}

#[test]
fn haip_is_set_when_the_active_key_has_a_chain() {
    IssuerTest::with(())
        .given(certified())
        .when(set_profile(IssuerProfile::Haip))
        .then_expect_events(vec![profile_set(IssuerProfile::Haip)]);
    assert_eq!(Issuer::from_events(&haip()).profile, IssuerProfile::Haip);
}

#[test]
fn haip_is_set_before_any_key_signs() {
    IssuerTest::with(())
        .given(vec![created(), generated("k1")])
        .when(set_profile(IssuerProfile::Haip))
        .then_expect_events(vec![profile_set(IssuerProfile::Haip)]);
}

#[test]
fn haip_is_refused_while_the_active_key_has_no_chain() {
    IssuerTest::with(())
        .given(vec![created(), generated("k1"), activated("k1")])
        .when(set_profile(IssuerProfile::Haip))
        .then_expect_error(IssuerError::CertificateChainRequired("k1".into()));
}

#[test]
fn the_same_profile_again_changes_nothing() {
    IssuerTest::with(())
        .given(haip())
        .when(set_profile(IssuerProfile::Haip))
        .then_expect_events(vec![]);
    IssuerTest::with(())
        .given(certified())
        .when(set_profile(IssuerProfile::Standard))
        .then_expect_events(vec![]);
}

#[test]
fn a_haip_issuer_returns_to_standard() {
    IssuerTest::with(())
        .given(haip())
        .when(set_profile(IssuerProfile::Standard))
        .then_expect_events(vec![profile_set(IssuerProfile::Standard)]);
    let mut history = haip();
    history.push(profile_set(IssuerProfile::Standard));
    assert_eq!(
        Issuer::from_events(&history).profile,
        IssuerProfile::Standard
    );
}

#[test]
fn a_haip_issuer_does_not_activate_a_key_without_a_chain() {
    IssuerTest::with(())
        .given(haip())
        .when(activate("k2"))
        .then_expect_error(IssuerError::CertificateChainRequired("k2".into()));
}

#[test]
fn a_haip_issuer_activates_a_key_with_a_chain() {
    let mut history = haip();
    history.push(chain_set("k2"));
    IssuerTest::with(())
        .given(history)
        .when(activate("k2"))
        .then_expect_events(vec![IssuerEvent::SigningKeyActivated(
            SigningKeyActivated {
                kid: "k2".into(),
                actor: ACTOR.into(),
                at: now(),
            },
        )]);
}

#[test]
fn a_standard_issuer_activates_a_key_without_a_chain() {
    assert_eq!(
        decide_in(&certified(), activate("k2")).map(|e| e.len()),
        Ok(1)
    );
}

#[test]
fn a_retired_issuer_keeps_its_profile() {
    let mut history = haip();
    history.push(retired());
    for profile in [IssuerProfile::Standard, IssuerProfile::Haip] {
        assert_eq!(
            decide_in(&history, set_profile(profile)),
            Err(IssuerError::Retired)
        );
    }
}

#[test]
fn a_profile_is_named_in_lowercase() {
    for profile in [IssuerProfile::Standard, IssuerProfile::Haip] {
        assert_eq!(IssuerProfile::parse(profile.as_str()), Some(profile));
        assert_eq!(
            serde_json::to_value(profile).unwrap(),
            serde_json::json!(profile.as_str())
        );
    }
    assert_eq!(IssuerProfile::parse("HAIP"), None);
    assert_eq!(IssuerProfile::parse("default"), None);
}

#[test]
fn an_issuer_is_served_with_its_own_profile_unless_the_deployment_is_haip() {
    use IssuerProfile::{Haip, Standard};
    assert_eq!(Standard.under(Standard), Standard);
    assert_eq!(Haip.under(Standard), Haip);
    assert_eq!(Standard.under(Haip), Haip);
    assert_eq!(Haip.under(Haip), Haip);
}
