//! The typed public data serialises to exactly the bytes the hand-built `json!` objects
//! it replaced produced (kept here as the reference).

use chrono::{TimeZone, Utc};
use issuance_domain::offer::*;
use issuance_domain::{Digest, Sealed};
use serde_json::{json, Value};
use uuid::Uuid;

use super::*;

/// The implementation before the typed structs, verbatim.
fn hand_built(event: &OfferEvent) -> Value {
    match event {
        OfferEvent::OfferCreated(created) => {
            let tx_code = match &created.grant {
                OfferGrant::PreAuthorizedCode {
                    tx_code: Some(tx), ..
                } => json!({
                    "input_mode": tx.input_mode,
                    "length": tx.length,
                    "description": tx.description,
                }),
                _ => Value::Null,
            };
            json!({
                "offer_id": created.offer_id,
                "credential_configuration_ids": created.credential_configuration_ids,
                "grant": created.grant.name(),
                "tx_code": tx_code,
                "single_use": created.single_use,
                "expires_at": created.expires_at,
                "tx_code_max_attempts": created.tx_code_max_attempts,
            })
        }
        OfferEvent::TxCodeRejected(rejected) => {
            json!({"attempts_remaining": rejected.attempts_remaining})
        }
        OfferEvent::OfferRedeemed(redeemed) => json!({
            "redemption_id": redeemed.redemption_id,
            "grant": redeemed.grant,
            "token_expires_at": redeemed.token_expires_at,
            "credential_configuration_ids": redeemed.credential_configuration_ids,
            "client_id": redeemed.client_id,
            "dpop_bound": redeemed.dpop_jkt.is_some(),
        }),
        OfferEvent::CredentialIssued(issued) => json!({
            "redemption_id": issued.redemption_id,
            "credential_configuration_id": issued.credential_configuration_id,
            "credential_id": issued.credential_id,
            "notification_id": issued.notification_id,
            "credential_expires_at": issued.credential_expires_at,
            "status": issued.status,
        }),
        OfferEvent::OfferCompleted(_) | OfferEvent::OfferExpired(_) => json!({}),
        OfferEvent::OfferFailed(failed) => {
            json!({"code": failed.code, "description": failed.description})
        }
        OfferEvent::OfferRevoked(revoked) => json!({"reason": revoked.reason}),
        OfferEvent::NotificationReceived(notification) => json!({
            "notification_id": notification.notification_id,
            "event": notification.event,
            "event_description": notification.event_description,
        }),
        OfferEvent::ClaimsErased(erased) => json!({"reason": erased.reason}),
        OfferEvent::RedemptionRevoked(revoked) => json!({
            "redemption_id": revoked.redemption_id,
            "reason": revoked.reason,
        }),
        // The operator's reason is shown as an offer revocation's is.
        OfferEvent::CredentialRevoked(changed)
        | OfferEvent::CredentialSuspended(changed)
        | OfferEvent::CredentialReinstated(changed) => json!({
            "credential_id": changed.credential_id,
            "list_id": changed.list_id,
            "idx": changed.idx,
            "reason": changed.reason,
        }),
    }
}

fn sealed() -> Sealed {
    Sealed {
        alg: "A256GCM".into(),
        nonce: "bm9uY2U".into(),
        ciphertext: "Y2lwaGVy".into(),
    }
}

fn created(tx_code: Option<TxCodeSpec>, grant_code: bool) -> OfferEvent {
    let grant = if grant_code {
        OfferGrant::AuthorizationCode {
            issuer_state_hash: Digest([2; 32]),
        }
    } else {
        OfferGrant::PreAuthorizedCode {
            code_hash: Digest([1; 32]),
            tx_code,
        }
    };
    OfferEvent::OfferCreated(OfferCreated {
        offer_id: Uuid::from_u128(1),
        credential_configuration_ids: vec!["A".into(), "B".into()],
        grant,
        single_use: true,
        sealed_subject: Some(sealed()),
        callback_url: Some("https://backend.example/cb".into()),
        sealed_correlation: Some(sealed()),
        expires_at: Utc.timestamp_opt(1_800_000_000, 123_000_000).unwrap(),
        tx_code_max_attempts: 5,
        sealed_claims: sealed(),
        request_fingerprint: Digest([3; 32]),
        legacy_subject: None,
        legacy_correlation: None,
        issuer_id: None,
        configuration_versions: Default::default(),
    })
}

fn every_kind_of_event() -> Vec<OfferEvent> {
    let at = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    let tx = |description: Option<&str>| TxCodeSpec {
        input_mode: TxCodeInputMode::Text,
        length: 6,
        description: description.map(str::to_string),
        code_hash: Digest([4; 32]),
    };
    let changed = |reason: Option<&str>| CredentialStatusChanged {
        credential_id: Uuid::from_u128(5),
        list_id: Uuid::from_u128(6),
        idx: 42,
        reason: reason.map(str::to_string),
    };
    let redeemed = |client: Option<&str>, jkt: Option<&str>| {
        OfferEvent::OfferRedeemed(OfferRedeemed {
            redemption_id: Uuid::from_u128(2),
            grant: GRANT_PRE_AUTHORIZED_CODE.into(),
            token_hash: Digest([5; 32]),
            token_expires_at: at,
            credential_configuration_ids: vec!["A".into()],
            client_id: client.map(str::to_string),
            dpop_jkt: jkt.map(str::to_string),
            attested_wallet: None,
        })
    };
    let issued = |status: Option<StatusEntry>| {
        OfferEvent::CredentialIssued(CredentialIssued {
            redemption_id: Uuid::from_u128(2),
            credential_configuration_id: "A".into(),
            credential_id: Uuid::from_u128(5),
            sealed_holder_key_thumbprint: Some(sealed()),
            credential_hash: Digest([6; 32]),
            notification_id: "n-1".into(),
            credential_expires_at: at,
            status,
            legacy_holder_key_thumbprint: None,
        })
    };
    let notification = |description: Option<&str>| {
        OfferEvent::NotificationReceived(NotificationReceived {
            notification_id: "n-1".into(),
            event: NotificationEvent::CredentialFailure,
            event_description: description.map(str::to_string),
        })
    };
    vec![
        created(None, false),
        created(Some(tx(None)), false),
        created(Some(tx(Some("from the letter"))), false),
        created(None, true),
        OfferEvent::TxCodeRejected(TxCodeRejected {
            attempts_remaining: 2,
        }),
        redeemed(None, None),
        redeemed(Some("wallet"), Some("jkt")),
        issued(None),
        issued(Some(StatusEntry {
            list_id: Uuid::from_u128(6),
            idx: 42,
        })),
        OfferEvent::OfferCompleted(OfferCompleted {}),
        OfferEvent::OfferExpired(OfferExpired {}),
        OfferEvent::OfferFailed(OfferFailed {
            code: FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED.into(),
            description: "too many".into(),
        }),
        OfferEvent::OfferRevoked(OfferRevoked { reason: None }),
        OfferEvent::OfferRevoked(OfferRevoked {
            reason: Some("asked".into()),
        }),
        notification(None),
        notification(Some("disk full")),
        OfferEvent::ClaimsErased(ClaimsErased {
            reason: "admin_request".into(),
        }),
        OfferEvent::RedemptionRevoked(RedemptionRevoked {
            redemption_id: Uuid::from_u128(2),
            reason: REVOCATION_AUTHORIZATION_CODE_REPLAYED.into(),
        }),
        OfferEvent::CredentialRevoked(changed(Some("lost"))),
        OfferEvent::CredentialSuspended(changed(None)),
        OfferEvent::CredentialReinstated(changed(Some("found"))),
    ]
}

#[test]
fn typed_public_data_is_byte_for_byte_the_hand_built_json() {
    for event in every_kind_of_event() {
        let typed = serde_json::to_string(&public_data(&event)).unwrap();
        let hand_built = serde_json::to_string(&hand_built(&event)).unwrap();
        assert_eq!(typed, hand_built, "{}", event.event_type());
    }
}

#[test]
fn every_event_type_has_a_public_data_schema_its_data_validates_against() {
    for event_type in EVENT_TYPES {
        assert!(public_data_schema(event_type).is_some(), "{event_type}");
    }
    for event in every_kind_of_event() {
        let schema = public_data_schema(event.event_type()).unwrap();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let data: Value = public_data(&event);
        let errors: Vec<String> = validator
            .iter_errors(&data)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", event.event_type());
    }
    assert!(public_data_schema("LoginStarted").is_none());
}
