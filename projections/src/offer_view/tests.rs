//! The offer view folded from events: sealed values, erasure, credential status, issuer.

use super::*;
use issuance_domain::offer::*;

fn sealed(text: &str) -> Sealed {
    Sealed {
        alg: "A256GCM".into(),
        nonce: "n".into(),
        ciphertext: text.into(),
    }
}

fn events() -> Vec<OfferEvent> {
    let at = DateTime::<Utc>::UNIX_EPOCH;
    vec![
        OfferEvent::OfferCreated(OfferCreated {
            offer_id: Uuid::nil(),
            credential_configuration_ids: vec!["A".into()],
            grant: OfferGrant::AuthorizationCode {
                issuer_state_hash: Digest([1; 32]),
            },
            single_use: true,
            sealed_subject: Some(sealed("subject")),
            callback_url: None,
            sealed_correlation: Some(sealed("correlation")),
            expires_at: at,
            tx_code_max_attempts: 3,
            sealed_claims: sealed("claims"),
            request_fingerprint: Digest([2; 32]),
            legacy_subject: None,
            legacy_correlation: None,
            issuer_id: None,
            configuration_versions: Default::default(),
        }),
        OfferEvent::CredentialIssued(CredentialIssued {
            redemption_id: Uuid::nil(),
            credential_configuration_id: "A".into(),
            credential_id: Uuid::nil(),
            sealed_holder_key_thumbprint: Some(sealed("thumbprint")),
            credential_hash: Digest([3; 32]),
            notification_id: "n".into(),
            credential_expires_at: at,
            status: Some(StatusEntry {
                list_id: Uuid::nil(),
                idx: 4,
            }),
            legacy_holder_key_thumbprint: None,
        }),
    ]
}

fn fold(events: &[OfferEvent]) -> OfferView {
    let metadata = EventMetadata::system(DateTime::<Utc>::UNIX_EPOCH);
    let mut view = None;
    for (n, event) in events.iter().enumerate() {
        view = OfferView::apply(view, event, &metadata, n as u64 + 1);
    }
    view.unwrap()
}

#[test]
fn personal_values_stay_sealed_and_are_opened_only_on_demand() {
    let mut view = fold(&events());
    assert_eq!(view.issuer_id, DEFAULT_ISSUER_ID);
    assert_eq!(view.subject, Some(sealed("subject")));
    view.subject_pseudonym = Some(Digest([9; 32]));
    let opened =
        view.map_personal(|purpose, sealed| Some(format!("{purpose}:{}", sealed.ciphertext)));
    assert_eq!(opened.subject.as_deref(), Some("subject:subject"));
    assert_eq!(
        opened.correlation.as_deref(),
        Some("correlation:correlation")
    );
    assert_eq!(
        opened.issued[0].holder_key_thumbprint.as_deref(),
        Some("holder_key_thumbprint:thumbprint")
    );
    assert_eq!(opened.subject_pseudonym, None, "never shown");
}

#[test]
fn erasure_drops_the_sealed_values_and_the_pseudonym() {
    let mut events = events();
    events.push(OfferEvent::ClaimsErased(ClaimsErased {
        reason: "admin_request".into(),
    }));
    let mut view = fold(&events[..2]);
    view.subject_pseudonym = Some(Digest([9; 32]));
    let metadata = EventMetadata::system(DateTime::<Utc>::UNIX_EPOCH);
    let erased = OfferView::apply(Some(view), &events[2], &metadata, 3).unwrap();
    assert!(erased.claims_erased);
    assert_eq!((erased.subject, erased.correlation), (None, None));
    assert_eq!(erased.subject_pseudonym, None);
    assert_eq!(erased.issued[0].holder_key_thumbprint, None);
    assert_eq!(erased.issued[0].status_entry.map(|e| e.idx), Some(4));
}

#[test]
fn credential_status_changes_show_in_the_view() {
    let changed = CredentialStatusChanged {
        credential_id: Uuid::nil(),
        list_id: Uuid::nil(),
        idx: 4,
        reason: None,
    };
    let mut events = events();
    events.push(OfferEvent::CredentialSuspended(changed.clone()));
    assert_eq!(fold(&events).issued[0].status, CredentialStatus::Suspended);
    events.push(OfferEvent::CredentialReinstated(changed.clone()));
    assert_eq!(fold(&events).issued[0].status, CredentialStatus::Valid);
    events.push(OfferEvent::CredentialRevoked(changed));
    assert_eq!(fold(&events).issued[0].status, CredentialStatus::Revoked);
}

#[test]
fn the_view_names_its_issuer_and_old_rows_read_as_the_default_one() {
    let mut events = events();
    assert_eq!(fold(&events).issuer_id, DEFAULT_ISSUER_ID);
    if let OfferEvent::OfferCreated(created) = &mut events[0] {
        created.issuer_id = Some("acme".into());
    }
    let view = fold(&events);
    assert_eq!(view.issuer_id, "acme");
    let mut stored = serde_json::to_value(&view).unwrap();
    assert_eq!(stored["issuer_id"], "acme");
    stored.as_object_mut().unwrap().remove("issuer_id");
    let old: OfferView = serde_json::from_value(stored).unwrap();
    assert_eq!(old.issuer_id, DEFAULT_ISSUER_ID);
}
