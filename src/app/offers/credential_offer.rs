//! The credential offer object (OID4VCI 1.0 §4.1.1) and the offer URI shown to the user.

use issuance_domain::offer::{OfferCreated, OfferGrant};
use serde_json::{json, Map, Value};

use crate::crypto::codes;
use crate::crypto::server_secret::ServerSecret;

/// The grant type URN of the pre-authorized code flow.
pub const PRE_AUTHORIZED_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The credential offer object of `offer`, with its derived pre-authorized code or issuer
/// state.
pub fn credential_offer(issuer_url: &str, secret: &ServerSecret, offer: &OfferCreated) -> Value {
    let grants = match &offer.grant {
        OfferGrant::PreAuthorizedCode { tx_code, .. } => {
            let mut grant = Map::new();
            grant.insert(
                "pre-authorized_code".into(),
                json!(codes::pre_authorized_code(secret, offer.offer_id)),
            );
            if let Some(tx) = tx_code {
                let mut tx_object = Map::new();
                tx_object.insert("input_mode".into(), json!(tx.input_mode));
                tx_object.insert("length".into(), json!(tx.length));
                if let Some(description) = &tx.description {
                    tx_object.insert("description".into(), json!(description));
                }
                grant.insert("tx_code".into(), Value::Object(tx_object));
            }
            json!({ PRE_AUTHORIZED_GRANT_TYPE: grant })
        }
        OfferGrant::AuthorizationCode { .. } => json!({
            "authorization_code": {"issuer_state": codes::issuer_state(secret, offer.offer_id)}
        }),
    };
    json!({
        "credential_issuer": issuer_url,
        "credential_configuration_ids": offer.credential_configuration_ids,
        "grants": grants,
    })
}

/// `openid-credential-offer://?credential_offer_uri=<url>` for the offer fetched by
/// reference from `offer_url`.
pub fn offer_uri(offer_url: &str) -> String {
    format!(
        "openid-credential-offer://?credential_offer_uri={}",
        urlencoding::encode(offer_url)
    )
}
