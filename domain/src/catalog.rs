//! The credential catalogue: every configuration the issuer offers, SD-JWT VC
//! (`dc+sd-jwt`) and ISO mdoc (`mso_mdoc`), by id. Ids and scopes are unique across both
//! formats (checked when the configuration is loaded).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::credential_config::{
    ClaimProblem, CredentialConfiguration, KeyAttestationsRequired, FORMAT_DC_SD_JWT,
};
use crate::mdoc_config::{MdocConfiguration, FORMAT_MSO_MDOC};

/// The configured credential configurations, by id.
#[derive(Debug, Clone, Default)]
pub struct CredentialCatalog {
    configurations: BTreeMap<String, CredentialConfiguration>,
    mdoc: BTreeMap<String, MdocConfiguration>,
}

/// One configuration of either format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogEntry<'a> {
    /// An SD-JWT VC configuration.
    SdJwt(&'a CredentialConfiguration),
    /// An ISO mdoc configuration.
    Mdoc(&'a MdocConfiguration),
}

impl<'a> CatalogEntry<'a> {
    /// The configuration id.
    pub fn id(&self) -> &'a str {
        match self {
            CatalogEntry::SdJwt(c) => &c.id,
            CatalogEntry::Mdoc(c) => &c.id,
        }
    }

    /// The OAuth scope that requests it.
    pub fn scope(&self) -> &'a str {
        match self {
            CatalogEntry::SdJwt(c) => &c.scope,
            CatalogEntry::Mdoc(c) => &c.scope,
        }
    }

    /// The OID4VCI Credential Format Identifier.
    pub fn format(&self) -> &'static str {
        match self {
            CatalogEntry::SdJwt(_) => FORMAT_DC_SD_JWT,
            CatalogEntry::Mdoc(_) => FORMAT_MSO_MDOC,
        }
    }

    /// How long an issued credential is valid, in seconds.
    pub fn validity_seconds(&self) -> u64 {
        match self {
            CatalogEntry::SdJwt(c) => c.validity_seconds,
            CatalogEntry::Mdoc(c) => c.validity_seconds,
        }
    }

    /// Key attestations its holder keys need (SD-JWT VC configurations only).
    pub fn key_attestations_required(&self) -> Option<&'a KeyAttestationsRequired> {
        match self {
            CatalogEntry::SdJwt(c) => c.key_attestations_required.as_ref(),
            CatalogEntry::Mdoc(_) => None,
        }
    }

    /// Every problem of an offer's `claims` against this configuration (flat claims for
    /// SD-JWT VC, grouped by namespace for mdoc).
    pub fn validate_claims(&self, claims: &Map<String, Value>) -> Vec<ClaimProblem> {
        match self {
            CatalogEntry::SdJwt(c) => c.validate_claims(claims),
            CatalogEntry::Mdoc(c) => c.validate_claims(claims),
        }
    }
}

impl CredentialCatalog {
    /// A catalogue of SD-JWT VC configurations only.
    pub fn new(configurations: Vec<CredentialConfiguration>) -> Self {
        Self::with_mdoc(configurations, Vec::new())
    }

    /// A catalogue of both formats; ids must be unique across them.
    pub fn with_mdoc(
        configurations: Vec<CredentialConfiguration>,
        mdoc: Vec<MdocConfiguration>,
    ) -> Self {
        CredentialCatalog {
            configurations: configurations
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect(),
            mdoc: mdoc.into_iter().map(|c| (c.id.clone(), c)).collect(),
        }
    }

    /// The SD-JWT VC configuration with this id.
    pub fn get(&self, id: &str) -> Option<&CredentialConfiguration> {
        self.configurations.get(id)
    }

    /// The mdoc configuration with this id.
    pub fn mdoc(&self, id: &str) -> Option<&MdocConfiguration> {
        self.mdoc.get(id)
    }

    /// The configuration with this id, of either format.
    pub fn entry(&self, id: &str) -> Option<CatalogEntry<'_>> {
        self.get(id)
            .map(CatalogEntry::SdJwt)
            .or_else(|| self.mdoc(id).map(CatalogEntry::Mdoc))
    }

    /// Whether a configuration of either format has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.entry(id).is_some()
    }

    /// The SD-JWT VC configurations, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &CredentialConfiguration> {
        self.configurations.values()
    }

    /// The mdoc configurations, ordered by id.
    pub fn mdoc_iter(&self) -> impl Iterator<Item = &MdocConfiguration> {
        self.mdoc.values()
    }

    /// Every configuration of either format: SD-JWT VC first, each ordered by id.
    pub fn entries(&self) -> impl Iterator<Item = CatalogEntry<'_>> {
        self.iter()
            .map(CatalogEntry::SdJwt)
            .chain(self.mdoc_iter().map(CatalogEntry::Mdoc))
    }

    /// Whether any mdoc configuration is offered (the service then needs a document signer).
    pub fn has_mdoc(&self) -> bool {
        !self.mdoc.is_empty()
    }

    /// The configuration, of either format, whose `scope` is `scope`.
    pub fn by_scope(&self, scope: &str) -> Option<CatalogEntry<'_>> {
        self.entries().find(|c| c.scope() == scope)
    }

    /// The mdoc configuration issuing `doctype` (draft-13 style requests name it).
    pub fn mdoc_by_doctype(&self, doctype: &str) -> Option<&MdocConfiguration> {
        self.mdoc.values().find(|c| c.doctype == doctype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdoc_config::{MdocClaimDefinition, MdocValueType, COSE_ALG_ES256};
    use serde_json::json;

    fn sd_jwt() -> CredentialConfiguration {
        CredentialConfiguration {
            id: "Identity".into(),
            format: FORMAT_DC_SD_JWT.into(),
            vct: "https://example.com/identity".into(),
            scope: "identity".into(),
            display: Vec::new(),
            claims: Vec::new(),
            validity_seconds: 86_400,
            type_metadata: None,
            key_attestations_required: None,
        }
    }

    fn mdl() -> MdocConfiguration {
        MdocConfiguration {
            id: "mDL".into(),
            doctype: "org.iso.18013.5.1.mDL".into(),
            scope: "mdl".into(),
            display: Vec::new(),
            claims: vec![MdocClaimDefinition {
                namespace: "org.iso.18013.5.1".into(),
                element: "family_name".into(),
                mandatory: true,
                value_type: MdocValueType::Tstr,
                display: Vec::new(),
            }],
            validity_seconds: 3_600,
            credential_signing_alg_values_supported: vec![COSE_ALG_ES256],
        }
    }

    #[test]
    fn finds_both_formats_by_id_scope_and_doctype() {
        let catalog = CredentialCatalog::with_mdoc(vec![sd_jwt()], vec![mdl()]);
        assert!(catalog.has_mdoc());
        assert_eq!(
            catalog.entry("Identity").map(|e| e.format()),
            Some("dc+sd-jwt")
        );
        assert_eq!(catalog.entry("mDL").map(|e| e.format()), Some("mso_mdoc"));
        assert!(catalog.get("mDL").is_none(), "get is SD-JWT VC only");
        assert!(catalog.mdoc("Identity").is_none());
        assert!(catalog.contains("mDL") && !catalog.contains("Other"));
        assert_eq!(catalog.by_scope("mdl").map(|e| e.id()), Some("mDL"));
        assert_eq!(
            catalog.by_scope("identity").map(|e| e.id()),
            Some("Identity")
        );
        assert!(catalog.by_scope("other").is_none());
        assert_eq!(
            catalog
                .mdoc_by_doctype("org.iso.18013.5.1.mDL")
                .map(|c| c.id.as_str()),
            Some("mDL")
        );
        let ids: Vec<&str> = catalog.entries().map(|e| e.id()).collect();
        assert_eq!(ids, ["Identity", "mDL"]);
        assert!(!CredentialCatalog::new(vec![sd_jwt()]).has_mdoc());
    }

    #[test]
    fn entries_validate_claims_in_their_own_shape() {
        let catalog = CredentialCatalog::with_mdoc(vec![sd_jwt()], vec![mdl()]);
        let mdl = catalog.entry("mDL").unwrap();
        let grouped = json!({"org.iso.18013.5.1": {"family_name": "Mustermann"}});
        assert!(mdl.validate_claims(grouped.as_object().unwrap()).is_empty());
        let flat = json!({"family_name": "Mustermann"});
        assert!(!mdl.validate_claims(flat.as_object().unwrap()).is_empty());
        assert_eq!(mdl.validity_seconds(), 3_600);
        assert_eq!(mdl.scope(), "mdl");
    }
}
