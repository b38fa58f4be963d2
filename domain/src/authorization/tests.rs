//! Given/when/then tests of every AuthorizationSession command in every state, including
//! each rejection.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::aggregate::{DecodeError, StoredEvent};
use crate::digest::Digest;

type SessionTest = TestFramework<AuthorizationSession>;

const IDENTITY: &str = "IdentityCredential";
const CLIENT: &str = "wallet-client";
const REDIRECT: &str = "https://wallet.example/callback";
const SUBJECT: &str = "customer-4711";
const JKT: &str = "dpop-key-thumbprint";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

fn session_id() -> Uuid {
    Uuid::from_u128(0x0a11_0000_4000_8000_0000_0000_0001)
}

fn offer_id() -> Uuid {
    Uuid::from_u128(0x0ffe_0000_4000_8000_0000_0000_0001)
}

fn created_offer_id() -> Uuid {
    Uuid::from_u128(0x0ffe_0000_4000_8000_0000_0000_0002)
}

fn request_uri() -> Digest {
    Digest([11; 32])
}

fn challenge() -> Digest {
    Digest([12; 32])
}

fn code() -> Digest {
    Digest([13; 32])
}

fn verifier() -> Digest {
    Digest([14; 32])
}

fn wrong() -> Digest {
    Digest([99; 32])
}

fn redemption_id() -> Uuid {
    Uuid::from_u128(77)
}

/// A request for the offer (`issuer_state`) or wallet-initiated, pushed or direct; the
/// request_uri expires at +60 s.
fn request_for(offer: bool, pushed: bool) -> AuthorizationRequested {
    AuthorizationRequested {
        session_id: session_id(),
        client_id: CLIENT.into(),
        redirect_uri: REDIRECT.into(),
        code_challenge: verifier(),
        credential_configuration_ids: vec![IDENTITY.into()],
        authorization_details: true,
        state: Some("wallet-state".into()),
        offer_id: offer.then(offer_id),
        pushed: pushed.then(|| PushedRequest {
            request_uri_hash: request_uri(),
            expires_at: at(60),
        }),
        dpop_jkt: None,
        expires_at: Some(at(900)),
    }
}

fn requested() -> AuthorizationEvent {
    AuthorizationEvent::AuthorizationRequested(request_for(true, true))
}

fn requested_wallet_initiated() -> AuthorizationEvent {
    AuthorizationEvent::AuthorizationRequested(request_for(false, true))
}

fn requested_bound() -> AuthorizationEvent {
    let mut request = request_for(true, true);
    request.dpop_jkt = Some(JKT.into());
    AuthorizationEvent::AuthorizationRequested(request)
}

fn request_cmd(request: AuthorizationRequested) -> AuthorizationCommand {
    AuthorizationCommand::Request(RequestAuthorization { now: t0(), request })
}

fn start_login_with(request_uri_hash: Option<Digest>, now: DateTime<Utc>) -> AuthorizationCommand {
    AuthorizationCommand::StartLogin(StartLogin {
        now,
        client_id: CLIENT.into(),
        request_uri_hash,
        challenge_hash: challenge(),
        challenge_expires_at: now + Duration::seconds(600),
    })
}

fn start_login() -> AuthorizationCommand {
    start_login_with(Some(request_uri()), at(10))
}

fn login_started() -> AuthorizationEvent {
    AuthorizationEvent::LoginStarted(LoginStarted {
        challenge_hash: challenge(),
        expires_at: at(610),
    })
}

/// The subject as the adapter seals it (a stand-in: the domain never opens it).
fn sealed_subject(subject: &str) -> crate::sealed::Sealed {
    crate::sealed::Sealed {
        alg: "A256GCM".into(),
        nonce: "bm9uY2U".into(),
        ciphertext: format!("sealed-{}", subject.len()),
    }
}

fn accept_with(offer: GrantedOffer, subject: &str, challenge_hash: Digest) -> AuthorizationCommand {
    AuthorizationCommand::Accept(AcceptLogin {
        now: at(20),
        challenge_hash,
        subject: subject.into(),
        sealed_subject: sealed_subject(subject),
        offer,
        code_hash: code(),
        code_expires_at: at(80),
    })
}

fn existing(subject: Option<&str>) -> GrantedOffer {
    GrantedOffer::Existing {
        offer_subject: subject.map(str::to_string),
    }
}

fn accept() -> AuthorizationCommand {
    accept_with(existing(Some(SUBJECT)), SUBJECT, challenge())
}

fn granted_for(offer_id: Uuid) -> AuthorizationEvent {
    AuthorizationEvent::AuthorizationGranted(AuthorizationGranted {
        sealed_subject: Some(sealed_subject(SUBJECT)),
        offer_id,
        code_hash: code(),
        code_expires_at: at(80),
        legacy_subject: None,
    })
}

fn granted() -> AuthorizationEvent {
    granted_for(offer_id())
}

fn reject_with(challenge_hash: Digest, now: DateTime<Utc>) -> AuthorizationCommand {
    AuthorizationCommand::Reject(RejectLogin {
        now,
        challenge_hash,
        description: Some("user cancelled".into()),
    })
}

fn reject() -> AuthorizationCommand {
    reject_with(challenge(), at(20))
}

fn denied() -> AuthorizationEvent {
    AuthorizationEvent::AuthorizationDenied(AuthorizationDenied {
        reason: DenialReason::Rejected,
        description: Some("user cancelled".into()),
    })
}

fn exchange_cmd() -> ExchangeCode {
    ExchangeCode {
        now: at(30),
        code_hash: code(),
        client_id: CLIENT.into(),
        redirect_uri: REDIRECT.into(),
        code_verifier_hash: verifier(),
        dpop_jkt: None,
        redemption_id: redemption_id(),
    }
}

fn exchange() -> AuthorizationCommand {
    AuthorizationCommand::ExchangeCode(exchange_cmd())
}

fn exchange_with(change: impl FnOnce(&mut ExchangeCode)) -> AuthorizationCommand {
    let mut command = exchange_cmd();
    change(&mut command);
    AuthorizationCommand::ExchangeCode(command)
}

fn exchanged() -> AuthorizationEvent {
    AuthorizationEvent::AuthorizationCodeExchanged(AuthorizationCodeExchanged {
        redemption_id: redemption_id(),
    })
}

fn replayed() -> AuthorizationEvent {
    AuthorizationEvent::AuthorizationCodeReplayed(AuthorizationCodeReplayed {
        offer_id: offer_id(),
        redemption_id: redemption_id(),
    })
}

/// Histories of every reachable state of a pushed session for an offer.
fn histories() -> Vec<(&'static str, Vec<AuthorizationEvent>)> {
    vec![
        ("REQUESTED", vec![requested()]),
        ("LOGIN_PENDING", vec![requested(), login_started()]),
        ("GRANTED", vec![requested(), login_started(), granted()]),
        ("DENIED", vec![requested(), login_started(), denied()]),
        (
            "EXCHANGED",
            vec![requested(), login_started(), granted(), exchanged()],
        ),
        (
            "REPLAYED",
            vec![
                requested(),
                login_started(),
                granted(),
                exchanged(),
                replayed(),
            ],
        ),
    ]
}

fn history(state: &str) -> Vec<AuthorizationEvent> {
    histories()
        .into_iter()
        .find(|(name, _)| *name == state)
        .map(|(_, events)| events)
        .unwrap()
}

fn decide_in(events: &[AuthorizationEvent], command: AuthorizationCommand) -> DecideResult {
    decide(&AuthorizationSession::from_events(events), command)
}

type DecideResult = Result<Vec<AuthorizationEvent>, AuthorizationError>;

// ---- request ----

#[test]
fn a_pushed_request_is_recorded() {
    SessionTest::with(())
        .given_no_previous_events()
        .when(request_cmd(request_for(true, true)))
        .then_expect_events(vec![requested()]);
}

#[test]
fn a_wallet_initiated_direct_request_is_recorded() {
    SessionTest::with(())
        .given_no_previous_events()
        .when(request_cmd(request_for(false, false)))
        .then_expect_events(vec![AuthorizationEvent::AuthorizationRequested(
            request_for(false, false),
        )]);
}

#[test]
fn requesting_again_is_rejected_in_every_state() {
    for (state, events) in histories() {
        assert_eq!(
            decide_in(&events, request_cmd(request_for(true, true))),
            Err(AuthorizationError::AlreadyExists),
            "state {state}"
        );
    }
}

#[test]
fn requests_breaking_an_invariant_are_rejected() {
    let broken: Vec<fn(&mut AuthorizationRequested)> = vec![
        |r| r.credential_configuration_ids.clear(),
        |r| r.credential_configuration_ids.push(IDENTITY.into()),
        |r| r.client_id.clear(),
        |r| r.redirect_uri.clear(),
        |r| {
            if let Some(p) = &mut r.pushed {
                p.expires_at = t0();
            }
        },
    ];
    for breaking in broken {
        let mut request = request_for(true, true);
        breaking(&mut request);
        assert!(matches!(
            decide_in(&[], request_cmd(request)),
            Err(AuthorizationError::InvalidRequest(_))
        ));
    }
}

// ---- commands on a session that does not exist ----

#[test]
fn every_other_command_on_a_missing_session_is_not_found() {
    for command in [start_login(), accept(), reject(), exchange()] {
        assert_eq!(
            decide_in(&[], command.clone()),
            Err(AuthorizationError::NotFound),
            "{command:?}"
        );
    }
}

// ---- start login (/authorize) ----

#[test]
fn the_pushed_request_uri_starts_the_login() {
    SessionTest::with(())
        .given(vec![requested()])
        .when(start_login())
        .then_expect_events(vec![login_started()]);
}

#[test]
fn a_direct_request_starts_the_login_without_a_request_uri() {
    let direct = AuthorizationEvent::AuthorizationRequested(request_for(true, false));
    SessionTest::with(())
        .given(vec![direct.clone()])
        .when(start_login_with(None, at(10)))
        .then_expect_events(vec![login_started()]);
    SessionTest::with(())
        .given(vec![direct])
        .when(start_login())
        .then_expect_error(AuthorizationError::InvalidRequestUri);
}

#[test]
fn a_wrong_or_missing_request_uri_is_rejected() {
    for presented in [Some(wrong()), None] {
        SessionTest::with(())
            .given(vec![requested()])
            .when(start_login_with(presented, at(10)))
            .then_expect_error(AuthorizationError::InvalidRequestUri);
    }
}

#[test]
fn another_client_cannot_use_the_request_uri() {
    let mut command = start_login();
    if let AuthorizationCommand::StartLogin(c) = &mut command {
        c.client_id = "other-wallet".into();
    }
    SessionTest::with(())
        .given(vec![requested()])
        .when(command)
        .then_expect_error(AuthorizationError::ClientMismatch);
}

#[test]
fn an_expired_request_uri_is_rejected_from_its_expiry() {
    SessionTest::with(())
        .given(vec![requested()])
        .when(start_login_with(Some(request_uri()), at(59)))
        .then_expect_events(vec![AuthorizationEvent::LoginStarted(LoginStarted {
            challenge_hash: challenge(),
            expires_at: at(659),
        })]);
    SessionTest::with(())
        .given(vec![requested()])
        .when(start_login_with(Some(request_uri()), at(60)))
        .then_expect_error(AuthorizationError::RequestUriExpired);
}

#[test]
fn a_request_uri_is_used_once_in_every_later_state() {
    for (state, events) in histories().into_iter().skip(1) {
        assert_eq!(
            decide_in(&events, start_login()),
            Err(AuthorizationError::RequestUriUsed),
            "state {state}"
        );
        // A wrong request_uri learns nothing about the state.
        assert_eq!(
            decide_in(&events, start_login_with(Some(wrong()), at(10))),
            Err(AuthorizationError::InvalidRequestUri),
            "state {state}"
        );
    }
}

#[test]
fn a_login_challenge_must_expire_in_the_future() {
    let mut command = start_login();
    if let AuthorizationCommand::StartLogin(c) = &mut command {
        c.challenge_expires_at = c.now;
    }
    assert!(matches!(
        decide_in(&[requested()], command),
        Err(AuthorizationError::InvalidRequest(_))
    ));
}

// ---- accept ----

#[test]
fn accepting_the_offers_subject_grants_a_code() {
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(accept())
        .then_expect_events(vec![granted()]);
}

#[test]
fn an_offer_without_a_subject_accepts_any_user() {
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(accept_with(existing(None), SUBJECT, challenge()))
        .then_expect_events(vec![granted()]);
}

#[test]
fn another_user_than_the_offers_subject_is_denied() {
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(accept_with(
            existing(Some("customer-1")),
            SUBJECT,
            challenge(),
        ))
        .then_expect_events(vec![AuthorizationEvent::AuthorizationDenied(
            AuthorizationDenied {
                reason: DenialReason::SubjectMismatch,
                description: Some("the authenticated user is not the offer's subject".into()),
            },
        )]);
}

#[test]
fn a_wallet_initiated_session_is_granted_with_the_created_offer() {
    SessionTest::with(())
        .given(vec![requested_wallet_initiated(), login_started()])
        .when(accept_with(
            GrantedOffer::Created {
                offer_id: created_offer_id(),
            },
            SUBJECT,
            challenge(),
        ))
        .then_expect_events(vec![granted_for(created_offer_id())]);
}

#[test]
fn a_wallet_initiated_session_needs_a_created_offer() {
    SessionTest::with(())
        .given(vec![requested_wallet_initiated(), login_started()])
        .when(accept())
        .then_expect_error(AuthorizationError::OfferRequired);
}

#[test]
fn a_session_for_an_offer_cannot_be_granted_another_offer() {
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(accept_with(
            GrantedOffer::Created {
                offer_id: created_offer_id(),
            },
            SUBJECT,
            challenge(),
        ))
        .then_expect_error(AuthorizationError::OfferAlreadyNamed);
}

#[test]
fn accepting_with_a_wrong_challenge_is_rejected() {
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(accept_with(existing(Some(SUBJECT)), SUBJECT, wrong()))
        .then_expect_error(AuthorizationError::InvalidLoginChallenge);
}

#[test]
fn accepting_after_the_login_expired_is_rejected() {
    let mut command = accept();
    if let AuthorizationCommand::Accept(c) = &mut command {
        c.now = at(610);
        c.code_expires_at = at(670);
    }
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(command)
        .then_expect_error(AuthorizationError::LoginExpired);
}

#[test]
fn accepting_outside_a_pending_login_is_rejected_in_every_state() {
    let expected = [
        ("REQUESTED", AuthorizationError::InvalidLoginChallenge),
        ("GRANTED", AuthorizationError::LoginCompleted),
        ("DENIED", AuthorizationError::LoginCompleted),
        ("EXCHANGED", AuthorizationError::LoginCompleted),
        ("REPLAYED", AuthorizationError::LoginCompleted),
    ];
    for (state, error) in expected {
        assert_eq!(decide_in(&history(state), accept()), Err(error), "{state}");
    }
}

#[test]
fn accepting_with_an_empty_subject_or_a_dead_code_is_rejected() {
    let mut dead_code = accept();
    if let AuthorizationCommand::Accept(c) = &mut dead_code {
        c.code_expires_at = c.now;
    }
    for command in [accept_with(existing(None), "", challenge()), dead_code] {
        assert!(matches!(
            decide_in(&[requested(), login_started()], command),
            Err(AuthorizationError::InvalidRequest(_))
        ));
    }
}

#[test]
fn the_accept_pre_check_agrees_with_decide_in_every_state() {
    let mut cases = histories();
    cases.push((
        "WALLET_INITIATED",
        vec![requested_wallet_initiated(), login_started()],
    ));
    for (state, events) in cases {
        let session = AuthorizationSession::from_events(&events);
        for (hash, now) in [
            (challenge(), at(20)),
            (wrong(), at(20)),
            (challenge(), at(700)),
        ] {
            for created in [false, true] {
                let offer = if created {
                    GrantedOffer::Created {
                        offer_id: created_offer_id(),
                    }
                } else {
                    existing(Some(SUBJECT))
                };
                let mut command = accept_with(offer, SUBJECT, hash);
                if let AuthorizationCommand::Accept(c) = &mut command {
                    c.now = now;
                    c.code_expires_at = now + Duration::seconds(60);
                }
                let decided = decide(&session, command).map(|_| ());
                let checked = ensure_acceptable(&session, &hash, created, now);
                assert_eq!(checked, decided, "{state}, created offer: {created}");
            }
        }
    }
}

// ---- reject ----

#[test]
fn rejecting_the_login_denies_the_session() {
    SessionTest::with(())
        .given(vec![requested(), login_started()])
        .when(reject())
        .then_expect_events(vec![denied()]);
}

#[test]
fn rejecting_with_a_wrong_or_expired_challenge_is_rejected() {
    let given = [requested(), login_started()];
    assert_eq!(
        decide_in(&given, reject_with(wrong(), at(20))),
        Err(AuthorizationError::InvalidLoginChallenge)
    );
    assert_eq!(
        decide_in(&given, reject_with(challenge(), at(610))),
        Err(AuthorizationError::LoginExpired)
    );
}

#[test]
fn rejecting_outside_a_pending_login_is_rejected_in_every_state() {
    let expected = [
        ("REQUESTED", AuthorizationError::InvalidLoginChallenge),
        ("GRANTED", AuthorizationError::LoginCompleted),
        ("DENIED", AuthorizationError::LoginCompleted),
        ("EXCHANGED", AuthorizationError::LoginCompleted),
    ];
    for (state, error) in expected {
        assert_eq!(decide_in(&history(state), reject()), Err(error), "{state}");
    }
}

// ---- exchange the code ----

#[test]
fn exchanging_the_code_records_the_redemption() {
    SessionTest::with(())
        .given(history("GRANTED"))
        .when(exchange())
        .then_expect_events(vec![exchanged()]);
}

#[test]
fn a_wrong_code_is_rejected_in_every_state() {
    for (state, events) in histories() {
        assert_eq!(
            decide_in(&events, exchange_with(|c| c.code_hash = wrong())),
            Err(AuthorizationError::InvalidCode),
            "{state}"
        );
    }
}

#[test]
fn there_is_no_code_before_the_grant_or_after_a_denial() {
    for state in ["REQUESTED", "LOGIN_PENDING", "DENIED"] {
        assert_eq!(
            decide_in(&history(state), exchange()),
            Err(AuthorizationError::InvalidCode),
            "{state}"
        );
    }
}

#[test]
fn an_expired_code_is_rejected_from_its_expiry() {
    SessionTest::with(())
        .given(history("GRANTED"))
        .when(exchange_with(|c| c.now = at(80)))
        .then_expect_error(AuthorizationError::CodeExpired);
}

#[test]
fn the_code_is_bound_to_its_client_redirect_uri_and_pkce_challenge() {
    let cases: Vec<(AuthorizationCommand, AuthorizationError)> = vec![
        (
            exchange_with(|c| c.client_id = "other-wallet".into()),
            AuthorizationError::ClientMismatch,
        ),
        (
            exchange_with(|c| c.redirect_uri = format!("{REDIRECT}/")),
            AuthorizationError::RedirectUriMismatch,
        ),
        (
            exchange_with(|c| c.redirect_uri = REDIRECT.to_uppercase()),
            AuthorizationError::RedirectUriMismatch,
        ),
        (
            exchange_with(|c| c.code_verifier_hash = wrong()),
            AuthorizationError::PkceMismatch,
        ),
    ];
    for (command, error) in cases {
        assert_eq!(decide_in(&history("GRANTED"), command), Err(error.clone()));
    }
}

#[test]
fn a_failed_exchange_leaves_the_code_usable() {
    let mut events = history("GRANTED");
    assert!(decide_in(&events, exchange_with(|c| c.code_verifier_hash = wrong())).is_err());
    events.extend(decide_in(&events, exchange()).unwrap());
    assert_eq!(
        AuthorizationSession::from_events(&events).status,
        SessionStatus::Exchanged
    );
}

#[test]
fn a_dpop_bound_code_needs_a_proof_with_its_key() {
    let given = vec![requested_bound(), login_started(), granted()];
    for presented in [None, Some("another-key")] {
        assert_eq!(
            decide_in(
                &given,
                exchange_with(|c| c.dpop_jkt = presented.map(str::to_string))
            ),
            Err(AuthorizationError::DpopKeyMismatch)
        );
    }
    assert_eq!(
        decide_in(&given, exchange_with(|c| c.dpop_jkt = Some(JKT.into()))),
        Ok(vec![exchanged()])
    );
}

#[test]
fn an_unbound_code_may_be_exchanged_with_a_dpop_proof() {
    // The token gets bound then (RFC 9449 §5); only a bound code demands the key.
    SessionTest::with(())
        .given(history("GRANTED"))
        .when(exchange_with(|c| c.dpop_jkt = Some(JKT.into())))
        .then_expect_events(vec![exchanged()]);
}

#[test]
fn a_second_use_of_the_code_is_recorded_as_a_replay_naming_the_token_to_revoke() {
    SessionTest::with(())
        .given(history("EXCHANGED"))
        .when(exchange_with(|c| c.redemption_id = Uuid::from_u128(78)))
        .then_expect_events(vec![replayed()]);
}

#[test]
fn the_first_further_use_is_a_replay_even_expired_or_with_wrong_parameters() {
    for command in [
        exchange_with(|c| c.now = at(3600)),
        exchange_with(|c| c.code_verifier_hash = wrong()),
        exchange_with(|c| c.client_id = "other-wallet".into()),
    ] {
        assert_eq!(
            decide_in(&history("EXCHANGED"), command),
            Ok(vec![replayed()])
        );
    }
    let session = AuthorizationSession::from_events(&history("REPLAYED"));
    assert_eq!(session.replays, 1);
    assert_eq!(session.status, SessionStatus::Exchanged);
}

#[test]
fn later_uses_are_refused_without_events_naming_the_revoked_token() {
    for command in [
        exchange(),
        exchange_with(|c| c.now = at(3600)),
        exchange_with(|c| c.code_verifier_hash = wrong()),
    ] {
        assert_eq!(
            decide_in(&history("REPLAYED"), command),
            Err(AuthorizationError::CodeReplayedAgain {
                offer_id: offer_id(),
                redemption_id: redemption_id(),
            })
        );
    }
    // A wrong code is still just a wrong code.
    assert_eq!(
        decide_in(
            &history("REPLAYED"),
            exchange_with(|c| c.code_hash = wrong())
        ),
        Err(AuthorizationError::InvalidCode)
    );
}

// ---- session expiry ----

/// `history(state)` with the session ending at `end` seconds.
fn history_ending(state: &str, end: i64) -> Vec<AuthorizationEvent> {
    let mut events = history(state);
    if let Some(AuthorizationEvent::AuthorizationRequested(request)) = events.first_mut() {
        request.expires_at = Some(at(end));
    }
    events
}

#[test]
fn a_request_must_end_in_the_future() {
    let mut request = request_for(true, true);
    request.expires_at = Some(t0());
    SessionTest::with(())
        .given_no_previous_events()
        .when(request_cmd(request))
        .then_expect_error(AuthorizationError::InvalidRequest(
            "the session must expire in the future".into(),
        ));
}

#[test]
fn an_expired_session_refuses_every_step_and_records_nothing() {
    // Every step's own deadline is still ahead; only the session's has passed.
    let cases = [
        ("REQUESTED", start_login_with(Some(request_uri()), at(16))),
        ("LOGIN_PENDING", accept()),
        ("LOGIN_PENDING", reject_with(challenge(), at(20))),
        ("GRANTED", exchange()),
    ];
    for (state, command) in cases {
        let events = history_ending(state, 15);
        assert_eq!(
            decide_in(&events, command.clone()),
            Err(AuthorizationError::SessionExpired),
            "{state}"
        );
        // The same command a moment before the end is accepted.
        let alive = history_ending(state, 3600);
        assert!(decide_in(&alive, command).is_ok(), "{state}");
    }
    let direct = vec![AuthorizationEvent::AuthorizationRequested({
        let mut request = request_for(false, false);
        request.expires_at = Some(at(5));
        request
    })];
    assert_eq!(
        decide_in(&direct, start_login_with(None, at(5))),
        Err(AuthorizationError::SessionExpired)
    );
    let accept_check = ensure_acceptable(
        &AuthorizationSession::from_events(&history_ending("LOGIN_PENDING", 15)),
        &challenge(),
        false,
        at(20),
    );
    assert_eq!(accept_check, Err(AuthorizationError::SessionExpired));
}

#[test]
fn an_exchanged_code_is_recognised_as_replayed_after_the_session_ended() {
    assert_eq!(
        decide_in(&history_ending("EXCHANGED", 15), exchange()),
        Ok(vec![replayed()])
    );
    assert!(matches!(
        decide_in(&history_ending("REPLAYED", 15), exchange()),
        Err(AuthorizationError::CodeReplayedAgain { .. })
    ));
}

#[test]
fn sessions_requested_without_an_end_do_not_expire_as_a_whole() {
    let mut events = history("GRANTED");
    if let Some(AuthorizationEvent::AuthorizationRequested(request)) = events.first_mut() {
        request.expires_at = None;
    }
    let session = AuthorizationSession::from_events(&events);
    assert!(!session.is_expired(at(1_000_000)));
    assert_eq!(decide_in(&events, exchange()), Ok(vec![exchanged()]));
    assert!(AuthorizationSession::from_events(&history("GRANTED")).is_expired(at(900)));
    assert!(!AuthorizationSession::from_events(&history("GRANTED")).is_expired(at(899)));
}

// ---- state and serialisation ----

#[test]
fn the_fold_tracks_status_version_and_offer() {
    let expected = [
        ("REQUESTED", SessionStatus::Requested),
        ("LOGIN_PENDING", SessionStatus::LoginPending),
        ("GRANTED", SessionStatus::Granted),
        ("DENIED", SessionStatus::Denied),
        ("EXCHANGED", SessionStatus::Exchanged),
        ("REPLAYED", SessionStatus::Exchanged),
    ];
    for (state, status) in expected {
        let events = history(state);
        let session = AuthorizationSession::from_events(&events);
        assert_eq!(session.status, status, "{state}");
        assert_eq!(session.version, events.len() as u64);
        assert_eq!(session.offer_id(), Some(offer_id()));
    }
    let wallet_initiated = AuthorizationSession::from_events(&[
        requested_wallet_initiated(),
        login_started(),
        granted_for(created_offer_id()),
    ]);
    assert_eq!(wallet_initiated.offer_id(), Some(created_offer_id()));
    assert_eq!(AuthorizationSession::default().offer_id(), None);
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    let events = vec![
        requested_bound(),
        login_started(),
        granted(),
        denied(),
        exchanged(),
        replayed(),
    ];
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, EVENT_TYPES.to_vec());
    for event in events {
        let decoded =
            AuthorizationEvent::decode(event.event_type(), event.event_version(), &event.payload())
                .unwrap();
        assert_eq!(decoded, event);
    }
    assert_eq!(
        denied().payload()["reason"],
        serde_json::json!(DenialReason::Rejected.as_str())
    );
}

#[test]
fn decoding_rejects_unknown_types_future_versions_and_bad_payloads() {
    let payload = serde_json::json!({});
    assert!(matches!(
        AuthorizationEvent::decode("OfferCreated", 1, &payload),
        Err(DecodeError::UnknownType(_))
    ));
    assert!(matches!(
        AuthorizationEvent::decode("LoginStarted", 2, &payload),
        Err(DecodeError::UnsupportedVersion { .. })
    ));
    assert!(matches!(
        AuthorizationEvent::decode("LoginStarted", 1, &payload),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn a_version_1_grant_is_upcast_with_its_plaintext_subject_kept_apart() {
    assert_eq!(granted().event_version(), 2);
    assert_eq!(login_started().event_version(), 1);
    let mut v1 = granted().payload();
    assert!(v1.get("subject").is_none(), "never written in plaintext");
    v1.as_object_mut().unwrap().remove("sealed_subject");
    v1["subject"] = serde_json::json!(SUBJECT);
    let AuthorizationEvent::AuthorizationGranted(upcast) =
        AuthorizationEvent::decode("AuthorizationGranted", 1, &v1).unwrap()
    else {
        unreachable!()
    };
    assert_eq!(upcast.legacy_subject.as_deref(), Some(SUBJECT));
    assert_eq!(upcast.sealed_subject, None);
    assert_eq!(upcast.offer_id, offer_id());
    v1.as_object_mut().unwrap().remove("subject");
    assert!(matches!(
        AuthorizationEvent::decode("AuthorizationGranted", 1, &v1),
        Err(DecodeError::Malformed { .. })
    ));
    assert!(matches!(
        AuthorizationEvent::decode("AuthorizationGranted", 3, &v1),
        Err(DecodeError::UnsupportedVersion { .. })
    ));
}

#[test]
fn stream_ids_round_trip_and_differ_from_offers() {
    assert_eq!(
        session_id_of_stream(&stream_id(session_id())),
        Some(session_id())
    );
    assert_eq!(
        session_id_of_stream(&crate::offer::stream_id(offer_id())),
        None
    );
    assert_eq!(
        crate::offer::offer_id_of_stream(&stream_id(session_id())),
        None
    );
}
