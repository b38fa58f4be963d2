//! Turns claims into the SD-JWT payload shape: selectively disclosable members are replaced
//! by digests in `_sd`, disclosable array elements by `{"...": digest}`, recursively, so a
//! disclosure's value may itself hide members (inner disclosures are made first).

use issuance_domain::credential_config::{ClaimDefinition, ClaimPath, PathElement};
use serde_json::{Map, Value};

use super::disclosure::{self, Disclosure};
use super::IssueError;

/// Member names with a meaning in SD-JWT itself; never accepted inside claims.
const SD_KEYWORDS: &[&str] = &["_sd", "..."];

/// Walks claim values and collects the disclosures made on the way.
pub(crate) struct Encoder<'a> {
    /// Claim definitions of the credential configuration.
    definitions: &'a [ClaimDefinition],
    /// Encoded disclosures in creation order (inner before outer).
    pub disclosures: Vec<String>,
}

impl<'a> Encoder<'a> {
    pub(crate) fn new(definitions: &'a [ClaimDefinition]) -> Self {
        Encoder {
            definitions,
            disclosures: Vec::new(),
        }
    }

    /// Encodes an object at `path`; its `_sd` (if any) holds sorted digests plus decoys.
    pub(crate) fn object(
        &mut self,
        members: &Map<String, Value>,
        path: &mut Vec<PathElement>,
    ) -> Result<Map<String, Value>, IssueError> {
        let mut out = Map::new();
        let mut digests = Vec::new();
        for (name, value) in members {
            path.push(PathElement::Key(name.clone()));
            if SD_KEYWORDS.contains(&name.as_str()) {
                return Err(IssueError::ReservedClaim(
                    ClaimPath(path.clone()).to_string(),
                ));
            }
            let encoded = self.value(value, path)?;
            if self.is_disclosable(path) {
                let Disclosure { encoded, digest } = disclosure::object_property(name, &encoded)?;
                self.disclosures.push(encoded);
                digests.push(Value::String(digest));
            } else {
                out.insert(name.clone(), encoded);
            }
            path.pop();
        }
        if !digests.is_empty() {
            digests
                .extend((0..disclosure::decoy_count()).map(|_| Value::String(disclosure::decoy())));
            // Sorted, so the position of a digest says nothing about which claim it hides.
            digests.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            out.insert("_sd".to_owned(), Value::Array(digests));
        }
        Ok(out)
    }

    fn array(
        &mut self,
        items: &[Value],
        path: &mut Vec<PathElement>,
    ) -> Result<Vec<Value>, IssueError> {
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            path.push(PathElement::Index(index as u64));
            let encoded = self.value(item, path)?;
            if self.is_disclosable(path) {
                let Disclosure { encoded, digest } = disclosure::array_element(&encoded)?;
                self.disclosures.push(encoded);
                let mut placeholder = Map::new();
                placeholder.insert("...".to_owned(), Value::String(digest));
                out.push(Value::Object(placeholder));
            } else {
                out.push(encoded);
            }
            path.pop();
        }
        Ok(out)
    }

    fn value(&mut self, value: &Value, path: &mut Vec<PathElement>) -> Result<Value, IssueError> {
        Ok(match value {
            Value::Object(members) => Value::Object(self.object(members, path)?),
            Value::Array(items) => Value::Array(self.array(items, path)?),
            scalar => scalar.clone(),
        })
    }

    /// Whether a definition marked selectively disclosable matches this concrete path
    /// (a `null` definition element matches any index).
    fn is_disclosable(&self, concrete: &[PathElement]) -> bool {
        self.definitions
            .iter()
            .filter(|d| d.selectively_disclosable)
            .any(|d| matches(&d.path.0, concrete))
    }
}

fn matches(definition: &[PathElement], concrete: &[PathElement]) -> bool {
    definition.len() == concrete.len()
        && definition.iter().zip(concrete).all(|(d, c)| match (d, c) {
            (PathElement::AllElements, PathElement::Index(_)) => true,
            (d, c) => d == c,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(value: Value) -> Vec<PathElement> {
        serde_json::from_value::<ClaimPath>(value).unwrap().0
    }

    #[test]
    fn null_matches_any_index_and_nothing_else() {
        let definition = path(serde_json::json!(["n", null]));
        assert!(matches(&definition, &path(serde_json::json!(["n", 3]))));
        assert!(!matches(&definition, &path(serde_json::json!(["n", "x"]))));
        assert!(!matches(&definition, &path(serde_json::json!(["n"]))));
        assert!(matches(
            &path(serde_json::json!(["n", 1])),
            &path(serde_json::json!(["n", 1]))
        ));
        assert!(!matches(
            &path(serde_json::json!(["n", 1])),
            &path(serde_json::json!(["n", 2]))
        ));
    }
}
