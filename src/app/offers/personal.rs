//! An offer's personal data besides its claims (subject, correlation object, holder key
//! thumbprints): sealed with the offer's data key on the way in, opened on the way out.
//!
//! Without the key (the claims were erased) every value reads as absent. Plaintext that
//! version-1 events hold is treated alike: shown only while the key exists, and sealed
//! before anything derived from it (the offer view) is stored.

use issuance_domain::offer::{OfferCreated, OfferEvent};
use issuance_domain::sealed::purpose;
use issuance_domain::Sealed;
use issuance_projections::OfferView;
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::sealing::{self, SealError};
use crate::store::DataKey;

/// Seals a text value of `offer_id` for `purpose` (see [`purpose`]).
pub fn seal_text(
    key: &DataKey,
    offer_id: Uuid,
    purpose: &str,
    text: &str,
) -> Result<Sealed, SealError> {
    sealing::seal_value(key, offer_id, purpose, &Value::String(text.to_string()))
}

/// Opens a sealed value, or passes version-1 plaintext, but only while the key exists.
/// A value that does not open (a corrupted row) reads as absent, and is reported without
/// its content.
pub fn open(
    key: Option<&DataKey>,
    offer_id: Uuid,
    purpose: &'static str,
    sealed: Option<&Sealed>,
    legacy: Option<Value>,
) -> Option<Value> {
    let key = key?;
    let Some(sealed) = sealed else {
        return legacy;
    };
    match sealing::open_value(key, offer_id, purpose, sealed) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::warn!(%offer_id, purpose, %error, "a sealed value does not open");
            None
        }
    }
}

/// The offer's subject, while its data key exists.
pub fn subject(created: &OfferCreated, key: Option<&DataKey>) -> Option<String> {
    let legacy = created.legacy_subject.clone().map(Value::String);
    let subject = created.sealed_subject.as_ref();
    match open(key, created.offer_id, purpose::SUBJECT, subject, legacy)? {
        Value::String(subject) => Some(subject),
        _ => None,
    }
}

/// The offer's correlation object, while its data key exists.
pub fn correlation(created: &OfferCreated, key: Option<&DataKey>) -> Option<Value> {
    let legacy = created.legacy_correlation.clone();
    let correlation = created.sealed_correlation.as_ref();
    open(
        key,
        created.offer_id,
        purpose::CORRELATION,
        correlation,
        legacy,
    )
}

/// Whether an event's personal data needs the offer's key before it is projected: to seal
/// version-1 plaintext, or to derive the subject's pseudonym.
pub fn needs_key(event: &OfferEvent) -> bool {
    match event {
        OfferEvent::OfferCreated(created) => {
            created.sealed_subject.is_some()
                || created.legacy_subject.is_some()
                || created.legacy_correlation.is_some()
        }
        OfferEvent::CredentialIssued(issued) => issued.legacy_holder_key_thumbprint.is_some(),
        _ => false,
    }
}

/// Seals the plaintext a version-1 event holds with the offer's key (dropped without one:
/// it was erased), so that what is derived from the event holds no plaintext.
pub fn seal_legacy(
    event: &mut OfferEvent,
    offer_id: Uuid,
    key: Option<&DataKey>,
) -> Result<(), SealError> {
    let seal = |purpose, value: Option<Value>| -> Result<Option<Sealed>, SealError> {
        match (key, value) {
            (Some(key), Some(value)) => {
                sealing::seal_value(key, offer_id, purpose, &value).map(Some)
            }
            _ => Ok(None),
        }
    };
    match event {
        OfferEvent::OfferCreated(created) => {
            if let Some(sealed) = seal(
                purpose::SUBJECT,
                created.legacy_subject.take().map(Value::String),
            )? {
                created.sealed_subject = Some(sealed);
            }
            if let Some(sealed) = seal(purpose::CORRELATION, created.legacy_correlation.take())? {
                created.sealed_correlation = Some(sealed);
            }
        }
        OfferEvent::CredentialIssued(issued) => {
            let thumbprint = issued.legacy_holder_key_thumbprint.take();
            if let Some(sealed) = seal(
                purpose::HOLDER_KEY_THUMBPRINT,
                thumbprint.map(Value::String),
            )? {
                issued.sealed_holder_key_thumbprint = Some(sealed);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The offer view as the management API shows it: personal values opened with the
/// offer's data key (`null` without it), the pseudonym left out.
pub fn present(view: OfferView, key: Option<&DataKey>) -> OfferView<Value> {
    let offer_id = view.offer_id;
    view.map_personal(|purpose, sealed| open(key, offer_id, purpose, Some(&sealed), None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sealing::generate_key;
    use serde_json::json;

    fn legacy_created(offer_id: Uuid) -> OfferEvent {
        let payload = json!({
            "offer_id": offer_id,
            "credential_configuration_ids": ["A"],
            "grant": {"type": "authorization_code", "issuer_state_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
            "single_use": true,
            "subject": "customer-4711",
            "correlation": {"case": 17},
            "expires_at": "2030-01-01T00:00:00Z",
            "tx_code_max_attempts": 3,
            "sealed_claims": {"alg": "A256GCM", "nonce": "", "ciphertext": ""},
            "request_fingerprint": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        });
        OfferEvent::decode("OfferCreated", 1, &payload).unwrap()
    }

    #[test]
    fn version_1_plaintext_is_sealed_with_the_key_or_dropped_without_it() {
        let key = generate_key();
        let offer_id = Uuid::new_v4();
        let mut event = legacy_created(offer_id);
        assert!(needs_key(&event));
        seal_legacy(&mut event, offer_id, Some(&key)).unwrap();
        let OfferEvent::OfferCreated(created) = &event else {
            unreachable!()
        };
        assert!(created.legacy_subject.is_none() && created.legacy_correlation.is_none());
        assert!(!event.payload().to_string().contains("4711"));
        assert_eq!(
            subject(created, Some(&key)).as_deref(),
            Some("customer-4711")
        );
        assert_eq!(correlation(created, Some(&key)), Some(json!({"case": 17})));
        assert_eq!(subject(created, None), None);

        let mut erased = legacy_created(offer_id);
        seal_legacy(&mut erased, offer_id, None).unwrap();
        let OfferEvent::OfferCreated(created) = &erased else {
            unreachable!()
        };
        assert_eq!(created.sealed_subject, None);
        assert_eq!(created.legacy_subject, None);
    }

    #[test]
    fn plaintext_of_version_1_shows_only_while_the_key_exists() {
        let offer_id = Uuid::new_v4();
        let OfferEvent::OfferCreated(created) = legacy_created(offer_id) else {
            unreachable!()
        };
        let key = generate_key();
        assert_eq!(
            subject(&created, Some(&key)).as_deref(),
            Some("customer-4711")
        );
        assert_eq!(subject(&created, None), None);
        assert_eq!(correlation(&created, None), None);
    }
}
