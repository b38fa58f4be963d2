//! Credential configurations (what the issuer can issue) and validation of an offer's
//! claims against them.

use std::fmt;

mod key_attestations;
pub use key_attestations::KeyAttestationsRequired;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The only credential format this issuer produces: SD-JWT VC (`dc+sd-jwt`).
pub const FORMAT_DC_SD_JWT: &str = "dc+sd-jwt";

/// Claims the issuer sets itself or that SD-JWT VC forbids from being disclosable
/// (-13 §3.2.2.2), plus the SD-JWT keywords; none may be configured or appear in the
/// input claims.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "nbf",
    "exp",
    "iat",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "_sd",
    "_sd_alg",
    "...",
];

/// One element of a claims path pointer (OID4VCI 1.0 Appendix C): an object key, an array
/// index, or `null` for "every element of the array".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// An object member.
    Key(String),
    /// A specific array index.
    Index(u64),
    /// `null`: all elements of an array.
    AllElements,
}

impl Serialize for PathElement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PathElement::Key(key) => serializer.serialize_str(key),
            PathElement::Index(i) => serializer.serialize_u64(*i),
            PathElement::AllElements => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for PathElement {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(key) => Ok(PathElement::Key(key)),
            Value::Null => Ok(PathElement::AllElements),
            Value::Number(n) => n.as_u64().map(PathElement::Index).ok_or_else(|| {
                serde::de::Error::custom("array index must be a non-negative integer")
            }),
            _ => Err(serde::de::Error::custom(
                "path element must be a string, a non-negative integer or null",
            )),
        }
    }
}

/// A claims path pointer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClaimPath(pub Vec<PathElement>);

impl fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for element in &self.0 {
            match element {
                PathElement::Key(key) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                PathElement::Index(i) => write!(f, "[{i}]")?,
                PathElement::AllElements => f.write_str("[*]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// The JSON type a claim value must have, when the configuration says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimValueType {
    /// A JSON string.
    String,
    /// A JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A `YYYY-MM-DD` string.
    Date,
}

impl ClaimValueType {
    fn accepts(self, value: &Value) -> bool {
        match self {
            ClaimValueType::String => value.is_string(),
            ClaimValueType::Number => value.is_number(),
            ClaimValueType::Boolean => value.is_boolean(),
            ClaimValueType::Object => value.is_object(),
            ClaimValueType::Array => value.is_array(),
            ClaimValueType::Date => value.as_str().is_some_and(is_iso_date),
        }
    }

    fn name(self) -> &'static str {
        match self {
            ClaimValueType::String => "a string",
            ClaimValueType::Number => "a number",
            ClaimValueType::Boolean => "a boolean",
            ClaimValueType::Object => "an object",
            ClaimValueType::Array => "an array",
            ClaimValueType::Date => "a date (YYYY-MM-DD)",
        }
    }
}

pub(crate) fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
        && matches!(text[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(text[8..10].parse::<u8>(), Ok(1..=31))
}

/// Display information, localised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Display {
    /// Human-readable name.
    pub name: String,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Background colour (CSS colour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// Text colour (CSS colour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
}

/// A logo reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    /// Where the logo is.
    pub uri: String,
    /// Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// A claim's localised display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimDisplay {
    /// Display name.
    pub name: String,
    /// BCP 47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Longer description (in SD-JWT VC type metadata and the issuer metadata).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Type metadata of a `vct` published elsewhere (SD-JWT VC -13 §6): the issuer serves
/// none for the configuration, and puts `integrity`, when known, into `vct#integrity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalTypeMetadata {
    /// Where the document is published.
    pub uri: String,
    /// W3C SRI string of the document (`sha256-<base64>`), if pinned.
    pub integrity: Option<String>,
}

/// One claim a credential configuration defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimDefinition {
    /// Claims path pointer, e.g. `["address", "locality"]` or `["nationalities", null]`.
    pub path: ClaimPath,
    /// The offer must supply a value.
    pub mandatory: bool,
    /// Issued as an SD-JWT disclosure rather than a plain claim.
    pub selectively_disclosable: bool,
    /// Required JSON type, if any.
    pub value_type: Option<ClaimValueType>,
    /// Localised display names.
    pub display: Vec<ClaimDisplay>,
}

/// A credential configuration (OID4VCI `credential_configurations_supported` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialConfiguration {
    /// The configuration id, e.g. `IdentityCredential`.
    pub id: String,
    /// Always [`FORMAT_DC_SD_JWT`].
    pub format: String,
    /// The SD-JWT VC type.
    pub vct: String,
    /// OAuth scope that requests this configuration.
    pub scope: String,
    /// Localised display.
    pub display: Vec<Display>,
    /// Claim definitions, in display order.
    pub claims: Vec<ClaimDefinition>,
    /// How long an issued credential is valid, in seconds.
    pub validity_seconds: u64,
    /// Type metadata published elsewhere; `None`: the issuer renders and serves it when
    /// the `vct` is under its identifier.
    #[serde(default)]
    pub type_metadata: Option<ExternalTypeMetadata>,
    /// Key attestations every holder key must have (`None`: not required).
    #[serde(default)]
    pub key_attestations_required: Option<KeyAttestationsRequired>,
}

/// One problem with an offer's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimProblem {
    /// The claim's path, dotted (`address.locality`).
    pub claim: String,
    /// What is wrong.
    pub problem: String,
}

impl CredentialConfiguration {
    /// Checks `claims` against this configuration's definitions: every mandatory claim is
    /// present, every supplied claim is defined, and typed claims have the right type.
    /// Returns every problem found, not only the first.
    pub fn validate_claims(&self, claims: &serde_json::Map<String, Value>) -> Vec<ClaimProblem> {
        let mut problems = Vec::new();
        let root = Value::Object(claims.clone());
        for definition in &self.claims {
            let values = resolve(&root, &definition.path.0);
            if definition.mandatory && values.is_empty() {
                problems.push(ClaimProblem {
                    claim: definition.path.to_string(),
                    problem: "missing mandatory claim".into(),
                });
            }
            if let Some(expected) = definition.value_type {
                if values.iter().any(|value| !expected.accepts(value)) {
                    problems.push(ClaimProblem {
                        claim: definition.path.to_string(),
                        problem: format!("must be {}", expected.name()),
                    });
                }
            }
        }
        let mut prefix = Vec::new();
        self.find_undefined(&root, &mut prefix, &mut problems);
        problems
    }

    /// Walks the supplied claims and reports every member no definition covers.
    fn find_undefined(
        &self,
        value: &Value,
        prefix: &mut Vec<PathElement>,
        problems: &mut Vec<ClaimProblem>,
    ) {
        let Value::Object(members) = value else {
            return;
        };
        for (key, child) in members {
            prefix.push(PathElement::Key(key.clone()));
            if self.defines_exactly(prefix) {
                // A defined claim may hold any structure below it.
            } else if self.defines_below(prefix) {
                match child {
                    Value::Object(_) => self.find_undefined(child, prefix, problems),
                    Value::Array(items) => {
                        for item in items {
                            prefix.push(PathElement::AllElements);
                            if !self.defines_exactly(prefix) {
                                self.find_undefined(item, prefix, problems);
                            }
                            prefix.pop();
                        }
                    }
                    _ => problems.push(ClaimProblem {
                        claim: ClaimPath(prefix.clone()).to_string(),
                        problem: "must be an object".into(),
                    }),
                }
            } else {
                problems.push(ClaimProblem {
                    claim: ClaimPath(prefix.clone()).to_string(),
                    problem: "not defined by the credential configuration".into(),
                });
            }
            prefix.pop();
        }
    }

    fn defines_exactly(&self, path: &[PathElement]) -> bool {
        self.claims.iter().any(|d| paths_match(&d.path.0, path))
    }

    fn defines_below(&self, path: &[PathElement]) -> bool {
        self.claims
            .iter()
            .any(|d| d.path.0.len() > path.len() && paths_match(&d.path.0[..path.len()], path))
    }
}

/// Whether a definition path matches a concrete path (a `null` element matches any index
/// and the `AllElements` marker of the walker).
fn paths_match(definition: &[PathElement], concrete: &[PathElement]) -> bool {
    definition.len() == concrete.len()
        && definition.iter().zip(concrete).all(|(d, c)| match (d, c) {
            (PathElement::AllElements, PathElement::AllElements | PathElement::Index(_)) => true,
            (a, b) => a == b,
        })
}

/// All values a claims path pointer selects in `root`.
pub fn resolve<'a>(root: &'a Value, path: &[PathElement]) -> Vec<&'a Value> {
    let mut current = vec![root];
    for element in path {
        let mut next = Vec::new();
        for value in current {
            match (element, value) {
                (PathElement::Key(key), Value::Object(map)) => next.extend(map.get(key)),
                (PathElement::Index(i), Value::Array(items)) => {
                    next.extend(usize::try_from(*i).ok().and_then(|i| items.get(i)))
                }
                (PathElement::AllElements, Value::Array(items)) => next.extend(items.iter()),
                _ => {}
            }
        }
        current = next;
    }
    current.retain(|v| !v.is_null());
    current
}

/// The `credential_metadata` object of a `credential_configurations_supported` entry
/// (OID4VCI 1.0 §12.2.4): the display and one `{path, mandatory, display}` per claim,
/// whatever the format addresses claims with.
pub fn credential_metadata<'a>(
    display: &[Display],
    claims: impl Iterator<Item = (Value, bool, &'a [ClaimDisplay])>,
) -> Value {
    let claims: Vec<Value> = claims
        .map(|(path, mandatory, display)| {
            let mut entry = Map::new();
            entry.insert("path".into(), path);
            entry.insert("mandatory".into(), json!(mandatory));
            if !display.is_empty() {
                entry.insert("display".into(), json!(display));
            }
            Value::Object(entry)
        })
        .collect();
    let mut metadata = Map::new();
    if !display.is_empty() {
        metadata.insert("display".into(), json!(display));
    }
    if !claims.is_empty() {
        metadata.insert("claims".into(), Value::Array(claims));
    }
    Value::Object(metadata)
}

#[cfg(test)]
mod tests;
