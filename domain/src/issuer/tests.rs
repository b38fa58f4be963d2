//! Given/when/then tests of the Issuer's lifecycle (create, display, retire), the rules
//! every command shares (not found, retired, actor and time recorded), stream ids and the
//! stored form of every event. Keys: `tests_keys.rs`; configurations:
//! `tests_configurations.rs`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use serde_json::{json, Value};

use super::*;
use crate::aggregate::{DecodeError, EventSourced, StoredEvent};
use crate::credential_config::Logo;

pub(super) type IssuerTest = TestFramework<Issuer>;
pub(super) type DecideResult = Result<Vec<IssuerEvent>, IssuerError>;

pub(super) const ACTOR: &str = "admin-key";

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

/// When the commands of a test are given.
pub(super) fn now() -> DateTime<Utc> {
    at(60)
}

pub(super) fn issuer_id() -> IssuerId {
    IssuerId::parse("acme-bank").unwrap()
}

pub(super) fn cmd(action: IssuerAction) -> IssuerCommand {
    IssuerCommand::new(ACTOR, now(), action)
}

pub(super) fn display() -> Vec<IssuerDisplay> {
    vec![
        IssuerDisplay {
            name: "ACME Bank".into(),
            locale: Some("en-US".into()),
            logo: Some(Logo {
                uri: "https://acme.example/logo.png".into(),
                alt_text: Some("ACME".into()),
            }),
        },
        IssuerDisplay {
            name: "ACME Bank AG".into(),
            locale: Some("de".into()),
            logo: None,
        },
    ]
}

pub(super) fn create_cmd(issuer_id: &str, display: Vec<IssuerDisplay>) -> IssuerCommand {
    cmd(IssuerAction::Create(CreateIssuer {
        issuer_id: issuer_id.into(),
        display,
    }))
}

pub(super) fn created() -> IssuerEvent {
    IssuerEvent::IssuerCreated(IssuerCreated {
        issuer_id: issuer_id(),
        display: display(),
        actor: ACTOR.into(),
        at: t0(),
    })
}

pub(super) fn retired() -> IssuerEvent {
    IssuerEvent::IssuerRetired(IssuerRetired {
        actor: ACTOR.into(),
        at: t0(),
    })
}

pub(super) fn decide_in(events: &[IssuerEvent], command: IssuerCommand) -> DecideResult {
    decide(&Issuer::from_events(events), command)
}

/// A JWK-shaped public key for `alg` (the domain checks its shape, not its point).
pub(super) fn public_jwk(alg: SigningAlg) -> Value {
    match alg {
        SigningAlg::ES256 => json!({"kty": "EC", "crv": "P-256",
            "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
            "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}),
        SigningAlg::ES384 => json!({"kty": "EC", "crv": "P-384",
            "x": "YU4rRUzdmVqmRtWOs2OpDE_T5fsNIodcG8G5FWPrTPMyxpzsSOGaQLpe2FpxBmu2",
            "y": "A8-yxCHxkfBz3hKZfI1jUYMjUhsEveZ9THuwFjH2sCNdtksRJU7D5-SkgaFL1ETP"}),
        SigningAlg::EdDSA => json!({"kty": "OKP", "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
    }
}

pub(super) fn key_added(kid: &str) -> SigningKeyAdded {
    SigningKeyAdded {
        kid: kid.into(),
        alg: SigningAlg::ES256,
        public_jwk: public_jwk(SigningAlg::ES256),
        certificate_chain: None,
        key_ref: format!("kek-v1/{kid}"),
        actor: ACTOR.into(),
        at: t0(),
    }
}

pub(super) fn generated(kid: &str) -> IssuerEvent {
    IssuerEvent::SigningKeyGenerated(key_added(kid))
}

pub(super) fn activated(kid: &str) -> IssuerEvent {
    IssuerEvent::SigningKeyActivated(SigningKeyActivated {
        kid: kid.into(),
        actor: ACTOR.into(),
        at: t0(),
    })
}

/// One command of every kind except `Create`, each valid on a fresh issuer with key
/// `k1` and configuration `Identity`.
pub(super) fn every_change() -> Vec<IssuerAction> {
    vec![
        IssuerAction::ChangeDisplay(ChangeDisplay { display: vec![] }),
        IssuerAction::GenerateSigningKey(AddSigningKey {
            kid: "k9".into(),
            alg: SigningAlg::ES256,
            public_jwk: public_jwk(SigningAlg::ES256),
            certificate_chain: None,
            key_ref: "kek-v1/k9".into(),
        }),
        IssuerAction::ImportSigningKey(AddSigningKey {
            kid: "k8".into(),
            alg: SigningAlg::EdDSA,
            public_jwk: public_jwk(SigningAlg::EdDSA),
            certificate_chain: None,
            key_ref: "kek-v1/k8".into(),
        }),
        IssuerAction::ActivateSigningKey(ActivateSigningKey { kid: "k1".into() }),
        IssuerAction::RetireSigningKey(RetireSigningKey {
            kid: "k1".into(),
            published_until: at(3600),
        }),
        IssuerAction::SetCertificateChain(SetCertificateChain {
            kid: "k1".into(),
            chain: vec!["MIIB".into()],
        }),
        IssuerAction::PublishConfiguration(PublishConfiguration {
            configuration_id: "Other".into(),
            configuration: json!({"vct": "https://acme.example/other"}),
        }),
        IssuerAction::RetireConfiguration(RetireConfiguration {
            configuration_id: "Identity".into(),
        }),
        IssuerAction::SetProfile(SetProfile {
            profile: IssuerProfile::Haip,
        }),
        IssuerAction::Retire,
    ]
}

/// A live issuer with key `k1` (pending) and configuration `Identity` (version 1).
pub(super) fn live_issuer() -> Vec<IssuerEvent> {
    vec![
        created(),
        generated("k1"),
        IssuerEvent::ConfigurationPublished(ConfigurationPublished {
            configuration_id: "Identity".into(),
            version: 1,
            configuration: json!({"id": "Identity", "format": "dc+sd-jwt",
                "vct": "https://acme.example/identity", "display": [], "claims": [],
                "validity_days": 365}),
            actor: ACTOR.into(),
            at: t0(),
        }),
    ]
}

// ---- create ----

#[test]
fn an_issuer_is_created_with_its_display() {
    IssuerTest::with(())
        .given_no_previous_events()
        .when(IssuerCommand::new(
            ACTOR,
            t0(),
            IssuerAction::Create(CreateIssuer {
                issuer_id: "acme-bank".into(),
                display: display(),
            }),
        ))
        .then_expect_events(vec![created()]);
}

#[test]
fn an_issuer_may_start_without_display() {
    let events = decide_in(&[], create_cmd("a", vec![])).unwrap();
    let issuer = Issuer::from_events(&events);
    assert_eq!(issuer.issuer_id.as_ref().map(IssuerId::as_str), Some("a"));
    assert!(issuer.display.is_empty());
    assert_eq!(issuer.created_at, Some(now()));
}

#[test]
fn creating_an_issuer_again_is_rejected_even_once_retired() {
    for history in [vec![created()], live_issuer(), vec![created(), retired()]] {
        assert_eq!(
            decide_in(&history, create_cmd("acme-bank", display())),
            Err(IssuerError::AlreadyExists)
        );
        assert_eq!(
            decide_in(&history, create_cmd("other", display())),
            Err(IssuerError::AlreadyExists)
        );
    }
}

#[test]
fn issuer_ids_are_slugs_of_at_most_64_characters() {
    let longest = "a".repeat(64);
    for valid in ["a", "acme-bank-2", "0", "-", longest.as_str()] {
        assert!(decide_in(&[], create_cmd(valid, vec![])).is_ok(), "{valid}");
    }
    let too_long = "a".repeat(65);
    for invalid in [
        "",
        "Acme",
        "acme bank",
        "acme_bank",
        "acme.bank",
        "acme/bank",
        "bänk",
        too_long.as_str(),
        "token",
        "credential-offers",
        "status-lists",
        "challenge",
    ] {
        assert!(
            matches!(
                decide_in(&[], create_cmd(invalid, vec![])),
                Err(IssuerError::InvalidId(_))
            ),
            "{invalid:?}"
        );
    }
}

/// Displays that break a rule, each with the text its rejection names.
fn invalid_displays() -> Vec<(Vec<IssuerDisplay>, &'static str)> {
    let entry = |name: &str, locale: Option<&str>, logo: Option<&str>| IssuerDisplay {
        name: name.into(),
        locale: locale.map(Into::into),
        logo: logo.map(|uri| Logo {
            uri: uri.into(),
            alt_text: None,
        }),
    };
    vec![
        (vec![entry("", None, None)], "display[0]: the name"),
        (vec![entry("  ", Some("en"), None)], "display[0]: the name"),
        (vec![entry("A", Some(""), None)], "display[0]: the locale"),
        (
            vec![entry("A", Some("en US"), None)],
            "display[0]: the locale",
        ),
        (
            vec![entry("A", Some("en"), None), entry("B", Some("EN"), None)],
            "display[1]: a second entry",
        ),
        (
            vec![entry("A", None, None), entry("B", None, None)],
            "display[1]: a second entry",
        ),
        (
            vec![entry("A", None, Some("logo.png"))],
            "display[0]: the logo",
        ),
    ]
}

#[test]
fn invalid_displays_are_rejected_at_creation_and_change() {
    for (display, text) in invalid_displays() {
        for result in [
            decide_in(&[], create_cmd("acme-bank", display.clone())),
            decide_in(
                &[created()],
                cmd(IssuerAction::ChangeDisplay(ChangeDisplay {
                    display: display.clone(),
                })),
            ),
        ] {
            match result {
                Err(IssuerError::InvalidDisplay(problem)) => {
                    assert!(problem.starts_with(text), "{problem} / {text}")
                }
                other => panic!("{display:?}: {other:?}"),
            }
        }
    }
}

// ---- what every change shares ----

#[test]
fn every_change_to_an_issuer_that_does_not_exist_is_not_found() {
    for action in every_change() {
        assert_eq!(
            decide_in(&[], cmd(action.clone())),
            Err(IssuerError::NotFound),
            "{action:?}"
        );
    }
}

#[test]
fn every_change_to_a_live_issuer_is_recorded_with_its_actor_and_time() {
    for action in every_change() {
        let command = IssuerCommand::new("someone", at(99), action.clone());
        let events = decide_in(&live_issuer(), command).unwrap_or_else(|e| {
            // Retiring the active key needs another one active; k1 is pending here.
            panic!("{action:?}: {e}")
        });
        assert_eq!(events.len(), 1, "{action:?}");
        assert_eq!(events[0].actor(), "someone");
        assert_eq!(events[0].at(), at(99));
    }
}

#[test]
fn every_change_after_the_issuer_is_retired_is_rejected() {
    let mut history = live_issuer();
    history.push(retired());
    for action in every_change() {
        assert_eq!(
            decide_in(&history, cmd(action.clone())),
            Err(IssuerError::Retired),
            "{action:?}"
        );
    }
}

// ---- display ----

#[test]
fn a_new_display_is_recorded() {
    let display = vec![IssuerDisplay {
        name: "ACME".into(),
        locale: None,
        logo: None,
    }];
    IssuerTest::with(())
        .given(vec![created()])
        .when(cmd(IssuerAction::ChangeDisplay(ChangeDisplay {
            display: display.clone(),
        })))
        .then_expect_events(vec![IssuerEvent::IssuerDisplayChanged(
            IssuerDisplayChanged {
                display: display.clone(),
                actor: ACTOR.into(),
                at: now(),
            },
        )]);
    let mut history = vec![created()];
    history.extend(
        decide_in(
            &history,
            cmd(IssuerAction::ChangeDisplay(ChangeDisplay {
                display: display.clone(),
            })),
        )
        .unwrap(),
    );
    assert_eq!(Issuer::from_events(&history).display, display);
}

#[test]
fn the_same_display_again_changes_nothing() {
    IssuerTest::with(())
        .given(vec![created()])
        .when(cmd(IssuerAction::ChangeDisplay(ChangeDisplay {
            display: display(),
        })))
        .then_expect_events(vec![]);
}

// ---- retire ----

#[test]
fn retiring_the_issuer_is_recorded_and_keeps_everything_readable() {
    IssuerTest::with(())
        .given(live_issuer())
        .when(cmd(IssuerAction::Retire))
        .then_expect_events(vec![IssuerEvent::IssuerRetired(IssuerRetired {
            actor: ACTOR.into(),
            at: now(),
        })]);
    let mut history = live_issuer();
    history.push(retired());
    let issuer = Issuer::from_events(&history);
    assert!(issuer.exists() && issuer.is_retired());
    assert_eq!(issuer.retired_at, Some(t0()));
    assert_eq!(issuer.version, 4);
    assert!(issuer.configuration("Identity", 1).is_some());
    assert_eq!(issuer.published_keys(now()).len(), 1);
}

#[test]
fn a_new_issuer_state_does_not_exist() {
    let issuer = Issuer::default();
    assert!(!issuer.exists() && !issuer.is_retired());
    assert_eq!(issuer.version, 0);
    assert!(issuer.active_key().is_none());
    assert!(issuer.published_keys(now()).is_empty());
    assert_eq!(issuer.current_configurations().count(), 0);
}

// ---- ids and streams ----

#[test]
fn stream_ids_round_trip_and_differ_from_other_aggregates() {
    let stream = stream_id(issuer_id());
    assert_eq!(stream, "issuer-acme-bank");
    assert_eq!(
        <Issuer as EventSourced<IssuerId>>::stream_id(issuer_id()),
        stream
    );
    assert_eq!(issuer_id_of_stream(&stream), Some(issuer_id()));
    let offer = crate::offer::stream_id(uuid::Uuid::from_u128(1));
    let session = crate::authorization::stream_id(uuid::Uuid::from_u128(1));
    for other in [offer.as_str(), session.as_str(), "issuer-", "issuer-Bad"] {
        assert_eq!(issuer_id_of_stream(other), None, "{other}");
    }
    assert_eq!(crate::offer::offer_id_of_stream(&stream), None);
    assert_eq!(issuer_id().to_string(), "acme-bank");
    assert_eq!(
        serde_json::to_value(issuer_id()).unwrap(),
        json!("acme-bank")
    );
}

// ---- stored form ----

/// One event of every type.
fn one_of_each() -> Vec<IssuerEvent> {
    let mut imported = key_added("k2");
    imported.alg = SigningAlg::EdDSA;
    imported.public_jwk = public_jwk(SigningAlg::EdDSA);
    imported.certificate_chain = Some(vec!["MIIB".into(), "MIIC".into()]);
    vec![
        created(),
        IssuerEvent::IssuerDisplayChanged(IssuerDisplayChanged {
            display: vec![],
            actor: ACTOR.into(),
            at: t0(),
        }),
        generated("k1"),
        IssuerEvent::SigningKeyImported(imported),
        activated("k1"),
        IssuerEvent::SigningKeyRetired(SigningKeyRetired {
            kid: "k2".into(),
            published_until: at(86_400),
            actor: ACTOR.into(),
            at: t0(),
        }),
        IssuerEvent::CertificateChainSet(CertificateChainSet {
            kid: "k1".into(),
            chain: vec!["MIIB".into()],
            actor: ACTOR.into(),
            at: t0(),
        }),
        live_issuer()[2].clone(),
        IssuerEvent::ConfigurationRetired(ConfigurationRetired {
            configuration_id: "Identity".into(),
            actor: ACTOR.into(),
            at: t0(),
        }),
        IssuerEvent::ProfileSet(ProfileSet {
            profile: IssuerProfile::Haip,
            actor: ACTOR.into(),
            at: t0(),
        }),
        retired(),
    ]
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    let events = one_of_each();
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, EVENT_TYPES.to_vec());
    for event in events {
        assert_eq!(event.event_version(), 1);
        assert_eq!(current_version(event.event_type()), 1);
        let payload = event.payload();
        assert_eq!(payload["actor"], json!(ACTOR), "{}", event.event_type());
        let decoded = IssuerEvent::decode(event.event_type(), 1, &payload).unwrap();
        assert_eq!(decoded, event);
        assert!(codec::schema(event.event_type(), 1).is_some());
        assert!(codec::schema(event.event_type(), 2).is_none());
    }
    assert!(codec::schema("OfferCreated", 1).is_none());
}

#[test]
fn decoding_rejects_unknown_types_other_versions_and_bad_payloads() {
    let payload = json!({});
    assert!(matches!(
        IssuerEvent::decode("OfferCreated", 1, &payload),
        Err(DecodeError::UnknownType(_))
    ));
    for version in [0, 2] {
        assert!(matches!(
            IssuerEvent::decode("IssuerRetired", version, &payload),
            Err(DecodeError::UnsupportedVersion { .. })
        ));
    }
    assert!(matches!(
        IssuerEvent::decode("IssuerRetired", 1, &payload),
        Err(DecodeError::Malformed { .. })
    ));
    let mut created = created().payload();
    created["display"][0]["colour"] = json!("red");
    assert!(matches!(
        IssuerEvent::decode("IssuerCreated", 1, &created),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn the_stored_key_events_hold_the_public_key_and_a_reference_only() {
    let payload = generated("k1").payload();
    let mut fields: Vec<&str> = payload
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["actor", "alg", "at", "key_ref", "kid", "public_jwk"],
        "no chain when there is none"
    );
    assert_eq!(payload["alg"], json!("ES256"));
    for member in PRIVATE_JWK_MEMBERS {
        assert!(payload["public_jwk"].get(member).is_none());
    }
}
