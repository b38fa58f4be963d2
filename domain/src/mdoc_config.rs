//! ISO mdoc (`mso_mdoc`, OID4VCI 1.0 Appendix A.2) credential configurations: the document
//! type, the data elements addressed as `[namespace, element]` with their CBOR value types,
//! the validation of an offer's claims (grouped by namespace) against them, and the
//! configuration's Credential Issuer Metadata entry.
//!
//! Offer claims for an mdoc configuration are a JSON object of namespaces, each an object of
//! data elements: `{"org.iso.18013.5.1": {"family_name": "Mustermann", ...}}`. Values are
//! JSON; [`MdocValueType`] says how each becomes CBOR (the credential crate does the
//! encoding), so validation here guarantees that the encoding cannot fail.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::credential_config::{credential_metadata, ClaimDisplay, ClaimProblem, Display};

mod values;

pub use values::{decode_base64, is_tdate, MdocValueType};

/// The OID4VCI Credential Format Identifier of ISO mdocs.
pub const FORMAT_MSO_MDOC: &str = "mso_mdoc";

/// COSE algorithm ES256 (ECDSA with SHA-256; RFC 9053), the `alg` of every `issuerAuth`.
pub const COSE_ALG_ES256: i64 = -7;

/// COSE algorithm ESP256 (ECDSA P-256 with SHA-256, fully specified): the same signatures
/// as ES256 with a P-256 key, so a configuration may advertise it too (OID4VCI 1.0 A.2.2).
pub const COSE_ALG_ESP256: i64 = -9;

/// One data element an mdoc configuration defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MdocClaimDefinition {
    /// The namespace, e.g. `org.iso.18013.5.1`.
    pub namespace: String,
    /// The data element identifier, e.g. `family_name`.
    pub element: String,
    /// The offer must supply a value.
    pub mandatory: bool,
    /// How the JSON value becomes a CBOR element value.
    pub value_type: MdocValueType,
    /// Localised display names.
    pub display: Vec<ClaimDisplay>,
}

impl MdocClaimDefinition {
    /// The claim as named in problems and logs: `namespace/element`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.namespace, self.element)
    }
}

/// An `mso_mdoc` credential configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MdocConfiguration {
    /// The configuration id (`credential_configuration_id`).
    pub id: String,
    /// The document type, e.g. `org.iso.18013.5.1.mDL`.
    pub doctype: String,
    /// OAuth scope that requests this configuration.
    pub scope: String,
    /// Localised display.
    pub display: Vec<Display>,
    /// Data element definitions, in display (and issuance) order.
    pub claims: Vec<MdocClaimDefinition>,
    /// How long an issued credential is valid (`validUntil - validFrom`), in seconds.
    pub validity_seconds: u64,
    /// COSE algorithms advertised for `issuerAuth` ([`COSE_ALG_ES256`], [`COSE_ALG_ESP256`]).
    pub credential_signing_alg_values_supported: Vec<i64>,
}

impl MdocConfiguration {
    /// Problems with the configuration itself, as `(field, problem)` with fields relative
    /// to the configuration (`doctype`, `claims[2].path`); empty when it is usable.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.doctype.trim().is_empty() {
            problems.push(("doctype".into(), "must not be empty".into()));
        }
        if self.validity_seconds == 0 {
            problems.push(("validity_days".into(), "must be at least 1".into()));
        }
        let algs = &self.credential_signing_alg_values_supported;
        if algs.is_empty()
            || algs
                .iter()
                .any(|alg| ![COSE_ALG_ES256, COSE_ALG_ESP256].contains(alg))
        {
            problems.push((
                "credential_signing_alg_values_supported".into(),
                format!(
                    "must be a non-empty list of {COSE_ALG_ES256} (ES256) and \
                     {COSE_ALG_ESP256} (ESP256): issuerAuth is signed with ES256 on P-256"
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, claim) in self.claims.iter().enumerate() {
            let field = format!("claims[{i}].path");
            if claim.namespace.trim().is_empty() || claim.element.trim().is_empty() {
                problems.push((field, "namespace and element must not be empty".into()));
            } else if !seen.insert((claim.namespace.as_str(), claim.element.as_str())) {
                problems.push((field, format!("`{}` is defined twice", claim.name())));
            }
        }
        if self.claims.is_empty() {
            problems.push((
                "claims".into(),
                "at least one data element is required".into(),
            ));
        }
        problems
    }

    /// The definition of `element` in `namespace`.
    pub fn claim(&self, namespace: &str, element: &str) -> Option<&MdocClaimDefinition> {
        self.claims
            .iter()
            .find(|c| c.namespace == namespace && c.element == element)
    }

    /// The namespaces the configuration defines, in first-definition order.
    pub fn namespaces(&self) -> Vec<&str> {
        let mut namespaces: Vec<&str> = Vec::new();
        for claim in &self.claims {
            if !namespaces.contains(&claim.namespace.as_str()) {
                namespaces.push(&claim.namespace);
            }
        }
        namespaces
    }

    /// Checks an offer's claims (an object of namespaces, each an object of data elements)
    /// against the definitions: every mandatory element is present, every supplied
    /// namespace and element is defined, and every value fits its type. Returns every
    /// problem found, named `namespace/element` (with a JSON-path suffix inside structured
    /// values). `null` counts as absent.
    pub fn validate_claims(&self, claims: &Map<String, Value>) -> Vec<ClaimProblem> {
        let mut problems = Vec::new();
        for definition in &self.claims {
            let value = claims
                .get(&definition.namespace)
                .and_then(|namespace| namespace.get(&definition.element))
                .filter(|value| !value.is_null());
            match value {
                None if definition.mandatory => problems.push(ClaimProblem {
                    claim: definition.name(),
                    problem: "missing mandatory claim".into(),
                }),
                None => {}
                Some(value) => {
                    definition
                        .value_type
                        .check(value, &definition.name(), &mut problems)
                }
            }
        }
        for (namespace, elements) in claims {
            let Value::Object(elements) = elements else {
                problems.push(ClaimProblem {
                    claim: namespace.clone(),
                    problem: if self.namespaces().contains(&namespace.as_str()) {
                        "must be an object of data elements".into()
                    } else {
                        "namespace not defined by the credential configuration".into()
                    },
                });
                continue;
            };
            for element in elements.keys() {
                if self.claim(namespace, element).is_none() {
                    problems.push(ClaimProblem {
                        claim: format!("{namespace}/{element}"),
                        problem: "not defined by the credential configuration".into(),
                    });
                }
            }
        }
        problems
    }

    /// The configuration's entry in `credential_configurations_supported` (OID4VCI 1.0
    /// §12.2.4 and Appendix A.2): `doctype`, COSE signing algorithms, `cose_key` binding
    /// with `jwt` proofs signed by one of `proof_signing_algs`, and `credential_metadata`
    /// with claims addressed by `[namespace, element]` paths.
    pub fn metadata(&self, proof_signing_algs: &[&str]) -> Value {
        let credential_metadata = credential_metadata(
            &self.display,
            self.claims.iter().map(|claim| {
                (
                    json!([claim.namespace, claim.element]),
                    claim.mandatory,
                    claim.display.as_slice(),
                )
            }),
        );
        json!({
            "format": FORMAT_MSO_MDOC,
            "scope": self.scope,
            "doctype": self.doctype,
            "cryptographic_binding_methods_supported": ["cose_key"],
            "credential_signing_alg_values_supported": self.credential_signing_alg_values_supported,
            "proof_types_supported": {
                "jwt": {"proof_signing_alg_values_supported": proof_signing_algs}
            },
            "credential_metadata": credential_metadata,
        })
    }
}

#[cfg(test)]
mod tests;
