//! Redeeming an offer: the grant's checks (deadline, issuer state, transaction code, redemptions left, requested configurations) and the events of a redemption.

use super::*;

/// The offer's definition if a grant may be redeemed now: live and before its deadline.
pub(super) fn ensure_redeemable(
    offer: &Offer,
    now: DateTime<Utc>,
) -> Result<&OfferCreated, OfferError> {
    ensure_live(offer)?;
    let definition = offer.definition()?;
    if now >= definition.expires_at {
        return Err(OfferError::Expired);
    }
    Ok(definition)
}

/// The offer belongs to `issuer_id` (`None`: the default issuer).
pub(super) fn ensure_issuer(
    definition: &OfferCreated,
    issuer_id: Option<&str>,
) -> Result<(), OfferError> {
    if definition.issuer_id.as_deref() == issuer_id {
        Ok(())
    } else {
        Err(OfferError::OtherIssuer)
    }
}

/// The authorization-code grant presented with `issuer_state_hash` fits this offer.
pub(super) fn check_issuer_state(
    offer: &Offer,
    definition: &OfferCreated,
    presented: &Digest,
    max_redemptions: u32,
) -> Result<(), OfferError> {
    let OfferGrant::AuthorizationCode { issuer_state_hash } = &definition.grant else {
        return Err(OfferError::GrantMismatch);
    };
    if !issuer_state_hash.ct_eq(presented) {
        return Err(OfferError::InvalidCode);
    }
    ensure_redemptions_left(offer, max_redemptions)
}

/// A single-use offer is redeemed once; a multi-use one at most `max_redemptions` times.
pub(super) fn ensure_redemptions_left(
    offer: &Offer,
    max_redemptions: u32,
) -> Result<(), OfferError> {
    let redeemed = offer.redemptions.len();
    if offer.is_single_use() && redeemed > 0 {
        return Err(OfferError::AlreadyRedeemed);
    }
    if redeemed >= usize::try_from(max_redemptions).unwrap_or(usize::MAX) {
        return Err(OfferError::RedemptionLimitReached(max_redemptions));
    }
    Ok(())
}

/// The configurations a token will cover: those requested (each must be offered), or all
/// offered when the wallet named none.
pub(super) fn covered_configurations(
    definition: &OfferCreated,
    requested: Option<Vec<String>>,
) -> Result<Vec<String>, OfferError> {
    let Some(requested) = requested else {
        return Ok(definition.credential_configuration_ids.clone());
    };
    if let Some(missing) = requested
        .iter()
        .find(|id| !definition.credential_configuration_ids.contains(id))
    {
        return Err(OfferError::NotOffered(missing.clone()));
    }
    if requested.is_empty() {
        return Err(OfferError::InvalidOffer(
            "no credential configuration requested".into(),
        ));
    }
    Ok(requested)
}

/// Checks, before an authorization request is accepted for it, that the offer can still be
/// redeemed with its `issuer_state` (at most `max_redemptions` times) and covers
/// `requested`; returns what the token would cover. [`decide`] applies the same rules when
/// the authorization code is exchanged.
pub fn ensure_authorizable(
    offer: &Offer,
    issuer_state_hash: &Digest,
    requested: Option<&[String]>,
    max_redemptions: u32,
    now: DateTime<Utc>,
) -> Result<Vec<String>, OfferError> {
    let definition = ensure_redeemable(offer, now)?;
    check_issuer_state(offer, definition, issuer_state_hash, max_redemptions)?;
    covered_configurations(definition, requested.map(<[String]>::to_vec))
}

pub(super) fn redeem(offer: &Offer, command: RedeemOffer) -> Result<Vec<OfferEvent>, OfferError> {
    let definition = ensure_redeemable(offer, command.now)?;
    ensure_issuer(definition, command.issuer_id.as_deref())?;
    match (&definition.grant, &command.grant) {
        (
            OfferGrant::PreAuthorizedCode { code_hash, tx_code },
            PresentedGrant::PreAuthorizedCode {
                code_hash: presented,
                tx_code_hash,
            },
        ) => {
            if !code_hash.ct_eq(presented) {
                return Err(OfferError::InvalidCode);
            }
            // Before the transaction code: a spent offer counts no attempts.
            ensure_redemptions_left(offer, command.max_redemptions)?;
            match (tx_code, tx_code_hash) {
                (None, None) => {}
                (None, Some(_)) => return Err(OfferError::TxCodeNotExpected),
                (Some(_), None) => return Err(OfferError::TxCodeRequired),
                (Some(expected), Some(presented)) => {
                    if !expected.code_hash.ct_eq(presented) {
                        return Ok(reject_tx_code(offer));
                    }
                }
            }
        }
        (
            OfferGrant::AuthorizationCode { .. },
            PresentedGrant::AuthorizationCode { issuer_state_hash },
        ) => check_issuer_state(
            offer,
            definition,
            issuer_state_hash,
            command.max_redemptions,
        )?,
        _ => return Err(OfferError::GrantMismatch),
    }
    let redemption = command.redemption;
    if offer.is_revoked(redemption.redemption_id) {
        // Revoked before it existed: its authorization code was replayed meanwhile.
        return Err(OfferError::TokenRevoked);
    }
    let covered = covered_configurations(definition, redemption.requested_configuration_ids)?;
    Ok(vec![OfferEvent::OfferRedeemed(OfferRedeemed {
        redemption_id: redemption.redemption_id,
        grant: definition.grant.name().to_string(),
        token_hash: redemption.token_hash,
        token_expires_at: redemption.token_expires_at,
        credential_configuration_ids: covered,
        client_id: redemption.client_id,
        dpop_jkt: redemption.dpop_jkt,
        attested_wallet: redemption.attested_wallet,
    })])
}

/// A wrong transaction code: count it, and lock the offer when none are left.
pub(super) fn reject_tx_code(offer: &Offer) -> Vec<OfferEvent> {
    let attempts_remaining = offer.tx_code_attempts_remaining.saturating_sub(1);
    let mut events = vec![OfferEvent::TxCodeRejected(TxCodeRejected {
        attempts_remaining,
    })];
    if attempts_remaining == 0 {
        events.push(OfferEvent::OfferFailed(OfferFailed {
            code: FAILURE_TX_CODE_ATTEMPTS_EXHAUSTED.into(),
            description: "the transaction code was entered wrongly too many times".into(),
        }));
    }
    events
}
