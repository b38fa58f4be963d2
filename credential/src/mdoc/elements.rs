//! An offer's claims (JSON, grouped by namespace) as CBOR data element values, typed by the
//! mdoc configuration.

use std::fmt;

use ciborium::value::Value as Cbor;
use issuance_domain::mdoc_config::{decode_base64, MdocConfiguration, MdocValueType};
use serde_json::{Map, Value};

use super::cbor::{tagged_text, TAG_FULL_DATE, TAG_TDATE};
use super::MdocError;

/// The data elements of one document, by namespace, in configuration order; converted once
/// and shared by every copy of a batch.
///
/// `Debug` shows namespaces and element identifiers only, never values (personal data).
#[derive(Clone, PartialEq)]
pub struct DataElements {
    pub(super) namespaces: Vec<(String, Vec<(String, Cbor)>)>,
}

impl DataElements {
    /// Validates `claims` against `configuration` (every problem is reported, as for the
    /// offer) and converts each value to CBOR by its configured type: text, unsigned
    /// integers, booleans, `full-date` (tag 1004), `tdate` (tag 0), byte strings from
    /// base64, and arrays/maps, with the dates inside `driving_privileges` as `full-date`.
    pub fn from_claims(
        configuration: &MdocConfiguration,
        claims: &Map<String, Value>,
    ) -> Result<DataElements, MdocError> {
        let problems = configuration.validate_claims(claims);
        if !problems.is_empty() {
            return Err(MdocError::Claims(problems));
        }
        let mut namespaces: Vec<(String, Vec<(String, Cbor)>)> = Vec::new();
        for definition in &configuration.claims {
            let Some(value) = claims
                .get(&definition.namespace)
                .and_then(|namespace| namespace.get(&definition.element))
                .filter(|value| !value.is_null())
            else {
                continue;
            };
            let element = (
                definition.element.clone(),
                convert(value, definition.value_type)?,
            );
            match namespaces
                .iter_mut()
                .find(|(name, _)| *name == definition.namespace)
            {
                Some((_, elements)) => elements.push(element),
                None => namespaces.push((definition.namespace.clone(), vec![element])),
            }
        }
        if namespaces.is_empty() {
            return Err(MdocError::InvalidInput(
                "an mdoc needs at least one data element".into(),
            ));
        }
        Ok(DataElements { namespaces })
    }

    /// How many data elements there are, over all namespaces.
    pub fn len(&self) -> usize {
        self.namespaces.iter().map(|(_, e)| e.len()).sum()
    }

    /// Whether there are none (never true for a value [`DataElements::from_claims`] built).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for DataElements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<(&str, Vec<&str>)> = self
            .namespaces
            .iter()
            .map(|(ns, elements)| {
                (
                    ns.as_str(),
                    elements.iter().map(|(e, _)| e.as_str()).collect(),
                )
            })
            .collect();
        f.debug_struct("DataElements")
            .field("namespaces", &names)
            .finish()
    }
}

/// Converts a value that [`MdocConfiguration::validate_claims`] accepted for `value_type`.
fn convert(value: &Value, value_type: MdocValueType) -> Result<Cbor, MdocError> {
    let mismatch = || MdocError::Encoding(format!("value is not {}", value_type.description()));
    Ok(match value_type {
        MdocValueType::Tstr => Cbor::Text(value.as_str().ok_or_else(mismatch)?.to_string()),
        MdocValueType::Uint => Cbor::from(value.as_u64().ok_or_else(mismatch)?),
        MdocValueType::Bool => Cbor::Bool(value.as_bool().ok_or_else(mismatch)?),
        MdocValueType::FullDate => date(value).ok_or_else(mismatch)?,
        MdocValueType::Tdate => {
            tagged_text(TAG_TDATE, value.as_str().ok_or_else(mismatch)?.to_string())
        }
        MdocValueType::Bstr => Cbor::Bytes(
            value
                .as_str()
                .and_then(decode_base64)
                .ok_or_else(mismatch)?,
        ),
        MdocValueType::Array | MdocValueType::Map => plain(value).ok_or_else(mismatch)?,
        MdocValueType::DrivingPrivileges => Cbor::Array(
            value
                .as_array()
                .ok_or_else(mismatch)?
                .iter()
                .map(|privilege| driving_privilege(privilege).ok_or_else(mismatch))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn date(value: &Value) -> Option<Cbor> {
    Some(tagged_text(TAG_FULL_DATE, value.as_str()?.to_string()))
}

/// Text, integers, booleans, arrays and text-keyed maps, as they are.
fn plain(value: &Value) -> Option<Cbor> {
    Some(match value {
        Value::String(text) => Cbor::Text(text.clone()),
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Cbor::from(u),
            (None, Some(i)) => Cbor::from(i),
            _ => return None,
        },
        Value::Array(items) => Cbor::Array(items.iter().map(plain).collect::<Option<_>>()?),
        Value::Object(members) => Cbor::Map(
            members
                .iter()
                .map(|(k, v)| Some((Cbor::Text(k.clone()), plain(v)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Null => return None,
    })
}

/// One `DrivingPrivilege`: its dates as `full-date`, everything else text.
fn driving_privilege(value: &Value) -> Option<Cbor> {
    let members = value
        .as_object()?
        .iter()
        .map(|(name, member)| {
            let converted = match name.as_str() {
                "issue_date" | "expiry_date" => date(member)?,
                _ => plain(member)?,
            };
            Some((Cbor::Text(name.clone()), converted))
        })
        .collect::<Option<_>>()?;
    Some(Cbor::Map(members))
}
