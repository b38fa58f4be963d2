//! Given/when/then tests of an offer's issuer: it is redeemed and issued only at its own
//! issuer's endpoints, and its events' metadata names it.

use super::*;
use crate::aggregate::EventSourced;

fn created_by(issuer: &str) -> OfferEvent {
    let mut offer = created_with(&[IDENTITY], true, true);
    offer.issuer_id = Some(issuer.into());
    offer.configuration_versions.insert(IDENTITY.to_string(), 3);
    OfferEvent::OfferCreated(offer)
}

fn redeem_at(issuer: Option<&str>) -> OfferCommand {
    let OfferCommand::Redeem(mut command) = redeem() else {
        unreachable!("redeem() is a redemption");
    };
    command.issuer_id = issuer.map(str::to_string);
    OfferCommand::Redeem(command)
}

fn issue_at(issuer: Option<&str>) -> OfferCommand {
    let OfferCommand::IssueCredentials(mut command) = issue_cmd(IDENTITY, 1) else {
        unreachable!("issue_cmd() issues");
    };
    command.issuer_id = issuer.map(str::to_string);
    OfferCommand::IssueCredentials(command)
}

#[test]
fn an_offer_is_redeemed_at_its_own_issuer() {
    OfferTest::with(())
        .given(vec![created_by("acme")])
        .when(redeem_at(Some("acme")))
        .then_expect_events(vec![redeemed(&[IDENTITY])]);
}

#[test]
fn another_issuer_or_the_default_one_does_not_redeem_it() {
    for issuer in [Some("other"), None] {
        OfferTest::with(())
            .given(vec![created_by("acme")])
            .when(redeem_at(issuer))
            .then_expect_error(OfferError::OtherIssuer);
    }
}

#[test]
fn an_offer_of_the_default_issuer_is_not_redeemed_at_another() {
    OfferTest::with(())
        .given(vec![created()])
        .when(redeem_at(Some("acme")))
        .then_expect_error(OfferError::OtherIssuer);
}

#[test]
fn another_issuer_does_not_issue_its_credentials() {
    OfferTest::with(())
        .given(vec![created_by("acme"), redeemed(&[IDENTITY])])
        .when(issue_at(Some("other")))
        .then_expect_error(OfferError::OtherIssuer);
}

#[test]
fn its_own_issuer_issues_them() {
    let events = Offer::from_events(&[created_by("acme"), redeemed(&[IDENTITY])])
        .decide(issue_at(Some("acme")))
        .unwrap();
    assert!(matches!(events[0], OfferEvent::CredentialIssued(_)));
}

#[test]
fn the_metadata_names_the_issuer_from_creation_on() {
    let none = Offer::default();
    assert_eq!(
        none.issuer_of(&[created_by("acme")]).as_deref(),
        Some("acme")
    );
    assert_eq!(none.issuer_of(&[created()]), None);
    let offer = Offer::from_events(&[created_by("acme")]);
    assert_eq!(
        offer.issuer_of(&[redeemed(&[IDENTITY])]).as_deref(),
        Some("acme")
    );
    assert_eq!(
        offer.definition.as_ref().unwrap().configuration_versions[IDENTITY],
        3
    );
}
