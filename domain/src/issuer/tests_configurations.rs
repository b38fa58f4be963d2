//! Credential configurations: versions published, validated as the TOML file's tables are,
//! retired; what new offers use and what old offers still find.

use serde_json::{json, Value};

use super::tests::*;
use super::*;
use crate::configuration_table::FieldProblem;

fn publish(configuration_id: &str, configuration: Value) -> IssuerCommand {
    cmd(IssuerAction::PublishConfiguration(PublishConfiguration {
        configuration_id: configuration_id.into(),
        configuration,
    }))
}

fn retire(configuration_id: &str) -> IssuerCommand {
    cmd(IssuerAction::RetireConfiguration(RetireConfiguration {
        configuration_id: configuration_id.into(),
    }))
}

fn identity(vct: &str) -> Value {
    json!({"vct": vct, "claims": [{"path": "given_name", "mandatory": true}]})
}

fn normalised_identity(vct: &str) -> Value {
    json!({"id": "Identity", "format": "dc+sd-jwt", "vct": vct, "display": [],
           "validity_days": 365,
           "claims": [{"path": "given_name", "mandatory": true,
                       "selectively_disclosable": true, "display": []}]})
}

fn published(configuration_id: &str, version: u32, configuration: Value) -> IssuerEvent {
    IssuerEvent::ConfigurationPublished(ConfigurationPublished {
        configuration_id: configuration_id.into(),
        version,
        configuration,
        actor: ACTOR.into(),
        at: now(),
    })
}

fn mdl() -> Value {
    json!({"format": "mso_mdoc", "doctype": "org.iso.18013.5.1.mDL", "scope": "mdl",
           "claims": [{"path": ["org.iso.18013.5.1", "family_name"], "mandatory": true,
                       "value_type": "tstr"}]})
}

/// Applies the events `command` produces to `history`.
fn run(history: &mut Vec<IssuerEvent>, command: IssuerCommand) {
    let events = decide_in(history, command).unwrap();
    history.extend(events);
}

#[test]
fn the_first_version_is_recorded_with_defaults_written_out() {
    IssuerTest::with(())
        .given(vec![created()])
        .when(publish("Identity", identity("https://acme.example/id")))
        .then_expect_events(vec![published(
            "Identity",
            1,
            normalised_identity("https://acme.example/id"),
        )]);
}

#[test]
fn a_changed_configuration_is_the_next_version_and_every_version_stays_readable() {
    let mut history = vec![created()];
    run(
        &mut history,
        publish("Identity", identity("https://acme.example/v1")),
    );
    IssuerTest::with(())
        .given(history.clone())
        .when(publish("Identity", identity("https://acme.example/v2")))
        .then_expect_events(vec![published(
            "Identity",
            2,
            normalised_identity("https://acme.example/v2"),
        )]);
    run(
        &mut history,
        publish("Identity", identity("https://acme.example/v2")),
    );
    run(&mut history, publish("mDL", mdl()));
    let issuer = Issuer::from_events(&history);
    let vct = |version| {
        issuer
            .configuration("Identity", version)
            .map(|c| c.configuration["vct"].clone())
    };
    assert_eq!(vct(1), Some(json!("https://acme.example/v1")));
    assert_eq!(vct(2), Some(json!("https://acme.example/v2")));
    assert_eq!(vct(3), None);
    assert_eq!(issuer.configuration("Other", 1), None);
    let current: Vec<(&str, u32)> = issuer
        .current_configurations()
        .map(|(id, c)| (id, c.version))
        .collect();
    assert_eq!(current, [("Identity", 2), ("mDL", 1)]);
    let identity = issuer.current_configuration("Identity").unwrap();
    assert_eq!(
        (identity.published_by.as_str(), identity.published_at),
        (ACTOR, now())
    );
    assert_eq!(identity.scope(), Some("Identity"));
    assert_eq!(
        issuer.current_configuration("mDL").unwrap().scope(),
        Some("mdl")
    );
    assert_eq!(issuer.configurations["Identity"].versions.len(), 2);
}

#[test]
fn publishing_the_current_version_again_changes_nothing() {
    let mut history = vec![created()];
    run(
        &mut history,
        publish("Identity", identity("https://acme.example/id")),
    );
    for same in [
        identity("https://acme.example/id"),
        normalised_identity("https://acme.example/id"),
    ] {
        assert_eq!(decide_in(&history, publish("Identity", same)), Ok(vec![]));
    }
    // An older version is not the current one.
    run(
        &mut history,
        publish("Identity", identity("https://acme.example/v2")),
    );
    let events = decide_in(
        &history,
        publish("Identity", identity("https://acme.example/id")),
    );
    assert!(
        matches!(events.as_deref(), Ok([IssuerEvent::ConfigurationPublished(p)]) if p.version == 3)
    );
}

#[test]
fn an_invalid_configuration_is_rejected_with_every_problem_by_field() {
    let details =
        |configuration: Value| match decide_in(&[created()], publish("Identity", configuration)) {
            Err(IssuerError::ConfigurationInvalid {
                configuration_id,
                details,
            }) => {
                assert_eq!(configuration_id, "Identity");
                details
            }
            other => panic!("{other:?}"),
        };
    let fields = |details: Vec<FieldProblem>| -> Vec<String> {
        details.into_iter().map(|d| d.field).collect()
    };
    assert_eq!(
        fields(details(json!({"vct": "", "validity_days": 4000,
                              "claims": [{"path": "vct"}, {"path": "a[x]"}]}))),
        ["vct", "validity_days", "claims[0].path", "claims[1].path"]
    );
    assert_eq!(
        fields(details(json!({"format": "mso_mdoc", "doctype": "d",
                              "credential_signing_alg_values_supported": [-35],
                              "claims": [{"path": ["ns"], "value_type": "tstr"}]}))),
        [
            "claims[0].path",
            "credential_signing_alg_values_supported",
            "claims"
        ]
    );
    assert_eq!(fields(details(json!({"id": "Other", "vct": "v"}))), ["id"]);
    let whole = details(json!({"vct": "v", "doctype": "d"}));
    assert_eq!(whole[0].field, "");
    assert!(whole[0].problem.contains("unknown field `doctype`"));
    assert!(IssuerError::ConfigurationInvalid {
        configuration_id: "Identity".into(),
        details: vec![
            FieldProblem {
                field: "vct".into(),
                problem: "must not be empty".into()
            },
            FieldProblem {
                field: String::new(),
                problem: "broken".into()
            },
        ],
    }
    .to_string()
    .ends_with("`Identity`: vct: must not be empty; broken"));
}

#[test]
fn a_configuration_id_must_be_an_identifier() {
    let result = decide_in(
        &[created()],
        publish("bad id", json!({"vct": "v", "scope": "ok"})),
    );
    let Err(IssuerError::ConfigurationInvalid { details, .. }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(details.len(), 1);
    assert_eq!(details[0].field, "id");
}

#[test]
fn scopes_are_unique_among_the_configurations_offered() {
    let mut history = vec![created()];
    run(&mut history, publish("mDL", mdl()));
    let taken = json!({"vct": "v", "scope": "mdl"});
    let result = decide_in(&history, publish("Identity", taken.clone()));
    let Err(IssuerError::ConfigurationInvalid { details, .. }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(details[0].field, "scope");
    assert!(details[0].problem.contains("used by two configurations"));
    // A configuration keeps its own scope in a new version…
    let mut changed = mdl();
    changed["doctype"] = json!("org.iso.18013.5.1.mDL.v2");
    assert!(decide_in(&history, publish("mDL", changed)).is_ok());
    // …and a retired one frees it.
    run(&mut history, retire("mDL"));
    assert!(decide_in(&history, publish("Identity", taken)).is_ok());
}

#[test]
fn a_retired_configuration_is_offered_no_more_and_its_versions_stay_readable() {
    let mut history = vec![created()];
    run(
        &mut history,
        publish("Identity", identity("https://acme.example/id")),
    );
    IssuerTest::with(())
        .given(history.clone())
        .when(retire("Identity"))
        .then_expect_events(vec![IssuerEvent::ConfigurationRetired(
            ConfigurationRetired {
                configuration_id: "Identity".into(),
                actor: ACTOR.into(),
                at: now(),
            },
        )]);
    run(&mut history, retire("Identity"));
    let issuer = Issuer::from_events(&history);
    assert!(issuer.configurations["Identity"].is_retired());
    assert_eq!(issuer.configurations["Identity"].retired_at, Some(now()));
    assert!(issuer.current_configuration("Identity").is_none());
    assert_eq!(issuer.current_configurations().count(), 0);
    assert!(issuer.configuration("Identity", 1).is_some());
}

#[test]
fn a_retired_configuration_cannot_be_retired_again_or_republished() {
    let mut history = vec![created()];
    run(
        &mut history,
        publish("Identity", identity("https://acme.example/id")),
    );
    run(&mut history, retire("Identity"));
    assert_eq!(
        decide_in(&history, retire("Identity")),
        Err(IssuerError::ConfigurationRetired("Identity".into()))
    );
    assert_eq!(
        decide_in(
            &history,
            publish("Identity", identity("https://acme.example/id"))
        ),
        Err(IssuerError::ConfigurationRetired("Identity".into()))
    );
}

#[test]
fn retiring_an_unknown_configuration_is_rejected() {
    assert_eq!(
        decide_in(&[created()], retire("Identity")),
        Err(IssuerError::UnknownConfiguration("Identity".into()))
    );
}

#[test]
fn the_longest_validity_counts_every_version_and_retired_configurations() {
    let mut history = vec![created()];
    assert_eq!(
        Issuer::from_events(&history).longest_credential_validity(),
        None
    );
    let mut long = identity("https://acme.example/id");
    long["validity_days"] = json!(800);
    run(&mut history, publish("Identity", long));
    let mut short = identity("https://acme.example/id");
    short["validity_days"] = json!(10);
    run(&mut history, publish("Identity", short));
    run(&mut history, publish("Mdl", mdl()));
    let days = |history: &[IssuerEvent]| {
        Issuer::from_events(history)
            .longest_credential_validity()
            .map(|d| d.num_days())
    };
    // Version 1 (800 days) may still be issued for offers made from it.
    assert_eq!(days(&history), Some(800));
    run(&mut history, retire("Identity"));
    assert_eq!(days(&history), Some(800));
    // A default validity counts as written out (365 days).
    let mut mdoc_only = vec![created()];
    run(&mut mdoc_only, publish("Mdl", mdl()));
    assert_eq!(days(&mdoc_only), Some(365));
}
