//! Typed rejections of Issuer commands. A rejected command writes nothing.

use crate::configuration_table::FieldProblem;

/// Why the Issuer aggregate rejected a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    /// `Create` on an issuer that exists (or existed: ids are never reused).
    #[error("the issuer already exists")]
    AlreadyExists,
    /// Any other command on an issuer that does not exist.
    #[error("issuer not found")]
    NotFound,
    /// Any change after the issuer was retired.
    #[error("the issuer is retired")]
    Retired,
    /// The issuer id breaks its syntax.
    #[error("invalid issuer id: {0}")]
    InvalidId(String),
    /// The display breaks a rule.
    #[error("invalid display: {0}")]
    InvalidDisplay(String),
    /// The key (kid, public JWK, key reference) breaks a rule.
    #[error("invalid signing key: {0}")]
    InvalidKey(String),
    /// The certificate chain breaks a rule.
    #[error("invalid certificate chain: {0}")]
    InvalidCertificateChain(String),
    /// A key with this kid exists (or existed).
    #[error("the issuer already has a key `{0}`")]
    DuplicateKid(String),
    /// No key has this kid.
    #[error("the issuer has no key `{0}`")]
    UnknownKid(String),
    /// Profile `haip` needs a signing key with a certificate chain: setting it while the
    /// active key has none, or activating a key without one on a `haip` issuer.
    #[error(
        "profile haip needs the signing key's certificate chain (x5c): the key `{0}` has none"
    )]
    CertificateChainRequired(String),
    /// The key is retired.
    #[error("the key `{0}` is retired")]
    KeyRetired(String),
    /// The key signs: another key must be activated before it can be retired.
    #[error("the key `{0}` is active: activate another key first")]
    CannotRetireActiveKey(String),
    /// The configuration breaks the rules of credential configurations.
    #[error("invalid credential configuration `{configuration_id}`: {}", summary(.details))]
    ConfigurationInvalid {
        /// The configuration id.
        configuration_id: String,
        /// Every problem, by field.
        details: Vec<FieldProblem>,
    },
    /// No configuration has this id.
    #[error("the issuer has no credential configuration `{0}`")]
    UnknownConfiguration(String),
    /// The configuration is retired.
    #[error("the credential configuration `{0}` is retired")]
    ConfigurationRetired(String),
}

fn summary(details: &[FieldProblem]) -> String {
    details
        .iter()
        .map(|d| match d.field.as_str() {
            "" => d.problem.clone(),
            field => format!("{field}: {}", d.problem),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
