//! Validation of `POST /offers` bodies into a [`ValidOffer`], reporting every problem.

use crate::app::offers::create::{TxCodeChoice, ValidOffer};
use issuance_domain::offer::decide::TX_CODE_LENGTH_RANGE;
use std::collections::BTreeSet;

use issuance_domain::catalog::CatalogEntry;
use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::credential_config::ClaimProblem;
use issuance_domain::offer::{
    TxCodeInputMode, GRANT_AUTHORIZATION_CODE, GRANT_PRE_AUTHORIZED_CODE,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::config::{CallbackPolicy, OfferPolicy};
use crate::http::management::error::ApiError;
use crate::integration::callbacks::address::AddressPolicy;

/// The body of `POST /offers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOfferRequest {
    credential_configuration_id: Option<String>,
    credential_configuration_ids: Option<Vec<String>>,
    #[serde(default)]
    claims: Map<String, Value>,
    grant: Option<String>,
    tx_code: Option<TxCodeRequest>,
    expires_in: Option<i64>,
    single_use: Option<bool>,
    subject: Option<String>,
    callback_url: Option<String>,
    correlation: Option<Value>,
}

/// The `tx_code` member.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxCodeRequest {
    input_mode: Option<String>,
    length: Option<i64>,
    description: Option<String>,
}

/// Largest serialised `correlation` object, bytes.
const MAX_CORRELATION_BYTES: usize = 4096;

fn problem(field: &str, text: impl Into<String>) -> Value {
    json!({"field": field, "problem": text.into()})
}

/// Validates the request against the catalogue and policy.
pub fn validate(
    request: CreateOfferRequest,
    catalog: &CredentialCatalog,
    policy: &OfferPolicy,
) -> Result<ValidOffer, ApiError> {
    let configuration_ids =
        match (
            request.credential_configuration_id,
            request.credential_configuration_ids,
        ) {
            (Some(id), None) => vec![id],
            (None, Some(ids)) if !ids.is_empty() => ids,
            (None, Some(_)) => {
                return Err(ApiError::invalid_request(
                    "credential_configuration_ids must not be empty",
                ))
            }
            (Some(_), Some(_)) => return Err(ApiError::invalid_request(
                "give either credential_configuration_id or credential_configuration_ids, not both",
            )),
            (None, None) => {
                return Err(ApiError::invalid_request(
                    "credential_configuration_id (or credential_configuration_ids) is required",
                ))
            }
        };
    if configuration_ids.iter().collect::<BTreeSet<_>>().len() != configuration_ids.len() {
        return Err(ApiError::invalid_request(
            "credential_configuration_ids must not repeat",
        ));
    }
    let unknown: Vec<&String> = configuration_ids
        .iter()
        .filter(|id| !catalog.contains(id))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(
            "unknown_credential_configuration",
            format!(
                "unknown credential configuration: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_details(
            unknown
                .iter()
                .map(|id| json!({"credential_configuration_id": id, "problem": "not configured"}))
                .collect(),
        ));
    }
    let configurations: Vec<CatalogEntry> = configuration_ids
        .iter()
        .filter_map(|id| catalog.entry(id))
        .collect();
    // SD-JWT VC claims are flat and mdoc claims grouped by namespace: one claims object
    // cannot serve both, so an offer keeps to one format.
    if configurations
        .iter()
        .any(|c| c.format() != configurations[0].format())
    {
        return Err(ApiError::invalid_request(
            "the credential configurations of one offer must share one format (dc+sd-jwt or mso_mdoc)",
        ));
    }
    let claim_problems = validate_claims(&configurations, &request.claims);
    if !claim_problems.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_claims",
            "the claims do not match the credential configuration",
        )
        .with_details(
            claim_problems
                .iter()
                .map(|p| json!({"claim": p.claim, "problem": p.problem}))
                .collect(),
        ));
    }

    let mut problems = Vec::new();
    let authorization_code = match request.grant.as_deref() {
        None | Some(GRANT_PRE_AUTHORIZED_CODE) => false,
        Some(GRANT_AUTHORIZATION_CODE) => true,
        Some(other) => {
            problems.push(problem(
                "grant",
                format!("`{other}` is not `pre-authorized_code` or `authorization_code`"),
            ));
            false
        }
    };
    let tx_code = match request.tx_code {
        None => None,
        Some(_) if authorization_code => {
            problems.push(problem(
                "tx_code",
                "only the pre-authorized_code grant takes a transaction code",
            ));
            None
        }
        Some(tx) => {
            let input_mode = match tx.input_mode.as_deref() {
                None | Some("numeric") => TxCodeInputMode::Numeric,
                Some("text") => TxCodeInputMode::Text,
                Some(other) => {
                    problems.push(problem(
                        "tx_code.input_mode",
                        format!("`{other}` is not `numeric` or `text`"),
                    ));
                    TxCodeInputMode::Numeric
                }
            };
            let length = tx.length.unwrap_or(6);
            if !u8::try_from(length).is_ok_and(|l| TX_CODE_LENGTH_RANGE.contains(&l)) {
                let (min, max) = TX_CODE_LENGTH_RANGE.into_inner();
                problems.push(problem(
                    "tx_code.length",
                    format!("{length} is outside {min}..={max}"),
                ));
            }
            if tx
                .description
                .as_ref()
                .is_some_and(|d| d.chars().count() > 300)
            {
                problems.push(problem("tx_code.description", "at most 300 characters"));
            }
            Some(TxCodeChoice {
                input_mode,
                length: length.clamp(4, 12) as u8,
                description: tx.description,
            })
        }
    };
    let max = i64::try_from(policy.max_expires_in).unwrap_or(i64::MAX);
    let expires_in = request
        .expires_in
        .unwrap_or(i64::try_from(policy.default_expires_in).unwrap_or(300));
    if !(1..=max).contains(&expires_in) {
        problems.push(problem(
            "expires_in",
            format!("{expires_in} is outside 1..={max} seconds"),
        ));
    }
    if let Some(subject) = &request.subject {
        if subject.is_empty() || subject.chars().count() > 255 {
            problems.push(problem("subject", "must be 1 to 255 characters"));
        }
    }
    if let Some(url) = &request.callback_url {
        match url::Url::parse(url) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {}
            _ => problems.push(problem("callback_url", "must be an absolute http(s) URL")),
        }
    }
    if let Some(correlation) = &request.correlation {
        if !correlation.is_object() {
            problems.push(problem("correlation", "must be a JSON object"));
        } else if correlation.to_string().len() > MAX_CORRELATION_BYTES {
            problems.push(problem(
                "correlation",
                format!("at most {MAX_CORRELATION_BYTES} bytes"),
            ));
        }
    }
    if !problems.is_empty() {
        let description = problems
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    p["field"].as_str().unwrap_or(""),
                    p["problem"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::invalid_request(description).with_details(problems));
    }
    Ok(ValidOffer {
        configuration_ids,
        claims: request.claims,
        authorization_code,
        tx_code,
        expires_in,
        single_use: request.single_use.unwrap_or(true),
        subject: request.subject,
        callback_url: request.callback_url,
        correlation: request.correlation,
        issuer_id: None,
        configuration_versions: Default::default(),
    })
}

/// Refuses an offer's own callback URL (already validated as an http(s) URL) that reaches
/// an address callbacks may not (loopback, private, metadata, …, outside
/// `callbacks.allowed_networks`): `400 callback_url_refused`.
pub async fn check_callback_address(url: &str, policy: &CallbackPolicy) -> Result<(), ApiError> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Err(ApiError::invalid_request(
            "callback_url: must be an absolute http(s) URL",
        ));
    };
    let addresses = AddressPolicy::new(policy.allowed_networks());
    addresses.check_url(&parsed).await.map_err(|refused| {
        ApiError::bad_request("callback_url_refused", format!("callback_url: {refused}"))
            .with_details(vec![json!({
                "field": "callback_url",
                "problem": format!("resolves to a {} address", refused.kind),
                "address": refused.address.to_string(),
            })])
    })
}

/// Claims against several configurations: each configuration's mandatory claims must be
/// present and typed right; a claim is unknown only if no offered configuration defines it.
fn validate_claims(
    configurations: &[CatalogEntry],
    claims: &Map<String, Value>,
) -> Vec<ClaimProblem> {
    let per_configuration: Vec<Vec<ClaimProblem>> = configurations
        .iter()
        .map(|c| c.validate_claims(claims))
        .collect();
    let undefined = "not defined by the credential configuration";
    let mut problems: Vec<ClaimProblem> = Vec::new();
    for list in &per_configuration {
        for p in list {
            let keep = if p.problem == undefined {
                per_configuration.iter().all(|other| {
                    other
                        .iter()
                        .any(|q| q.claim == p.claim && q.problem == undefined)
                })
            } else {
                true
            };
            if keep && !problems.contains(p) {
                problems.push(p.clone());
            }
        }
    }
    problems
}
