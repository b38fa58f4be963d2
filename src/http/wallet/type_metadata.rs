//! SD-JWT VC Type Metadata (draft -13 §6–9, the version HAIP 1.0 pins) of the SD-JWT VC
//! configurations whose `vct` is under the Credential Issuer Identifier: rendered once at
//! start-up, served at the `vct` URL itself (§6.3.1), and pinned by `vct#integrity` (a
//! W3C SRI string of the exact bytes served, §7) in every credential of the configuration.
//!
//! A configuration with external type metadata (`type_metadata_uri`) is not served; its
//! configured `type_metadata_integrity`, if any, becomes `vct#integrity`.

use std::collections::BTreeMap;

use super::metadata::Document;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use issuance_domain::catalog::CredentialCatalog;
use issuance_domain::credential_config::{ClaimDefinition, CredentialConfiguration, Display};
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

/// First path segments the wallet API uses itself; a `vct` there could not be served.
const WALLET_SEGMENTS: &[&str] = &[
    ".well-known",
    "credential-offers",
    "token",
    "par",
    "authorize",
    "nonce",
    "credential",
    "notification",
];

/// The rendered type metadata documents and the `vct#integrity` of every configuration.
#[derive(Debug, Clone, Default)]
pub struct TypeMetadata {
    /// Route path (with the identifier's path prefix) → the document's bytes.
    pub(super) documents: BTreeMap<String, Document>,
    /// Configuration id → `vct#integrity`.
    integrity: BTreeMap<String, String>,
}

/// A configuration whose `vct` is under the identifier cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TypeMetadataError {
    /// The path part of the `vct` is not a plain path, or is one of the wallet API's.
    #[error("credential configuration {id}: vct {vct} is under the issuer identifier but {problem}; set type_metadata_uri to publish its type metadata elsewhere")]
    Unservable {
        /// The configuration.
        id: String,
        /// Its `vct`.
        vct: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// JSON serialisation failed.
    #[error("type metadata: {0}")]
    Json(#[from] serde_json::Error),
}

impl TypeMetadata {
    /// Whether `path` is one of these documents.
    pub fn serves(&self, path: &str) -> bool {
        self.documents.contains_key(path)
    }

    /// Renders the documents of `catalog`'s configurations for the identifier
    /// `issuer_url` (no trailing slash) whose path is `path_prefix`.
    pub fn render(
        catalog: &CredentialCatalog,
        issuer_url: &str,
        path_prefix: &str,
    ) -> Result<TypeMetadata, TypeMetadataError> {
        let mut rendered = TypeMetadata::default();
        for configuration in catalog.iter() {
            if let Some(external) = &configuration.type_metadata {
                if let Some(integrity) = &external.integrity {
                    rendered
                        .integrity
                        .insert(configuration.id.clone(), integrity.clone());
                }
                continue;
            }
            let Some(rest) = configuration
                .vct
                .strip_prefix(issuer_url)
                .filter(|rest| rest.starts_with('/'))
            else {
                continue;
            };
            let unservable = |problem| TypeMetadataError::Unservable {
                id: configuration.id.clone(),
                vct: configuration.vct.clone(),
                problem,
            };
            check_path(rest).map_err(unservable)?;
            let path = format!("{path_prefix}{rest}");
            if rendered.documents.contains_key(&path) {
                return Err(unservable(
                    "another configuration has the same vct (one document per vct)",
                ));
            }
            let bytes = serde_json::to_vec(&document(configuration))?;
            rendered
                .integrity
                .insert(configuration.id.clone(), sri_sha256(&bytes));
            rendered.documents.insert(path, Document::new(bytes));
        }
        Ok(rendered)
    }

    /// The `vct#integrity` of configuration `id`'s credentials, if any.
    pub fn integrity(&self, id: &str) -> Option<&str> {
        self.integrity.get(id).map(String::as_str)
    }

    /// The route paths documents are served at.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.documents.keys().map(String::as_str)
    }
}

/// `rest` (after the identifier) is a plain path the wallet API does not use.
fn check_path(rest: &str) -> Result<(), &'static str> {
    let segments: Vec<&str> = rest[1..].split('/').collect();
    let plain = segments.iter().all(|segment| {
        !segment.is_empty()
            && *segment != "."
            && *segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    });
    if !plain {
        return Err("its path is not made of plain segments (A-Z a-z 0-9 - . _ ~)");
    }
    if WALLET_SEGMENTS.contains(&segments[0]) {
        return Err("its path is one of the wallet API's");
    }
    Ok(())
}

/// W3C SRI of `bytes` with SHA-256: `sha256-` and the base64 (with padding) digest.
pub fn sri_sha256(bytes: &[u8]) -> String {
    format!("sha256-{}", STANDARD.encode(Sha256::digest(bytes)))
}

/// The type metadata document of `configuration` (-13 §6.2, §8, §9): `vct`, `name` and
/// `description` from the first display entry, `display` per locale, and `claims` with
/// their paths, labels and `sd` rule. Entries without a locale are left out of `display`
/// arrays, where the draft requires one.
pub fn document(configuration: &CredentialConfiguration) -> Value {
    let mut document = Map::new();
    document.insert("vct".into(), json!(configuration.vct));
    if let Some(first) = configuration.display.first() {
        document.insert("name".into(), json!(first.name));
        if let Some(description) = &first.description {
            document.insert("description".into(), json!(description));
        }
    }
    let display: Vec<Value> = configuration.display.iter().filter_map(display).collect();
    if !display.is_empty() {
        document.insert("display".into(), Value::Array(display));
    }
    if !configuration.claims.is_empty() {
        document.insert(
            "claims".into(),
            configuration.claims.iter().map(claim).collect(),
        );
    }
    Value::Object(document)
}

/// §8: `locale`, `name`, `description`, and `rendering.simple` when configured.
fn display(entry: &Display) -> Option<Value> {
    let mut display = Map::new();
    display.insert("locale".into(), json!(entry.locale.as_ref()?));
    display.insert("name".into(), json!(entry.name));
    if let Some(description) = &entry.description {
        display.insert("description".into(), json!(description));
    }
    let mut simple = Map::new();
    if let Some(logo) = &entry.logo {
        simple.insert("logo".into(), json!(logo));
    }
    if let Some(color) = &entry.background_color {
        simple.insert("background_color".into(), json!(color));
    }
    if let Some(color) = &entry.text_color {
        simple.insert("text_color".into(), json!(color));
    }
    if !simple.is_empty() {
        display.insert("rendering".into(), json!({ "simple": simple }));
    }
    Some(Value::Object(display))
}

/// §9: `path`, `display` (`locale`, `label`, `description`), `mandatory` when true, and
/// `sd`: `always` for a selectively disclosable claim, `never` for a plain one.
fn claim(definition: &ClaimDefinition) -> Value {
    let mut claim = Map::new();
    claim.insert("path".into(), json!(definition.path));
    let display: Vec<Value> = definition
        .display
        .iter()
        .filter_map(|entry| {
            let mut display = Map::new();
            display.insert("locale".into(), json!(entry.locale.as_ref()?));
            display.insert("label".into(), json!(entry.name));
            if let Some(description) = &entry.description {
                display.insert("description".into(), json!(description));
            }
            Some(Value::Object(display))
        })
        .collect();
    if !display.is_empty() {
        claim.insert("display".into(), Value::Array(display));
    }
    if definition.mandatory {
        claim.insert("mandatory".into(), json!(true));
    }
    let sd = if definition.selectively_disclosable {
        "always"
    } else {
        "never"
    };
    claim.insert("sd".into(), json!(sd));
    Value::Object(claim)
}

#[cfg(test)]
mod tests {
    use issuance_domain::credential_config::{ClaimDisplay, ExternalTypeMetadata, Logo};

    use super::*;

    const ISSUER: &str = "https://issuer.example/tenant";

    fn configuration(id: &str, vct: &str) -> CredentialConfiguration {
        CredentialConfiguration {
            id: id.into(),
            format: "dc+sd-jwt".into(),
            vct: vct.into(),
            scope: id.to_lowercase(),
            display: vec![
                Display {
                    name: "Employee ID".into(),
                    locale: Some("en-US".into()),
                    description: Some("Proof of employment".into()),
                    logo: Some(Logo {
                        uri: "https://issuer.example/logo.png".into(),
                        alt_text: Some("Logo".into()),
                    }),
                    background_color: Some("#12107c".into()),
                    text_color: None,
                },
                Display {
                    name: "Mitarbeiterausweis".into(),
                    locale: Some("de-DE".into()),
                    ..Display::default()
                },
                Display {
                    name: "no locale".into(),
                    ..Display::default()
                },
            ],
            claims: vec![
                ClaimDefinition {
                    path: serde_json::from_value(json!(["given_name"])).unwrap(),
                    mandatory: true,
                    selectively_disclosable: true,
                    value_type: None,
                    display: vec![
                        ClaimDisplay {
                            name: "Given name".into(),
                            locale: Some("en-US".into()),
                            description: Some("As in the passport".into()),
                        },
                        ClaimDisplay {
                            name: "Vorname".into(),
                            locale: Some("de-DE".into()),
                            description: None,
                        },
                    ],
                },
                ClaimDefinition {
                    path: serde_json::from_value(json!(["roles", null])).unwrap(),
                    mandatory: false,
                    selectively_disclosable: false,
                    value_type: None,
                    display: vec![],
                },
            ],
            validity_seconds: 60,
            type_metadata: None,
            key_attestations_required: None,
        }
    }

    #[test]
    fn the_document_has_the_drafts_members() {
        let vct = format!("{ISSUER}/types/employee");
        assert_eq!(
            document(&configuration("Employee", &vct)),
            json!({
                "vct": vct,
                "name": "Employee ID",
                "description": "Proof of employment",
                "display": [
                    {"locale": "en-US", "name": "Employee ID", "description": "Proof of employment",
                     "rendering": {"simple": {
                         "logo": {"uri": "https://issuer.example/logo.png", "alt_text": "Logo"},
                         "background_color": "#12107c"}}},
                    {"locale": "de-DE", "name": "Mitarbeiterausweis"},
                ],
                "claims": [
                    {"path": ["given_name"], "mandatory": true, "sd": "always", "display": [
                        {"locale": "en-US", "label": "Given name", "description": "As in the passport"},
                        {"locale": "de-DE", "label": "Vorname"},
                    ]},
                    {"path": ["roles", null], "sd": "never"},
                ],
            })
        );
    }

    #[test]
    fn only_vcts_under_the_identifier_are_served_and_pinned() {
        let mut external = configuration("External", &format!("{ISSUER}/types/external"));
        external.type_metadata = Some(ExternalTypeMetadata {
            uri: "https://registry.example/external".into(),
            integrity: Some("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
        });
        let catalog = CredentialCatalog::new(vec![
            configuration("Employee", &format!("{ISSUER}/types/employee")),
            configuration("Elsewhere", "https://types.example/elsewhere"),
            configuration("Sibling", "https://issuer.example/tenant2/x"),
            external,
        ]);
        let rendered = TypeMetadata::render(&catalog, ISSUER, "/tenant").unwrap();
        assert_eq!(
            rendered.paths().collect::<Vec<_>>(),
            ["/tenant/types/employee"]
        );
        let bytes = rendered.documents["/tenant/types/employee"].bytes();
        assert_eq!(
            rendered.integrity("Employee"),
            Some(sri_sha256(bytes).as_str())
        );
        assert_eq!(rendered.integrity("Elsewhere"), None);
        assert_eq!(rendered.integrity("Sibling"), None);
        assert_eq!(
            rendered.integrity("External"),
            Some("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        );
    }

    #[test]
    fn the_integrity_is_the_sri_of_the_exact_bytes() {
        // SHA-256 of the empty string, base64 with padding.
        assert_eq!(
            sri_sha256(b""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn vcts_that_cannot_be_served_refuse_the_start() {
        for rest in [
            "/token",
            "/.well-known/x",
            "/a//b",
            "/a/../b",
            "/a b",
            "/a?b",
        ] {
            let catalog =
                CredentialCatalog::new(vec![configuration("C", &format!("{ISSUER}{rest}"))]);
            let error = TypeMetadata::render(&catalog, ISSUER, "/tenant").unwrap_err();
            assert!(
                error.to_string().contains("credential configuration C"),
                "{rest}: {error}"
            );
        }
        let vct = format!("{ISSUER}/types/same");
        let catalog =
            CredentialCatalog::new(vec![configuration("A", &vct), configuration("B", &vct)]);
        assert!(TypeMetadata::render(&catalog, ISSUER, "/tenant")
            .unwrap_err()
            .to_string()
            .contains("same vct"));
    }
}
