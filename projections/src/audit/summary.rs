//! Human summaries of offer and authorization session events.
//!
//! Only facts the engine itself chose go in: configuration ids, grant names, counts,
//! machine-readable codes, ids and times. Claims, subjects, correlation objects, callback
//! URLs and every free-text field (transaction code descriptions, revocation reasons,
//! failure descriptions, wallet notification descriptions) stay out, because an institution
//! or a wallet may have written personal data into them. A summary is part of the hashed
//! entry: its wording is frozen per chain format.

use chrono::{DateTime, SecondsFormat, Utc};
use issuance_domain::authorization::AuthorizationEvent;
use issuance_domain::offer::{CredentialStatusChanged, OfferEvent, OfferGrant, TxCodeInputMode};

/// The summary of an offer event.
pub fn summary(event: &OfferEvent) -> String {
    match event {
        OfferEvent::OfferCreated(created) => {
            let grant = match &created.grant {
                OfferGrant::PreAuthorizedCode {
                    tx_code: Some(tx), ..
                } => {
                    let mode = match tx.input_mode {
                        TxCodeInputMode::Numeric => "numeric",
                        TxCodeInputMode::Text => "text",
                    };
                    format!(
                        "pre-authorized_code grant with a {}-character {mode} transaction code",
                        tx.length
                    )
                }
                other => format!("{} grant", other.name()),
            };
            format!(
                "Offer created for {}; {grant}; {}; expires {}",
                created.credential_configuration_ids.join(", "),
                if created.single_use {
                    "single use"
                } else {
                    "multi-use"
                },
                time(created.expires_at)
            )
        }
        OfferEvent::TxCodeRejected(rejected) => format!(
            "Wrong transaction code presented; {} attempt(s) remaining",
            rejected.attempts_remaining
        ),
        OfferEvent::OfferRedeemed(redeemed) => format!(
            "Redeemed with the {} grant for {}; access token {}valid until {}{}",
            redeemed.grant,
            redeemed.credential_configuration_ids.join(", "),
            if redeemed.dpop_jkt.is_some() {
                "DPoP-bound, "
            } else {
                ""
            },
            time(redeemed.token_expires_at),
            redeemed
                .attested_wallet
                .as_ref()
                .map(|wallet| format!(
                    "; wallet {} attested by {}",
                    wallet.client_id, wallet.provider
                ))
                .unwrap_or_default()
        ),
        OfferEvent::CredentialIssued(issued) => format!(
            "Credential {} issued as {}, bound to a holder key, valid until {}",
            issued.credential_id,
            issued.credential_configuration_id,
            time(issued.credential_expires_at)
        ),
        OfferEvent::OfferCompleted(_) => {
            "Offer completed: every offered credential was issued".to_string()
        }
        OfferEvent::OfferFailed(failed) => format!("Offer failed: {}", code(&failed.code)),
        OfferEvent::OfferExpired(_) => "Offer expired before completion".to_string(),
        OfferEvent::OfferRevoked(revoked) => if revoked.reason.is_some() {
            "Offer revoked (a reason was recorded)"
        } else {
            "Offer revoked"
        }
        .to_string(),
        OfferEvent::NotificationReceived(notification) => format!(
            "Wallet notification {} for notification id {}",
            notification.event.as_str(),
            code(&notification.notification_id)
        ),
        OfferEvent::ClaimsErased(erased) => format!(
            "Claims erased ({}): the offer's data key was destroyed",
            code(&erased.reason)
        ),
        OfferEvent::RedemptionRevoked(revoked) => format!(
            "Access token of redemption {} revoked ({})",
            revoked.redemption_id,
            code(&revoked.reason)
        ),
        OfferEvent::CredentialRevoked(changed) => status_change("revoked", changed),
        OfferEvent::CredentialSuspended(changed) => status_change("suspended", changed),
        OfferEvent::CredentialReinstated(changed) => status_change("reinstated", changed),
    }
}

/// `Credential <id> revoked (status list <list>, index <idx>)`; the operator's reason is
/// free text and stays out.
fn status_change(what: &str, changed: &CredentialStatusChanged) -> String {
    format!(
        "Credential {} {what} (status list {}, index {}){}",
        changed.credential_id,
        changed.list_id,
        changed.idx,
        if changed.reason.is_some() {
            "; a reason was recorded"
        } else {
            ""
        }
    )
}

/// The summary of an authorization session event (the authorization-code flow). The
/// subject, the wallet's redirect URI and `state` and the institution's reasons stay out.
pub fn authorization_summary(event: &AuthorizationEvent) -> String {
    match event {
        AuthorizationEvent::AuthorizationRequested(requested) => {
            let mut text = format!(
                "Authorization requested by client {} for {}",
                code(&requested.client_id),
                requested.credential_configuration_ids.join(", ")
            );
            if let Some(offer_id) = requested.offer_id {
                text.push_str(&format!(" of offer {offer_id}"));
            }
            if let Some(pushed) = &requested.pushed {
                text.push_str(&format!(
                    "; pushed, request_uri valid until {}",
                    time(pushed.expires_at)
                ));
            }
            if requested.dpop_jkt.is_some() {
                text.push_str("; code DPoP-bound");
            }
            text
        }
        AuthorizationEvent::LoginStarted(login) => format!(
            "Browser sent to the institution's login; challenge valid until {}",
            time(login.expires_at)
        ),
        AuthorizationEvent::AuthorizationGranted(granted) => format!(
            "Authorization granted for offer {}; code valid until {}",
            granted.offer_id,
            time(granted.code_expires_at)
        ),
        AuthorizationEvent::AuthorizationDenied(denied) => {
            format!("Authorization denied ({})", denied.reason.as_str())
        }
        AuthorizationEvent::AuthorizationCodeExchanged(exchanged) => format!(
            "Authorization code exchanged for the access token of redemption {}",
            exchanged.redemption_id
        ),
        AuthorizationEvent::AuthorizationCodeReplayed(replayed) => format!(
            "Authorization code used again: access token of redemption {} of offer {} revoked",
            replayed.redemption_id, replayed.offer_id
        ),
    }
}

pub(super) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A machine-readable code, passed through only if it looks like one (short, no spaces),
/// so that a free-text value in a code field cannot carry personal data into the summary.
pub(super) fn code(text: &str) -> &str {
    let looks_like_a_code = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if looks_like_a_code {
        text
    } else {
        "(unspecified)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuance_domain::offer::*;
    use issuance_domain::Digest;
    use serde_json::json;
    use uuid::Uuid;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn created(tx_code: bool) -> OfferEvent {
        OfferEvent::OfferCreated(OfferCreated {
            issuer_id: None,
            configuration_versions: Default::default(),
            offer_id: Uuid::nil(),
            credential_configuration_ids: vec!["IdentityCredential".into()],
            grant: OfferGrant::PreAuthorizedCode {
                code_hash: Digest([1; 32]),
                tx_code: tx_code.then(|| TxCodeSpec {
                    input_mode: TxCodeInputMode::Numeric,
                    length: 6,
                    description: Some("SMS to Erika at +49 170 1234567".into()),
                    code_hash: Digest([2; 32]),
                }),
            },
            single_use: true,
            sealed_subject: None,
            callback_url: Some("https://backend.example/cb?user=erika".into()),
            sealed_correlation: None,
            expires_at: at(1_800_000_300),
            tx_code_max_attempts: 3,
            sealed_claims: SealedClaims {
                alg: "A256GCM".into(),
                nonce: "n".into(),
                ciphertext: "c".into(),
            },
            request_fingerprint: Digest([3; 32]),
            // As a version-1 event read back: plaintext stays out of summaries too.
            legacy_subject: Some("customer-4711".into()),
            legacy_correlation: Some(json!({"name": "Erika Mustermann"})),
        })
    }

    #[test]
    fn creation_names_configurations_grant_and_expiry_only() {
        let text = summary(&created(true));
        assert_eq!(
            text,
            "Offer created for IdentityCredential; pre-authorized_code grant with a 6-character \
             numeric transaction code; single use; expires 2027-01-15T08:05:00Z"
        );
        for private in ["Erika", "+49", "customer-4711", "backend.example"] {
            assert!(!text.contains(private));
        }
        assert!(summary(&created(false)).contains("; pre-authorized_code grant; "));
    }

    #[test]
    fn free_text_fields_stay_out() {
        let revoked = OfferEvent::OfferRevoked(OfferRevoked {
            reason: Some("Erika asked by phone".into()),
        });
        assert_eq!(summary(&revoked), "Offer revoked (a reason was recorded)");
        let failed = OfferEvent::OfferFailed(OfferFailed {
            code: "tx_code_attempts_exhausted".into(),
            description: "Erika typed wrongly".into(),
        });
        assert_eq!(summary(&failed), "Offer failed: tx_code_attempts_exhausted");
        let notified = OfferEvent::NotificationReceived(NotificationReceived {
            notification_id: "n-1".into(),
            event: NotificationEvent::CredentialDeleted,
            event_description: Some("Erika deleted it".into()),
        });
        assert_eq!(
            summary(&notified),
            "Wallet notification credential_deleted for notification id n-1"
        );
    }

    #[test]
    fn a_code_field_holding_free_text_is_withheld() {
        let failed = OfferEvent::OfferFailed(OfferFailed {
            code: "Erika Mustermann".into(),
            description: String::new(),
        });
        assert_eq!(summary(&failed), "Offer failed: (unspecified)");
    }

    #[test]
    fn every_event_type_has_a_summary() {
        let events = [
            created(true),
            OfferEvent::TxCodeRejected(TxCodeRejected {
                attempts_remaining: 2,
            }),
            OfferEvent::OfferRedeemed(OfferRedeemed {
                redemption_id: Uuid::nil(),
                grant: "pre-authorized_code".into(),
                token_hash: Digest([4; 32]),
                token_expires_at: at(1_800_000_600),
                credential_configuration_ids: vec!["IdentityCredential".into()],
                client_id: None,
                dpop_jkt: Some("jkt".into()),
                attested_wallet: Some(AttestedWallet {
                    provider: "https://provider.example".into(),
                    client_id: "wallet".into(),
                }),
            }),
            OfferEvent::CredentialIssued(CredentialIssued {
                redemption_id: Uuid::nil(),
                credential_configuration_id: "IdentityCredential".into(),
                credential_id: Uuid::nil(),
                sealed_holder_key_thumbprint: None,
                credential_hash: Digest([5; 32]),
                notification_id: "n-1".into(),
                credential_expires_at: at(1_900_000_000),
                status: None,
                legacy_holder_key_thumbprint: Some("thumb".into()),
            }),
            OfferEvent::OfferCompleted(OfferCompleted {}),
            OfferEvent::OfferExpired(OfferExpired {}),
            OfferEvent::OfferRevoked(OfferRevoked { reason: None }),
            OfferEvent::ClaimsErased(ClaimsErased {
                reason: "retention_policy".into(),
            }),
            OfferEvent::CredentialSuspended(CredentialStatusChanged {
                credential_id: Uuid::nil(),
                list_id: Uuid::nil(),
                idx: 7,
                reason: Some("Jane Doe lost her phone".into()),
            }),
        ];
        let texts: Vec<String> = events.iter().map(summary).collect();
        assert_eq!(
            texts[1],
            "Wrong transaction code presented; 2 attempt(s) remaining"
        );
        assert_eq!(
            texts[2],
            "Redeemed with the pre-authorized_code grant for IdentityCredential; access token \
             DPoP-bound, valid until 2027-01-15T08:10:00Z; wallet wallet attested by \
             https://provider.example"
        );
        assert!(texts[3].starts_with("Credential 00000000-0000-0000-0000-000000000000 issued"));
        assert!(!texts[3].contains("thumb"));
        assert_eq!(texts[6], "Offer revoked");
        assert_eq!(
            texts[7],
            "Claims erased (retention_policy): the offer's data key was destroyed"
        );
        assert_eq!(
            texts[8],
            "Credential 00000000-0000-0000-0000-000000000000 suspended (status list \
             00000000-0000-0000-0000-000000000000, index 7); a reason was recorded"
        );
        assert!(texts.iter().all(|t| !t.is_empty()));
    }
}
