//! The CBOR types of mdoc data elements and the check that a JSON value can become one.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::credential_config::{is_iso_date, ClaimProblem};

/// How a data element's JSON value is encoded as its CBOR `elementValue` (ISO/IEC 18013-5
/// §7.2.1 and the mDL / PID data models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MdocValueType {
    /// A text string (`tstr`).
    #[serde(rename = "tstr")]
    Tstr,
    /// An unsigned integer (`uint`), from a non-negative JSON integer.
    #[serde(rename = "uint")]
    Uint,
    /// `true` or `false`.
    #[serde(rename = "bool")]
    Bool,
    /// `full-date` (RFC 8943, tag 1004) from `YYYY-MM-DD`.
    #[serde(rename = "full-date")]
    FullDate,
    /// `tdate` (tag 0) from `YYYY-MM-DDThh:mm:ssZ`: UTC, no fractional seconds.
    #[serde(rename = "tdate")]
    Tdate,
    /// A byte string (`bstr`), given as base64 (standard or URL-safe, padding optional),
    /// such as a portrait.
    #[serde(rename = "bstr")]
    Bstr,
    /// An array of text strings, integers, booleans, arrays and maps (e.g. the PID's
    /// `nationality`); strings stay text.
    #[serde(rename = "array")]
    Array,
    /// A map with text keys and the values [`MdocValueType::Array`] allows (e.g. the PID's
    /// `place_of_birth`).
    #[serde(rename = "map")]
    Map,
    /// The mDL's `driving_privileges`: an array of `{vehicle_category_code, issue_date?,
    /// expiry_date?, codes?: [{code, sign?, value?}]}`, dates as `full-date`.
    #[serde(rename = "driving_privileges")]
    DrivingPrivileges,
}

impl MdocValueType {
    /// What a value of this type must be, for problem messages.
    pub fn description(self) -> &'static str {
        match self {
            MdocValueType::Tstr => "a string",
            MdocValueType::Uint => "a non-negative integer",
            MdocValueType::Bool => "a boolean",
            MdocValueType::FullDate => "a date (YYYY-MM-DD)",
            MdocValueType::Tdate => "a date-time (YYYY-MM-DDThh:mm:ssZ)",
            MdocValueType::Bstr => "base64-encoded bytes",
            MdocValueType::Array => "an array of strings, integers, booleans, arrays or objects",
            MdocValueType::Map => "an object of strings, integers, booleans, arrays or objects",
            MdocValueType::DrivingPrivileges => "an array of driving privileges",
        }
    }

    /// Adds a problem for every way `value` does not fit this type; `claim` names it.
    pub(crate) fn check(self, value: &Value, claim: &str, problems: &mut Vec<ClaimProblem>) {
        let fits = match self {
            MdocValueType::Tstr => value.is_string(),
            MdocValueType::Uint => value.is_u64(),
            MdocValueType::Bool => value.is_boolean(),
            MdocValueType::FullDate => value.as_str().is_some_and(is_iso_date),
            MdocValueType::Tdate => value.as_str().is_some_and(is_tdate),
            MdocValueType::Bstr => value.as_str().and_then(decode_base64).is_some(),
            MdocValueType::Array => value
                .as_array()
                .is_some_and(|items| items.iter().all(is_plain)),
            MdocValueType::Map => value.as_object().is_some_and(|m| m.values().all(is_plain)),
            MdocValueType::DrivingPrivileges => {
                return check_driving_privileges(value, claim, problems)
            }
        };
        if !fits {
            problems.push(problem(claim, format!("must be {}", self.description())));
        }
    }
}

fn problem(claim: &str, problem: String) -> ClaimProblem {
    ClaimProblem {
        claim: claim.to_string(),
        problem,
    }
}

/// Decodes base64 in any of its common spellings (standard or URL-safe alphabet, with or
/// without padding).
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// `YYYY-MM-DDThh:mm:ssZ` exactly: ISO 18013-5 tdates are UTC without fractional seconds.
pub fn is_tdate(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 20
        && is_iso_date(&text[..10])
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z'
        && [11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit())
        && matches!(text[11..13].parse::<u8>(), Ok(0..=23))
        && matches!(text[14..16].parse::<u8>(), Ok(0..=59))
        && matches!(text[17..19].parse::<u8>(), Ok(0..=59))
}

/// Values generic arrays and maps may hold: no `null` and no fractional numbers, which
/// have no agreed CBOR form in the mdoc data models.
fn is_plain(value: &Value) -> bool {
    match value {
        Value::String(_) | Value::Bool(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::Array(items) => items.iter().all(is_plain),
        Value::Object(members) => members.values().all(is_plain),
        Value::Null => false,
    }
}

/// ISO 18013-5 §7.2.4: `DrivingPrivilege = {"vehicle_category_code": tstr, ? "issue_date":
/// full-date, ? "expiry_date": full-date, ? "codes": [+ Code]}`, `Code = {"code": tstr,
/// ? "sign": tstr, ? "value": tstr}`.
fn check_driving_privileges(value: &Value, claim: &str, problems: &mut Vec<ClaimProblem>) {
    let Some(privileges) = value.as_array() else {
        problems.push(problem(
            claim,
            "must be an array of driving privileges".into(),
        ));
        return;
    };
    for (i, privilege) in privileges.iter().enumerate() {
        let at = format!("{claim}[{i}]");
        let Some(privilege) = privilege.as_object() else {
            problems.push(problem(&at, "must be an object".into()));
            continue;
        };
        check_members(
            privilege,
            &at,
            &[
                ("vehicle_category_code", Member::RequiredText),
                ("issue_date", Member::Date),
                ("expiry_date", Member::Date),
                ("codes", Member::Codes),
            ],
            problems,
        );
    }
}

#[derive(Clone, Copy)]
enum Member {
    RequiredText,
    Text,
    Date,
    Codes,
}

fn check_members(
    object: &Map<String, Value>,
    at: &str,
    members: &[(&str, Member)],
    problems: &mut Vec<ClaimProblem>,
) {
    for (name, kind) in members {
        let path = format!("{at}.{name}");
        match (object.get(*name), kind) {
            (None, Member::RequiredText) => problems.push(problem(&path, "is required".into())),
            (None, _) => {}
            (Some(v), Member::RequiredText | Member::Text) if !v.is_string() => {
                problems.push(problem(&path, "must be a string".into()))
            }
            (Some(v), Member::Date) if !v.as_str().is_some_and(is_iso_date) => {
                problems.push(problem(&path, "must be a date (YYYY-MM-DD)".into()))
            }
            (Some(v), Member::Codes) => match v.as_array() {
                Some(codes) if !codes.is_empty() => {
                    for (j, code) in codes.iter().enumerate() {
                        let code_at = format!("{path}[{j}]");
                        match code.as_object() {
                            Some(code) => check_members(
                                code,
                                &code_at,
                                &[
                                    ("code", Member::RequiredText),
                                    ("sign", Member::Text),
                                    ("value", Member::Text),
                                ],
                                problems,
                            ),
                            None => problems.push(problem(&code_at, "must be an object".into())),
                        }
                    }
                }
                _ => problems.push(problem(&path, "must be a non-empty array".into())),
            },
            _ => {}
        }
    }
    for name in object.keys() {
        if !members.iter().any(|(known, _)| known == name) {
            problems.push(problem(
                &format!("{at}.{name}"),
                "is not a member of this structure".into(),
            ));
        }
    }
}
