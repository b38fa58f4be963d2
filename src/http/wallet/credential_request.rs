//! The Credential Request body (OID4VCI 1.0 §8.2) and its draft-era variants, parsed into
//! which credential is wanted and the key proofs offered for it: `jwt` proofs, or one key
//! attestation (`attestation` proof type, Appendix F.3).

use serde::Deserialize;
use serde_json::Value;

use super::errors::{ErrorCode, WalletError};
use super::rejections::NamedBy;

/// The members this issuer reads; unknown members are ignored.
#[derive(Debug, Deserialize)]
pub struct CredentialRequestBody {
    credential_identifier: Option<String>,
    credential_configuration_id: Option<String>,
    /// 1.0: `{"jwt": ["<proof>", ...]}` or `{"attestation": ["<key attestation>"]}`.
    proofs: Option<Value>,
    /// Draft 13/14: `{"proof_type": "jwt", "jwt": "<proof>"}`.
    proof: Option<Value>,
    credential_response_encryption: Option<Value>,
    /// Draft 13: the credential named by `format` + `vct`.
    format: Option<String>,
    vct: Option<String>,
}

/// How the wallet named the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// `credential_identifier`.
    Identifier(String),
    /// `credential_configuration_id`.
    Configuration(String),
    /// Draft 13 `format` + `vct`.
    Vct(String),
}

impl Wanted {
    /// Which "unknown ..." error code applies.
    pub fn named_by(&self) -> NamedBy {
        match self {
            Wanted::Identifier(_) => NamedBy::Identifier,
            Wanted::Configuration(_) | Wanted::Vct(_) => NamedBy::Configuration,
        }
    }
}

/// The key proofs of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProofs {
    /// `jwt` proofs, one credential each.
    Jwt(Vec<String>),
    /// One key attestation (`attestation` proof type): one credential per attested key.
    Attestation(String),
}

/// A parsed credential request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRequest {
    /// The credential wanted.
    pub wanted: Wanted,
    /// The key proofs.
    pub proofs: KeyProofs,
    /// The wallet used the draft singular `proof`: answer with `credential` as well.
    pub singular_proof: bool,
    /// `credential_response_encryption`, as sent (checked by the handler).
    pub response_encryption: Option<Value>,
}

/// Validates the body's shape. `batch_size` bounds the number of proofs.
pub fn parse(
    body: CredentialRequestBody,
    batch_size: usize,
) -> Result<CredentialRequest, WalletError> {
    let malformed = |reason: &str| WalletError::new(ErrorCode::InvalidCredentialRequest, reason);
    let wanted = match (
        body.credential_identifier,
        body.credential_configuration_id,
        body.format,
        body.vct,
    ) {
        (Some(_), Some(_), _, _) => {
            return Err(malformed(
                "send credential_identifier or credential_configuration_id, not both",
            ))
        }
        (Some(id), None, _, _) => Wanted::Identifier(id),
        (None, Some(id), _, _) => Wanted::Configuration(id),
        (None, None, Some(format), Some(vct)) if format == "dc+sd-jwt" || format == "vc+sd-jwt" => {
            Wanted::Vct(vct)
        }
        (None, None, Some(_), _) => {
            return Err(WalletError::new(
                ErrorCode::UnknownCredentialConfiguration,
                "name the credential by credential_configuration_id (format-based requests are understood for dc+sd-jwt only)",
            ))
        }
        (None, None, None, _) => {
            return Err(malformed(
                "credential_identifier or credential_configuration_id is required",
            ))
        }
    };
    let (proofs, singular_proof) = match (body.proofs, body.proof) {
        (Some(_), Some(_)) => return Err(malformed("send proofs or proof, not both")),
        (Some(proofs), None) => (batch_of_proofs(proofs, batch_size)?, false),
        (None, Some(proof)) => (KeyProofs::Jwt(vec![single_jwt(proof)?]), true),
        (None, None) => {
            return Err(WalletError::new(
                ErrorCode::InvalidProof,
                "proofs are required: this issuer binds credentials to holder keys",
            ))
        }
    };
    Ok(CredentialRequest {
        wanted,
        proofs,
        singular_proof,
        response_encryption: body.credential_response_encryption,
    })
}

/// More keys than a request may have credentials bound to.
pub fn batch_too_large(batch_size: usize) -> WalletError {
    WalletError::new(
        ErrorCode::InvalidProof,
        format!("at most {batch_size} proofs are accepted per request (batch_size)"),
    )
}

/// `proofs`: exactly one proof type (§8.2): `jwt` with a non-empty array, or
/// `attestation` with exactly one key attestation (Appendix F.3).
fn batch_of_proofs(proofs: Value, batch_size: usize) -> Result<KeyProofs, WalletError> {
    let invalid = |reason: String| WalletError::new(ErrorCode::InvalidProof, reason);
    let Value::Object(proofs) = proofs else {
        return Err(invalid("proofs must be a JSON object".into()));
    };
    if proofs.len() != 1 {
        return Err(invalid("proofs must contain exactly one proof type".into()));
    }
    if let Some(attestations) = proofs.get("attestation") {
        return match attestations.as_array().map(Vec::as_slice) {
            Some([Value::String(jwt)]) => Ok(KeyProofs::Attestation(jwt.clone())),
            _ => Err(invalid(
                "proofs.attestation must be an array of exactly one key attestation JWT".into(),
            )),
        };
    }
    let Some(Value::Array(jwts)) = proofs.get("jwt") else {
        return Err(invalid(
            "only the jwt and attestation proof types are supported, as arrays".into(),
        ));
    };
    if jwts.is_empty() {
        return Err(invalid("proofs.jwt must not be empty".into()));
    }
    if jwts.len() > batch_size {
        return Err(batch_too_large(batch_size));
    }
    jwts.iter()
        .map(|jwt| {
            jwt.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("each jwt proof must be a string".into()))
        })
        .collect::<Result<_, _>>()
        .map(KeyProofs::Jwt)
}

/// Draft 13/14 `proof`: `{"proof_type": "jwt", "jwt": "..."}`.
fn single_jwt(proof: Value) -> Result<String, WalletError> {
    let invalid = |reason: &str| WalletError::new(ErrorCode::InvalidProof, reason);
    if proof.get("proof_type").and_then(Value::as_str) != Some("jwt") {
        return Err(invalid("only the jwt proof type is supported"));
    }
    proof
        .get("jwt")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| invalid("proof.jwt must be a string"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse_json(value: Value) -> Result<CredentialRequest, WalletError> {
        parse(serde_json::from_value(value).unwrap(), 2)
    }

    fn code(value: Value) -> Option<ErrorCode> {
        parse_json(value).unwrap_err().code()
    }

    #[test]
    fn reads_the_1_0_form() {
        let request = parse_json(json!({
            "credential_configuration_id": "Identity",
            "proofs": {"jwt": ["a", "b"]}
        }))
        .unwrap();
        assert_eq!(request.wanted, Wanted::Configuration("Identity".into()));
        assert_eq!(
            request.proofs,
            KeyProofs::Jwt(vec!["a".to_string(), "b".to_string()])
        );
        assert!(!request.singular_proof);
    }

    #[test]
    fn reads_one_key_attestation() {
        let request = parse_json(json!({
            "credential_configuration_id": "Identity",
            "proofs": {"attestation": ["k"]}
        }))
        .unwrap();
        assert_eq!(request.proofs, KeyProofs::Attestation("k".into()));
    }

    #[test]
    fn reads_the_draft_forms() {
        let request = parse_json(json!({
            "format": "vc+sd-jwt", "vct": "https://x/identity",
            "proof": {"proof_type": "jwt", "jwt": "a"}
        }))
        .unwrap();
        assert_eq!(request.wanted, Wanted::Vct("https://x/identity".into()));
        assert!(request.singular_proof);
    }

    #[test]
    fn names_each_problem_with_its_code() {
        let proofs = json!({"jwt": ["a"]});
        assert_eq!(
            code(
                json!({"credential_identifier": "a", "credential_configuration_id": "b", "proofs": proofs})
            ),
            Some(ErrorCode::InvalidCredentialRequest)
        );
        assert_eq!(
            code(json!({"proofs": proofs})),
            Some(ErrorCode::InvalidCredentialRequest)
        );
        assert_eq!(
            code(json!({"format": "mso_mdoc", "doctype": "x", "proofs": proofs})),
            Some(ErrorCode::UnknownCredentialConfiguration)
        );
        for bad_proofs in [
            json!(null),
            json!({"jwt": []}),
            json!({"jwt": ["a", "b", "c"]}),
            json!({"jwt": [1]}),
            json!({"di_vp": [{}]}),
            json!({"jwt": ["a"], "attestation": ["b"]}),
            json!({"attestation": []}),
            json!({"attestation": ["a", "b"]}),
            json!({"attestation": [1]}),
            json!({"attestation": "a"}),
        ] {
            let mut body = json!({"credential_identifier": "a"});
            if !bad_proofs.is_null() {
                body["proofs"] = bad_proofs.clone();
            }
            assert_eq!(code(body), Some(ErrorCode::InvalidProof), "{bad_proofs}");
        }
        assert_eq!(
            code(json!({"credential_identifier": "a", "proof": {"proof_type": "cwt", "cwt": "x"}})),
            Some(ErrorCode::InvalidProof)
        );
        assert_eq!(
            code(
                json!({"credential_identifier": "a", "proofs": proofs, "proof": {"proof_type": "jwt", "jwt": "a"}})
            ),
            Some(ErrorCode::InvalidCredentialRequest)
        );
    }
}
