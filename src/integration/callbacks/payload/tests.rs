use super::*;
use issuance_domain::offer::*;
use issuance_domain::Digest;

fn created(single_use: bool) -> OfferCreated {
    OfferCreated {
        offer_id: Uuid::from_u128(7),
        credential_configuration_ids: vec!["A".into(), "B".into()],
        grant: OfferGrant::PreAuthorizedCode {
            code_hash: Digest([0; 32]),
            tx_code: None,
        },
        single_use,
        sealed_subject: None,
        callback_url: Some("https://backend.example/cb".into()),
        sealed_correlation: None,
        expires_at: DateTime::<Utc>::MAX_UTC,
        tx_code_max_attempts: 3,
        sealed_claims: SealedClaims {
            alg: "A256GCM".into(),
            nonce: String::new(),
            ciphertext: String::new(),
        },
        request_fingerprint: Digest([0; 32]),
        legacy_subject: None,
        // As read from a version-1 event: opens without cryptography in these tests.
        legacy_correlation: Some(serde_json::json!({"case": 1})),
        issuer_id: None,
        configuration_versions: Default::default(),
    }
}

fn redeemed(id: u128) -> OfferEvent {
    OfferEvent::OfferRedeemed(OfferRedeemed {
        redemption_id: Uuid::from_u128(id),
        grant: "pre-authorized_code".into(),
        token_hash: Digest([0; 32]),
        token_expires_at: DateTime::<Utc>::MAX_UTC,
        credential_configuration_ids: vec!["A".into(), "B".into()],
        client_id: None,
        dpop_jkt: None,
        attested_wallet: None,
    })
}

fn issued(redemption: u128, configuration: &str) -> OfferEvent {
    OfferEvent::CredentialIssued(CredentialIssued {
        redemption_id: Uuid::from_u128(redemption),
        credential_configuration_id: configuration.into(),
        credential_id: Uuid::new_v4(),
        sealed_holder_key_thumbprint: None,
        credential_hash: Digest([0; 32]),
        notification_id: "n".into(),
        credential_expires_at: DateTime::<Utc>::MAX_UTC,
        status: None,
        legacy_holder_key_thumbprint: None,
    })
}

fn statuses(events: &[OfferEvent]) -> Vec<Option<CallbackStatus>> {
    let mut offer = Offer::default();
    let mut out = Vec::new();
    for event in events {
        out.push(status_of(&offer, event));
        offer.apply(event.clone());
    }
    out
}

#[test]
fn a_single_use_offer_reports_issued_on_completion_only() {
    let events = [
        OfferEvent::OfferCreated(created(true)),
        redeemed(1),
        issued(1, "A"),
        issued(1, "B"),
        OfferEvent::OfferCompleted(OfferCompleted {}),
    ];
    use CallbackStatus::*;
    assert_eq!(
        statuses(&events),
        [Some(OfferCreated), None, None, None, Some(Issued)]
    );
}

#[test]
fn a_multi_use_offer_reports_issued_once_per_completed_redemption() {
    let events = [
        OfferEvent::OfferCreated(created(false)),
        redeemed(1),
        redeemed(2),
        issued(1, "A"),
        issued(2, "A"),
        issued(1, "B"),
        issued(1, "B"), // a second credential of a batch: no second callback
        issued(2, "B"),
    ];
    use CallbackStatus::*;
    assert_eq!(
        statuses(&events),
        [
            Some(OfferCreated),
            None,
            None,
            None,
            None,
            Some(Issued),
            None,
            Some(Issued)
        ]
    );
}

#[test]
fn failed_callbacks_carry_error_details_and_the_offer_data() {
    let before = Offer::from_events(&[OfferEvent::OfferCreated(created(true))]);
    let failed = OfferEvent::OfferFailed(OfferFailed {
        code: "tx_code_attempts_exhausted".into(),
        description: "too many".into(),
    });
    let callback = callback_for(&before, &failed, 5, DateTime::<Utc>::MIN_UTC).unwrap();
    assert_eq!(callback.status, CallbackStatus::Failed);
    assert_eq!(callback.event_id, callback.offer_id);
    assert_eq!(
        callback.error_details.unwrap().code,
        "tx_code_attempts_exhausted"
    );
    // Opened only when sent, and only for the offer's own URL.
    assert_eq!(callback.correlation, Value::Null);
    assert!(stored_correlation(&before, &failed).is_some());
    let mut without_url = created(true);
    without_url.callback_url = None;
    let before_default = Offer::from_events(&[OfferEvent::OfferCreated(without_url)]);
    assert!(stored_correlation(&before_default, &failed).is_none());
    let body = serde_json::to_value(
        callback_for(
            &before,
            &OfferEvent::OfferExpired(OfferExpired {}),
            2,
            DateTime::<Utc>::MIN_UTC,
        )
        .unwrap(),
    )
    .unwrap();
    for key in [
        "eventId",
        "status",
        "offerId",
        "occurredAt",
        "sequence",
        "credentialConfigurationIds",
        "correlation",
        "errorDetails",
    ] {
        assert!(body.get(key).is_some(), "{key} missing in {body}");
    }
    assert_eq!(body["status"], "EXPIRED");
    assert!(body["errorDetails"].is_null());
}

#[test]
fn the_offer_url_wins_over_the_default() {
    let created = OfferEvent::OfferCreated(created(true));
    let before = Offer::from_events([&created]);
    let expired = OfferEvent::OfferExpired(OfferExpired {});
    assert_eq!(
        target_url(&before, &expired, Some("https://default.example")),
        Some("https://backend.example/cb")
    );
    assert_eq!(
        target_url(&Offer::default(), &created, None),
        Some("https://backend.example/cb")
    );
}
