//! Issue an SD-JWT VC and verify it with an independent implementation, `sd-jwt-rs`
//! (signature via a callback returning our issuer key, digests recomputed by it).

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use issuance_credential::{
    disclosure_digest, issue_sd_jwt_vc, IssuerKeys, SdJwtVcInput, SigningKey, StatusReference,
};
use issuance_domain::credential_config::ClaimDefinition;
use jsonwebtoken::{DecodingKey, Header};
use sd_jwt_rs::{SDJWTSerializationFormat, SDJWTVerifier};
use serde_json::{json, Map, Value};

use crate::helpers::*;

const VCT: &str = "https://issuer.example.com/vct/identity";

fn definition(path: Value, sd: bool) -> ClaimDefinition {
    ClaimDefinition {
        path: serde_json::from_value(path).unwrap(),
        mandatory: false,
        selectively_disclosable: sd,
        value_type: None,
        display: vec![],
    }
}

/// Ten claims: SD and plain, one nested object (itself SD, with SD and plain members), one
/// array with SD elements, one claim without definition.
fn definitions() -> Vec<ClaimDefinition> {
    vec![
        definition(json!(["given_name"]), true),
        definition(json!(["family_name"]), true),
        definition(json!(["birthdate"]), true),
        definition(json!(["email"]), true),
        definition(json!(["phone_number"]), true),
        definition(json!(["document_number"]), true),
        definition(json!(["age_over_18"]), false),
        definition(json!(["address"]), true),
        definition(json!(["address", "street_address"]), true),
        definition(json!(["address", "locality"]), true),
        definition(json!(["address", "country"]), false),
        definition(json!(["nationalities", null]), true),
        // `member_since` deliberately has no definition: issued plainly.
    ]
}

fn claims() -> Map<String, Value> {
    object(json!({
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birthdate": "1964-08-12",
        "email": "erika@example.org",
        "phone_number": "+49-30-1234567",
        "document_number": "T22000129",
        "age_over_18": true,
        "address": {"street_address": "Heidestrasse 17", "locality": "Koeln", "country": "DE"},
        "nationalities": ["DE", "FR"],
        "member_since": 2019
    }))
}

/// Every SD value and SD claim name, quoted as JSON strings (digests never contain quotes,
/// so a random digest cannot match by chance): none may appear in the signed payload.
const SECRETS: &[&str] = &[
    "Erika",
    "Mustermann",
    "1964-08-12",
    "erika@example.org",
    "+49-30-1234567",
    "T22000129",
    "Heidestrasse 17",
    "Koeln",
    "DE",
    "FR",
    "given_name",
    "family_name",
    "birthdate",
    "email",
    "phone_number",
    "document_number",
    "address",
    "street_address",
    "locality",
    "country",
];

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Issued {
    key: SigningKey,
    holder: issuance_credential::Jwk,
    compact: String,
    disclosure_count: usize,
}

fn issue_identity() -> Issued {
    let keys = IssuerKeys::ephemeral().unwrap();
    let holder = es256_wallet().public;
    let claims = claims();
    let definitions = definitions();
    // Real time: sd-jwt-rs (jsonwebtoken) checks `exp` against the system clock.
    let issued_at = now();
    let status = status_reference();
    let input = SdJwtVcInput {
        issuer: ISSUER,
        vct: VCT,
        vct_integrity: None,
        issued_at,
        expires_at: issued_at + 3600,
        holder_jwk: &holder,
        claims: &claims,
        definitions: &definitions,
        status: Some(&status),
    };
    let issued = issue_sd_jwt_vc(keys.active(), &input).unwrap();
    Issued {
        key: keys.active().clone(),
        holder,
        compact: issued.compact,
        disclosure_count: issued.disclosure_count,
    }
}

/// sd-jwt-rs verification with our issuer key; the callback only hands out the key for our
/// issuer and kid, so a wrong `kid`/`iss` would fail verification.
fn verify(presentation: &str, key: &SigningKey) -> Result<Value, sd_jwt_rs::error::Error> {
    let jwk = key.public_jwk();
    let x = jwk.parameter("x").unwrap().as_str().unwrap().to_owned();
    let y = jwk.parameter("y").unwrap().as_str().unwrap().to_owned();
    let kid = key.kid().to_owned();
    let resolver = move |iss: &str, header: &Header| -> DecodingKey {
        if iss == ISSUER && header.kid.as_deref() == Some(kid.as_str()) {
            DecodingKey::from_ec_components(&x, &y).unwrap()
        } else {
            DecodingKey::from_secret(b"not the issuer key")
        }
    };
    // No key-binding JWT here (expected_aud/expected_nonce = None): issuance output only.
    SDJWTVerifier::new(
        presentation.to_owned(),
        Box::new(resolver),
        None,
        None,
        SDJWTSerializationFormat::Compact,
    )
    .map(|verifier| verifier.verified_claims)
}

fn status_reference() -> StatusReference {
    StatusReference {
        idx: 94_567,
        uri: "https://issuer.example.com/status-lists/3f2a".into(),
    }
}

fn without_registered(mut claims: Value) -> Value {
    for name in ["iss", "iat", "exp", "vct", "cnf", "status"] {
        claims.as_object_mut().unwrap().remove(name);
    }
    claims
}

#[test]
fn independent_verifier_accepts_the_credential_and_recovers_every_claim() {
    let issued = issue_identity();
    let verified = verify(&issued.compact, &issued.key).expect("sd-jwt-rs verifies our SD-JWT VC");
    assert_eq!(verified["iss"], ISSUER);
    assert_eq!(verified["vct"], VCT);
    assert_eq!(
        verified["cnf"]["jwk"],
        Value::Object(issued.holder.as_ref().clone())
    );
    assert_eq!(without_registered(verified), Value::Object(claims()));
}

#[test]
fn the_status_claim_is_plain_and_survives_independent_verification() {
    let issued = issue_identity();
    let expected = json!({"status_list": {
        "idx": 94_567, "uri": "https://issuer.example.com/status-lists/3f2a"
    }});
    let (_, payload, disclosures) = split_sd_jwt(&issued.compact);
    assert_eq!(payload["status"], expected);
    assert!(disclosures
        .iter()
        .all(|d| !decode(d).to_string().contains("status_list")));
    let verified = verify(&issued.compact, &issued.key).expect("sd-jwt-rs verifies");
    assert_eq!(verified["status"], expected);
    assert_eq!(
        StatusReference::from_claim(&verified["status"]),
        Some(status_reference())
    );
}

#[test]
fn header_is_dc_sd_jwt_with_kid() {
    let issued = issue_identity();
    let (header, _, _) = split_sd_jwt(&issued.compact);
    assert_eq!(header["typ"], "dc+sd-jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], issued.key.kid());
    assert!(header.get("x5c").is_none());
}

#[test]
fn every_disclosure_digest_appears_exactly_once() {
    let issued = issue_identity();
    let (_, payload, disclosures) = split_sd_jwt(&issued.compact);
    // 6 top-level + address + 2 address members + 2 nationalities.
    assert_eq!(issued.disclosure_count, 11);
    assert_eq!(disclosures.len(), 11);

    let mut digests = Vec::new();
    collect_digests(&payload, &mut digests);
    for disclosure in &disclosures {
        let decoded = decode(disclosure);
        collect_digests(&decoded, &mut digests); // digests nested inside disclosed values
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for digest in &digests {
        *counts.entry(digest.as_str()).or_default() += 1;
    }
    assert!(counts.values().all(|&n| n == 1), "no digest may repeat");
    for disclosure in &disclosures {
        assert_eq!(counts.get(disclosure_digest(disclosure).as_str()), Some(&1));
    }
    let decoys = digests.len() - disclosures.len();
    // Two `_sd` arrays (top level, address), each with 1..=3 decoys; arrays get none.
    assert!((2..=6).contains(&decoys), "decoys: {decoys}");
}

/// Gathers `_sd` entries and `...` array placeholders, at any depth.
fn collect_digests(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                match (name.as_str(), member) {
                    ("_sd", Value::Array(items)) => {
                        out.extend(items.iter().map(|d| d.as_str().unwrap().to_owned()))
                    }
                    ("...", Value::String(digest)) => out.push(digest.clone()),
                    _ => collect_digests(member, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_digests(item, out)),
        _ => {}
    }
}

#[test]
fn signed_payload_holds_no_plaintext_of_disclosable_claims() {
    let issued = issue_identity();
    let (_, payload, _) = split_sd_jwt(&issued.compact);
    let text = payload.to_string();
    for secret in SECRETS {
        let quoted = format!("\"{secret}\"");
        assert!(!text.contains(&quoted), "payload leaks {quoted}: {text}");
    }
    assert_eq!(payload["age_over_18"], true);
    assert_eq!(payload["member_since"], 2019);
    assert_eq!(payload["_sd_alg"], "sha-256");
}

#[test]
fn withheld_disclosures_hide_their_claims() {
    let issued = issue_identity();
    let (_, _, disclosures) = split_sd_jwt(&issued.compact);
    let jwt = issued.compact.split('~').next().unwrap();
    // Withhold given_name, the locality inside address and the "FR" nationality.
    let withheld: HashSet<&str> = disclosures
        .iter()
        .filter(|d| {
            let decoded = decode(d);
            let items = decoded.as_array().unwrap();
            items[1] == "given_name"
                || items[1] == "locality"
                || (items.len() == 2 && items[1] == "FR")
        })
        .map(String::as_str)
        .collect();
    assert_eq!(withheld.len(), 3);
    let presented: Vec<&str> = disclosures
        .iter()
        .map(String::as_str)
        .filter(|d| !withheld.contains(d))
        .collect();
    let presentation = format!("{jwt}~{}~", presented.join("~"));

    let verified = verify(&presentation, &issued.key).unwrap();
    assert!(verified.get("given_name").is_none());
    assert_eq!(verified["family_name"], "Mustermann");
    assert_eq!(
        verified["address"],
        json!({"street_address": "Heidestrasse 17", "country": "DE"})
    );
    assert_eq!(verified["nationalities"], json!(["DE"]));

    // Withholding the outer `address` disclosure hides the whole object.
    let without_address: Vec<&str> = disclosures
        .iter()
        .map(String::as_str)
        .filter(|d| decode(d).as_array().unwrap()[1] != "address")
        .collect();
    let verified = verify(
        &format!("{jwt}~{}~", without_address.join("~")),
        &issued.key,
    )
    .unwrap();
    assert!(verified.get("address").is_none());
    assert_eq!(verified["given_name"], "Erika");

    // Only the JWT: just the plain claims remain.
    let verified = verify(&format!("{jwt}~"), &issued.key).unwrap();
    assert_eq!(
        without_registered(verified),
        json!({"age_over_18": true, "member_since": 2019, "nationalities": []})
    );
}

#[test]
fn independent_verifier_rejects_a_tampered_credential() {
    let issued = issue_identity();
    let other = IssuerKeys::ephemeral().unwrap();
    assert!(
        verify(&issued.compact, other.active()).is_err(),
        "wrong issuer key"
    );
    let (_, _, disclosures) = split_sd_jwt(&issued.compact);
    let forged = issued.compact.replacen(
        &disclosures[0],
        "WyJzYWx0IiwgImdpdmVuX25hbWUiLCAiTWFsbG9yeSJd",
        1,
    );
    let verified = verify(&forged, &issued.key).unwrap();
    assert_ne!(
        verified.get("given_name"),
        Some(&json!("Mallory")),
        "unreferenced disclosure ignored"
    );
}
